"""Differential test: random valid query specs run by Apiary's CLI and by DuckDB on the same data.

The data is the demo data set (written by `apiary demo`), read into DuckDB through pyarrow. Each
spec is translated to SQL that encodes the query contract (../shared/reference/query-semantics.md):
null semantics of filters, weighting by sample rate (rows repeated `sample_rate` times, which makes
COUNT = Σw, SUM = Σx·w, weighted percentiles), ordering with nulls last and ties broken by the
breakdowns, havings before the limit, series buckets aligned to start_time. Floats must agree to a
relative 1e-9. Prints one line per failure and closes with 'N passed, M failed'.

Usage: duckdb_check.py APIARY_BIN [--specs N] [--rows N] [--seed N]
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import duckdb
import pyarrow.ipc as ipc

STRINGS = ["service.name", "name", "http.route", "http.method", "region", "app.version", "customer.plan",
           "db.system", "status.code", "user.id", "error.message"]
INTS = ["http.status_code", "retry.count", "http.response.body.size"]
FLOATS = ["duration_ms"]
BOOLS = ["error", "cache.hit", "feature_flag.new_checkout"]
NUMERIC = INTS + FLOATS
PERCENTILES = {"P001": 0.001, "P01": 0.01, "P05": 0.05, "P10": 0.10, "P20": 0.20, "P25": 0.25, "P50": 0.50,
               "P75": 0.75, "P80": 0.80, "P90": 0.90, "P95": 0.95, "P99": 0.99, "P999": 0.999}


def q(name):
    return '"' + name.replace('"', '""') + '"'


def lit(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


class Gen:
    def __init__(self, rng, values, start, end):
        self.rng, self.values, self.start, self.end = rng, values, start, end

    def value_for(self, col):
        pool = self.values[col]
        if pool and self.rng.random() < 0.85:
            return self.rng.choice(pool)
        if col in STRINGS:
            return self.rng.choice(["", "nope", "GET", "a"])
        if col in FLOATS:
            return round(self.rng.uniform(0, 500), 2)
        return self.rng.choice([0, 1, 200, 404, 500])

    def filter(self):
        kind = self.rng.random()
        if kind < 0.45:
            col = self.rng.choice(STRINGS)
            op = self.rng.choice(["=", "!=", "starts-with", "does-not-start-with", "ends-with", "does-not-end-with",
                                  "contains", "does-not-contain", "in", "not-in", "exists", "does-not-exist", ">", "<"])
        elif kind < 0.85:
            col = self.rng.choice(NUMERIC)
            op = self.rng.choice(["=", "!=", ">", ">=", "<", "<=", "in", "not-in", "exists", "does-not-exist"])
        else:
            col = self.rng.choice(BOOLS)
            op = self.rng.choice(["=", "!=", "exists", "does-not-exist"])
        f = {"column": col, "op": op}
        if op in ("exists", "does-not-exist"):
            return f
        if op in ("in", "not-in"):
            f["value"] = [self.value_for(col) for _ in range(self.rng.randint(1, 3))]
        elif op in ("starts-with", "does-not-start-with", "ends-with", "does-not-end-with", "contains", "does-not-contain"):
            v = str(self.value_for(col))
            cut = self.rng.randint(0, len(v))
            f["value"] = v[:cut] if op.endswith("start-with") or op == "contains" and self.rng.random() < 0.5 else v[cut:]
        elif col in BOOLS:
            f["value"] = self.rng.random() < 0.5
        else:
            f["value"] = self.value_for(col)
        return f

    def calc(self):
        op = self.rng.choice(["COUNT", "SUM", "AVG", "MIN", "MAX", "COUNT_DISTINCT", "HEATMAP"] + list(PERCENTILES))
        if op == "COUNT":
            return {"op": op}
        if op == "COUNT_DISTINCT":
            return {"op": op, "column": self.rng.choice(STRINGS + INTS + BOOLS)}
        return {"op": op, "column": self.rng.choice(NUMERIC)}

    def spec(self):
        rng = self.rng
        calcs = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            c = self.calc()
            if c not in calcs:
                calcs.append(c)
        spec = {}
        if calcs:
            spec["calculations"] = calcs
        if rng.random() < 0.7:
            spec["filters"] = [self.filter() for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                spec["filter_combination"] = "OR"
        if rng.random() < 0.75:
            spec["breakdowns"] = rng.sample(STRINGS[:9] + INTS[:2] + BOOLS, rng.randint(1, 2))
        effective = calcs or [{"op": "COUNT"}]
        orderable = [c for c in effective if c["op"] != "HEATMAP"]
        if rng.random() < 0.4 and (orderable or spec.get("breakdowns")):
            orders = []
            if orderable and rng.random() < 0.6:
                c = rng.choice(orderable)
                orders.append(dict(c, order=rng.choice(["ascending", "descending"])))
            if spec.get("breakdowns") and rng.random() < 0.6:
                orders.append({"column": rng.choice(spec["breakdowns"]), "order": rng.choice(["ascending", "descending"])})
            if orders:
                spec["orders"] = orders
        if orderable and rng.random() < 0.25:
            c = rng.choice(orderable)
            h = {"calculate_op": c["op"], "op": rng.choice(["=", "!=", ">", ">=", "<", "<="]), "value": rng.choice([1, 2, 5, 10, 100, 250.5])}
            if "column" in c:
                h["column"] = c["column"]
            spec["havings"] = [h]
        if rng.random() < 0.6:
            spec["limit"] = rng.choice([1, 2, 3, 5, 10, 50])
        # Time: the whole range, a window, or a relative range.
        t = rng.random()
        if t < 0.4:
            spec["start_time"], spec["end_time"] = self.start, self.end
        elif t < 0.8:
            a = rng.randint(self.start, self.end - 60)
            spec["start_time"], spec["end_time"] = a, rng.randint(a + 1, min(self.end, a + 7200))
        else:
            spec["time_range"] = rng.choice([60, 600, 3600, 7200])
        if rng.random() < 0.25:
            spec["granularity"] = rng.choice([60, 300, 900, 1800])
        return spec


def where_sql(f):
    c, op, v = q(f["column"]), f["op"], f.get("value")
    return {
        "=": lambda: f"{c} = {lit(v)}",
        "!=": lambda: f"{c} <> {lit(v)}",
        ">": lambda: f"{c} > {lit(v)}",
        ">=": lambda: f"{c} >= {lit(v)}",
        "<": lambda: f"{c} < {lit(v)}",
        "<=": lambda: f"{c} <= {lit(v)}",
        "starts-with": lambda: f"starts_with({c}, {lit(v)})",
        "does-not-start-with": lambda: f"NOT starts_with({c}, {lit(v)})",
        "ends-with": lambda: f"ends_with({c}, {lit(v)})",
        "does-not-end-with": lambda: f"NOT ends_with({c}, {lit(v)})",
        "contains": lambda: f"contains({c}, {lit(v)})",
        "does-not-contain": lambda: f"NOT contains({c}, {lit(v)})",
        "exists": lambda: f"{c} IS NOT NULL",
        "does-not-exist": lambda: f"{c} IS NULL",
        "in": lambda: f"{c} IN ({', '.join(lit(x) for x in v)})",
        "not-in": lambda: f"{c} NOT IN ({', '.join(lit(x) for x in v)})",
    }[op]()


def calc_key(c):
    return f"{c['op']}({c['column']})" if "column" in c else c["op"]


def calc_sql(c):
    op = c["op"]
    col = q(c.get("column", ""))
    if op == "COUNT":
        return "COUNT(*)"
    if op == "COUNT_DISTINCT":
        return f"COUNT(DISTINCT {col})"
    if op in PERCENTILES:
        return f"quantile_cont({col}, {PERCENTILES[op]})"
    if op == "HEATMAP":
        return f"COUNT({col})"  # checked as: histogram counts add up to the non-null count
    return f"{op}({col})"


def spec_sql(spec, weighted, data_end_ms):
    calcs = spec.get("calculations") or [{"op": "COUNT"}]
    if "start_time" in spec:
        lo, hi = spec["start_time"] * 1000, spec["end_time"] * 1000
    else:
        end = data_end_ms // 1000 + 1
        lo, hi = (end - spec["time_range"]) * 1000, end * 1000
    conds = [f"__t >= {lo}", f"__t < {hi}"]
    filters = spec.get("filters", [])
    if filters:
        joiner = " OR " if spec.get("filter_combination") == "OR" else " AND "
        conds.append("(" + joiner.join(f"COALESCE({where_sql(f)}, FALSE)" for f in filters) + ")")
    base = "base_w" if weighted else "base"
    bds = spec.get("breakdowns", [])
    sel = [f"{q(b)} AS {q('b' + str(i))}" for i, b in enumerate(bds)]
    sel += [f"{calc_sql(c)} AS {q('c' + str(i))}" for i, c in enumerate(calcs)]
    group = f" GROUP BY {', '.join(q(b) for b in bds)}" if bds else ""
    having = []
    for h in spec.get("havings", []):
        i = next(i for i, c in enumerate(calcs) if c["op"] == h["calculate_op"] and c.get("column") == h.get("column"))
        having.append(f"{q('c' + str(i))} {'<>' if h['op'] == '!=' else h['op']} {lit(h['value'])}")
    having_sql = (" HAVING " + " AND ".join(having)) if having else ""
    if not bds:
        # One group, which only exists when some row matched.
        having_sql = (having_sql + " AND " if having_sql else " HAVING ") + "COUNT(*) > 0"
    order = []
    explicit = spec.get("orders", [])

    def okey(i):
        # DuckDB's interpolation can be off in the last bit (3.0000000000000004 for constant 3):
        # order by the value rounded to 9 decimals so such near-ties fall to the breakdowns.
        c = calcs[i]
        exact = c["op"] in ("COUNT", "COUNT_DISTINCT") or (c["op"] in ("SUM", "MIN", "MAX") and c.get("column") in INTS)
        return q("c" + str(i)) if exact else f"round({q('c' + str(i))}, 9)"

    if not explicit:
        first = next((i for i, c in enumerate(calcs) if c["op"] != "HEATMAP"), None)
        if first is not None:
            order.append(f"{okey(first)} DESC NULLS LAST")
    used = set()
    for o in explicit:
        d = "DESC" if o.get("order") == "descending" else "ASC"
        if "op" in o:
            i = next(i for i, c in enumerate(calcs) if c["op"] == o["op"] and c.get("column") == o.get("column"))
            order.append(f"{okey(i)} {d} NULLS LAST")
        else:
            i = bds.index(o["column"])
            used.add(i)
            order.append(f"{q('b' + str(i))} {d} NULLS LAST")
    order += [f"{q('b' + str(i))} ASC NULLS LAST" for i in range(len(bds)) if i not in used]
    order_sql = (" ORDER BY " + ", ".join(order)) if order else ""
    limit = spec.get("limit", 1000)
    sql = f"SELECT {', '.join(sel)} FROM {base} WHERE {' AND '.join(conds)}{group}{having_sql}{order_sql} LIMIT {limit}"
    return sql, calcs, bds, (lo, hi), " AND ".join(conds)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


STATS = {"non-empty": 0, "series points": 0}


def check(con, apiary, data, spec, weighted, data_end_ms):
    args = [apiary, "query", data, "--spec", json.dumps(spec)]
    if not weighted:
        args += ["--sample-rate", "none"]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        return f"apiary failed: {out.stderr.strip()}"
    got = json.loads(out.stdout)
    sql, calcs, bds, (lo, hi), where = spec_sql(spec, weighted, data_end_ms)
    want = con.execute(sql).fetchall()
    rows = [r["data"] for r in got["results"]]
    STATS["non-empty"] += bool(rows)
    STATS["series points"] += len(got["series"])
    if len(rows) != len(want):
        return f"{len(rows)} result rows, DuckDB {len(want)}\n  SQL: {sql}"
    def row_diff(i, g, w):
        for j, b in enumerate(bds):
            if not close(g.get(b), w[j]):
                return f"row {i} {b}: apiary {g.get(b)!r}, DuckDB {w[j]!r}\n  SQL: {sql}"
        for j, c in enumerate(calcs):
            key, expect = calc_key(c), w[len(bds) + j]
            val = g.get(key)
            if c["op"] == "HEATMAP":
                total = 0 if val is None else sum(val["counts"])
                if not close(float(total), float(expect)):
                    return f"row {i} {key}: histogram holds {total}, DuckDB counts {expect} values\n  SQL: {sql}"
                continue
            if isinstance(expect, bool):
                expect = int(expect)
            if hasattr(expect, "__float__") and not isinstance(expect, (int, float)):
                expect = float(expect)
            if not close(val, expect):
                return f"row {i} {key}: apiary {val!r}, DuckDB {expect!r}\n  SQL: {sql}"
        return None

    first_diff = next((d for d in (row_diff(i, g, w) for i, (g, w) in enumerate(zip(rows, want))) if d), None)
    if first_diff:
        # Values equal within rounding (percentiles that differ in the last bit) may sort either
        # way: accept the rows when each matches a DuckDB row a few places away.
        unused = set(range(len(want)))
        for i, g in enumerate(rows):
            j = next((j for j in sorted(unused, key=lambda j: abs(j - i)) if abs(j - i) <= 8 and row_diff(i, g, want[j]) is None), None)
            if j is None:
                return first_diff
            unused.discard(j)
    if "granularity" in spec and rows:
        g_ms = spec["granularity"] * 1000
        base = "base_w" if weighted else "base"
        simple = [(j, c) for j, c in enumerate(calcs) if c["op"] in ("COUNT", "SUM", "MIN", "MAX", "COUNT_DISTINCT")]
        if simple:
            keys = [tuple(r.get(b) for b in bds) for r in rows]
            sel = ", ".join([q(b) for b in bds] + [f"(__t - {lo}) // {g_ms} AS __b"] + [calc_sql(c) for _, c in simple])
            grp = ", ".join([q(b) for b in bds] + ["__b"])
            series_want = {}
            for r in con.execute(f"SELECT {sel} FROM {base} WHERE {where} GROUP BY {grp}").fetchall():
                k = tuple(r[:len(bds)])
                if k in keys:
                    series_want[(k, lo + r[len(bds)] * g_ms)] = r[len(bds) + 1:]
            series_got = {}
            import datetime
            for p in got["series"]:
                t = int(datetime.datetime.fromisoformat(p["time"].replace("Z", "+00:00")).timestamp() * 1000)
                series_got[(tuple(p["data"].get(b) for b in bds), t)] = [p["data"].get(calc_key(c)) for _, c in simple]
            if set(series_got) != set(series_want):
                return f"series cells differ: apiary {len(series_got)}, DuckDB {len(series_want)}"
            for cell, vals in series_want.items():
                for v, gv in zip(vals, series_got[cell]):
                    if not close(gv, int(v) if isinstance(v, bool) else v):
                        return f"series {cell}: apiary {gv!r}, DuckDB {v!r}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("apiary")
    ap.add_argument("--specs", type=int, default=300)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="apiary-diff-")
    data = os.path.join(tmp, "demo.arrow")
    subprocess.run([a.apiary, "demo", "--rows", str(a.rows), "--seed", "7", "--out", data], check=True, capture_output=True)
    table = ipc.open_stream(open(data, "rb")).read_all()
    con = duckdb.connect()
    con.register("raw", table)
    con.execute("CREATE TABLE base AS SELECT *, epoch_ms(timestamp) AS __t FROM raw")
    # Weighted: each row repeated sample_rate times (null or < 1 counts as 1).
    con.execute("CREATE TABLE base_w AS SELECT b.* FROM base b, range(CAST(GREATEST(COALESCE(b.sample_rate, 1), 1) AS BIGINT))")
    lo_ms, hi_ms = con.execute("SELECT MIN(__t), MAX(__t) FROM base").fetchone()
    values = {}
    for col in STRINGS + NUMERIC:
        values[col] = [r[0] for r in con.execute(f"SELECT DISTINCT {q(col)} FROM base WHERE {q(col)} IS NOT NULL USING SAMPLE 20 ROWS").fetchall()]
    rng = random.Random(a.seed)
    gen = Gen(rng, values, lo_ms // 1000, hi_ms // 1000 + 1)
    passed = failed = 0
    for n in range(a.specs):
        spec = gen.spec()
        weighted = rng.random() < 0.5
        err = check(con, a.apiary, data, spec, weighted, hi_ms)
        if err:
            failed += 1
            print(f"FAIL spec {n} (weighted={weighted}): {json.dumps(spec)}\n  {err}")
        else:
            passed += 1
    print(f"{STATS['non-empty']} specs had results, {STATS['series points']} series points compared or counted")
    print(f"differential: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
