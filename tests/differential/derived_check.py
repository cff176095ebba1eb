"""Differential test for derived columns: random formulas (arithmetic, comparisons, booleans,
strings, conditionals) evaluated by Apiary's CLI as `calculated_fields` and by DuckDB as the SQL
expression that encodes the documented rules (ARCHITECTURE.md, "Derived columns"): null arguments
of SUM/MIN/MAX left out, of SUB/MUL/DIV/MOD null, division by zero null, comparisons false (never
null) when an argument is null, EQUALS(null, null) true, truth of non-zero numbers.

Numeric formulas are compared through COUNT, SUM, MIN and MAX of the derived column (floats to a
relative 1e-9); boolean and string formulas through the count of events per value (GROUP BY the
derived column). Formulas are also used in WHERE. Prints failures and 'derived: N passed, M failed'.

Usage: derived_check.py APIARY_BIN [--formulas N] [--rows N] [--seed N]
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

INTS = ["http.status_code", "retry.count", "http.response.body.size"]
FLOATS = ["duration_ms"]
STRINGS = ["service.name", "name", "http.route", "http.method", "region", "db.system", "error.message"]
BOOLS = ["error", "cache.hit"]


def q(name):
    return '"' + name.replace('"', '""') + '"'


def s_lit(s):
    return "'" + s.replace("'", "''") + "'"


class Gen:
    def __init__(self, rng):
        self.r = rng

    def num(self, d):
        """(formula, sql, is_int)"""
        r = self.r
        k = r.random()
        if d <= 0 or k < 0.3:
            if r.random() < 0.7:
                c = r.choice(INTS + FLOATS)
                return f"${c}", q(c), c in INTS
            if r.random() < 0.5:
                v = r.choice([0, 1, 2, 3, 7, 100, -5])
                return str(v), f"({v})", True
            v = r.choice([0.5, 2.5, 100.25, -1.5])
            return str(v), f"({v})", False
        f = r.choice(["SUM", "SUB", "MUL", "DIV", "MOD", "MIN", "MAX", "LOG10", "IF", "LENGTH", "INT", "BUCKET", "infix"])
        if f == "LENGTH":
            sf, ss = self.str(d - 1)
            return f"LENGTH({sf})", f"length({ss})", True
        if f == "INT":
            a, sa, _ = self.num(d - 1)
            return f"INT({a})", f"CAST(trunc({sa}) AS BIGINT)", True
        if f == "LOG10":
            a, sa, _ = self.num(d - 1)
            return f"LOG10({a})", f"(CASE WHEN {sa} > 0 THEN log10({sa}) END)", False
        if f == "IF":
            c, sc = self.bool(d - 1)
            a, sa, ia = self.num(d - 1)
            b, sb, ib = self.num(d - 1)
            cast = "" if ia and ib else "::DOUBLE"
            return f"IF({c}, {a}, {b})", f"(CASE WHEN coalesce({sc}, false) THEN ({sa}){cast} ELSE ({sb}){cast} END)", ia and ib
        a, sa, ia = self.num(d - 1)
        b, sb, ib = self.num(d - 1)
        both = ia and ib
        if f == "BUCKET":
            size = r.choice([10, 100, 3])
            if both:
                return f"BUCKET({a}, {size})", f"(floor(({sa}) / {size}) * {size})::BIGINT", True
            return f"BUCKET({a}, {size}.0)", f"(floor(({sa})::DOUBLE / {size}) * {size})", False
        if f == "infix":
            op = r.choice(["+", "-", "*"])
            f = {"+": "SUM", "-": "SUB", "*": "MUL"}[op]
            hc = f"({a} {op} {b})"
        else:
            hc = f"{f}({a}, {b})"
        x, y = (sa, sb) if both else (f"({sa})::DOUBLE", f"({sb})::DOUBLE")
        sql = {
            "SUM": f"(CASE WHEN {x} IS NULL AND {y} IS NULL THEN NULL ELSE coalesce({x}, 0) + coalesce({y}, 0) END)",
            "SUB": f"({x} - {y})",
            "MUL": f"({x} * {y})",
            "DIV": f"(CASE WHEN ({y}) = 0 THEN NULL ELSE ({x})::DOUBLE / ({y}) END)",
            "MOD": f"(CASE WHEN ({y}) = 0 THEN NULL ELSE ({x}) % ({y}) END)",
            "MIN": f"(CASE WHEN {x} IS NULL THEN {y} WHEN {y} IS NULL THEN {x} ELSE least({x}, {y}) END)",
            "MAX": f"(CASE WHEN {x} IS NULL THEN {y} WHEN {y} IS NULL THEN {x} ELSE greatest({x}, {y}) END)",
        }[f]
        return hc, sql, both and f != "DIV"

    def str(self, d):
        r = self.r
        if d <= 0 or r.random() < 0.4:
            if r.random() < 0.8:
                c = r.choice(STRINGS)
                return f"${c}", q(c)
            v = r.choice(["api", "GET", "", "x-y"])
            return json.dumps(v), s_lit(v)
        f = r.choice(["CONCAT", "TO_LOWER", "IF", "COALESCE", "STRING"])
        if f == "STRING":
            c = r.choice(INTS[:2])
            return f"STRING(${c})", f"CAST({q(c)} AS VARCHAR)"
        a, sa = self.str(d - 1)
        if f == "TO_LOWER":
            return f"TO_LOWER({a})", f"lower({sa})"
        b, sb = self.str(d - 1)
        if f == "CONCAT":
            return f"CONCAT({a}, {b})", f"(CASE WHEN ({sa}) IS NULL AND ({sb}) IS NULL THEN NULL ELSE concat(coalesce({sa}, ''), coalesce({sb}, '')) END)"
        if f == "COALESCE":
            return f"COALESCE({a}, {b})", f"(CASE WHEN coalesce({sa}, '') <> '' THEN {sa} WHEN coalesce({sb}, '') <> '' THEN {sb} END)"
        c, sc = self.bool(d - 1)
        return f"IF({c}, {a}, {b})", f"(CASE WHEN coalesce({sc}, false) THEN {sa} ELSE {sb} END)"

    def bool(self, d):
        r = self.r
        if d <= 0 or r.random() < 0.2:
            c = r.choice(BOOLS)
            return f"${c}", q(c)
        f = r.choice(["LT", "LTE", "GT", "GTE", "EQUALS", "EQS", "IN", "EXISTS", "NOT", "AND", "OR", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "REG_MATCH", "infix"])
        if f in ("LT", "LTE", "GT", "GTE", "EQUALS"):
            a, sa, _ = self.num(d - 1)
            b, sb, _ = self.num(d - 1)
            op = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">=", "EQUALS": "="}[f]
            extra = f" OR (({sa}) IS NULL AND ({sb}) IS NULL)" if f == "EQUALS" else ""
            return f"{f}({a}, {b})", f"(coalesce(({sa}) {op} ({sb}), false){extra})"
        if f == "infix":
            a, sa, _ = self.num(d - 1)
            b, sb, _ = self.num(d - 1)
            op = r.choice(["<", "<=", ">", ">="])
            return f"({a} {op} {b})", f"coalesce(({sa}) {op} ({sb}), false)"
        if f == "EQS":
            a, sa = self.str(d - 1)
            b, sb = self.str(d - 1)
            return f"EQUALS({a}, {b})", f"(coalesce(({sa}) = ({sb}), false) OR (({sa}) IS NULL AND ({sb}) IS NULL))"
        if f == "IN":
            c = r.choice(STRINGS)
            vals = r.sample(["frontend", "GET", "/", "eu-west-1", "postgresql", "nope"], 2)
            return f"IN(${c}, {', '.join(json.dumps(v) for v in vals)})", f"coalesce({q(c)} IN ({', '.join(s_lit(v) for v in vals)}), false)"
        if f == "EXISTS":
            c = r.choice(STRINGS + INTS + FLOATS)
            return f"EXISTS(${c})", f"({q(c)} IS NOT NULL)"
        if f == "NOT":
            a, sa = self.bool(d - 1)
            return f"NOT({a})", f"(NOT coalesce({sa}, false))"
        if f in ("AND", "OR"):
            a, sa = self.bool(d - 1)
            b, sb = self.bool(d - 1)
            return f"{f}({a}, {b})", f"(coalesce({sa}, false) {f} coalesce({sb}, false))"
        if f == "REG_MATCH":
            c = r.choice(STRINGS)
            pat = r.choice(["^/api/", "[0-9]+", "e.?r", "^(GET|POST)$", "west"])
            return f"REG_MATCH(${c}, `{pat}`)", f"coalesce(regexp_matches({q(c)}, {s_lit(pat)}), false)"
        a, sa = self.str(d - 1)
        b = r.choice(["a", "/api", "end", "", "e"])
        fn = {"STARTS_WITH": "starts_with", "ENDS_WITH": "suffix", "CONTAINS": "contains"}[f]
        return f"{f}({a}, {json.dumps(b)})", f"coalesce({fn}({sa}, {s_lit(b)}), false)"


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("apiary")
    ap.add_argument("--formulas", type=int, default=150)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="apiary-derived-")
    data = os.path.join(tmp, "demo.arrow")
    subprocess.run([a.apiary, "demo", "--rows", str(a.rows), "--seed", "5", "--compression", "none", "--out", data], check=True, capture_output=True)
    con = duckdb.connect()
    con.register("raw", ipc.open_stream(open(data, "rb")).read_all())
    lo, hi = con.execute("SELECT epoch(min(timestamp)), epoch(max(timestamp)) FROM raw").fetchone()
    whole = {"start_time": int(lo), "end_time": int(hi) + 1}
    rng = random.Random(a.seed)
    gen = Gen(rng)
    passed = failed = 0

    def run(spec):
        out = subprocess.run([a.apiary, "query", data, "--sample-rate", "none", "--spec", json.dumps(dict(spec, **whole))], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return json.loads(out.stdout)

    for n in range(a.formulas):
        kind = ["num", "bool", "str"][n % 3]
        depth = rng.randint(1, 3)
        if kind == "num":
            hc, sql, _ = gen.num(depth)
        elif kind == "bool":
            hc, sql = gen.bool(depth)
        else:
            hc, sql = gen.str(depth)
        field = [{"name": "d", "expression": hc}]
        try:
            if kind == "num":
                got = run({"calculated_fields": field, "calculations": [{"op": "SUM", "column": "d"}, {"op": "MIN", "column": "d"}, {"op": "MAX", "column": "d"}],
                           "filters": [{"column": "d", "op": "exists"}]})
                row = got["results"][0]["data"] if got["results"] else None
                n_got = run({"calculated_fields": field, "filters": [{"column": "d", "op": "exists"}]})
                cnt = n_got["results"][0]["data"]["COUNT"] if n_got["results"] else 0
                want = con.execute(f"SELECT sum(e), min(e), max(e), count(e) FROM (SELECT {sql} AS e FROM raw)").fetchone()
                mine = (row["SUM(d)"], row["MIN(d)"], row["MAX(d)"], cnt) if row else (None, None, None, 0)
                ok = all(close(x, y) for x, y in zip(mine, want))
            else:
                got = run({"calculated_fields": field, "breakdowns": ["d"], "limit": 10000})
                mine = sorted((json.dumps(r["data"]["d"]), r["data"]["COUNT"]) for r in got["results"])
                rows = con.execute(f"SELECT e, count(*) FROM (SELECT {sql} AS e FROM raw) GROUP BY e").fetchall()
                want = sorted((json.dumps(e), c) for e, c in rows)
                ok = mine == want
                if ok and kind == "bool":
                    # The same formula as a WHERE: d = true.
                    w = run({"calculated_fields": field, "filters": [{"column": "d", "op": "=", "value": True}]})
                    wc = w["results"][0]["data"]["COUNT"] if w["results"] else 0
                    ok = wc == dict(rows).get(True, 0)
                    mine, want = ("where", wc), ("where", dict(rows).get(True, 0))
        except Exception as e:  # a refusal or a DuckDB error is a failure too
            ok, mine, want = False, str(e), sql
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {hc}\n  apiary {str(mine)[:300]}\n  duckdb {str(want)[:300]}\n  sql    {sql}")
    print(f"derived: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
