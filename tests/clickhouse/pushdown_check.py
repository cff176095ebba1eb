"""Differential test of the ClickHouse push-down: random query specs run by the local engine on an
Arrow file and pushed down to ClickHouse (chdb behind tests/clickhouse/server.py) on the same
rows; the whole JSON answers must agree (floats to a relative 1e-9, the bound the query contract
allows for summation order). The specs come from the DuckDB differential test's generator.

Then the collector's `otel_traces` layout (the same spans, attributes in maps, Duration in ns):
a few queries pushed down there must agree with the local engine on the Arrow file (floats to
1e-6: durations went through nanosecond integers), and the page's safety: names, values and map
keys built to break out of SQL are only ever data.

Prints one line per failure and closes with 'N passed, M failed'.
Usage: pushdown_check.py APIARY_BIN [--specs N] [--rows N] [--seed N]
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "differential"))
import duckdb_check as dc  # noqa: E402  (the spec generator)
import pyarrow.ipc as ipc  # noqa: E402

USER, KEY = "apiary", "pushdown-test"


def close(a, b, tol):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return a == b or abs(a - b) <= tol * max(abs(a), abs(b))
    return a == b


def first_difference(a, b, tol, path="$"):
    if close(a, b, tol):
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} vs {sorted(b)}"
        return next((d for k in a if (d := first_difference(a[k], b[k], tol, f"{path}.{k}"))), None)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := first_difference(x, y, tol, f"{path}[{i}]"))), None)
    return f"{path}: local {a!r}, pushed down {b!r}"


def run(args, env=None):
    out = subprocess.run(args, capture_output=True, text=True, env=env)
    return out.returncode, out.stdout, out.stderr.strip()


def start_server(data):
    srv = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--data", data, "--port", "0", "--user", USER, "--key", KEY],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = srv.stdout.readline()
    if not line.startswith("listening on "):
        srv.kill()
        raise SystemExit(f"the ClickHouse test server did not start: {line}{srv.stderr.read()}")
    return srv, line.split()[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("apiary")
    ap.add_argument("--specs", type=int, default=200)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="apiary-pushdown-")
    data = os.path.join(tmp, "demo.arrow")
    # Uncompressed: ClickHouse reads the file with its own Arrow reader.
    subprocess.run([a.apiary, "demo", "--rows", str(a.rows), "--seed", "7", "--compression", "none", "--out", data], check=True, capture_output=True)
    srv, url = start_server(data)
    env = dict(os.environ, APIARY_CLICKHOUSE_USER=USER, APIARY_CLICKHOUSE_KEY=KEY)
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        if ok is None:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {what}\n  {ok}")

    try:
        table = ipc.open_stream(open(data, "rb")).read_all()
        import duckdb
        con = duckdb.connect()
        con.register("raw", table)
        con.execute("CREATE TABLE base AS SELECT *, epoch_ms(timestamp) AS __t FROM raw")
        lo_ms, hi_ms = con.execute("SELECT MIN(__t), MAX(__t) FROM base").fetchone()
        values = {}
        for col in dc.STRINGS + dc.NUMERIC:
            values[col] = [r[0] for r in con.execute(f"SELECT DISTINCT {dc.q(col)} FROM base WHERE {dc.q(col)} IS NOT NULL USING SAMPLE 20 ROWS").fetchall()]
        rng = random.Random(a.seed)
        gen = dc.Gen(rng, values, lo_ms // 1000, hi_ms // 1000 + 1)
        nonempty = series = 0
        for n in range(a.specs):
            spec = gen.spec()
            extra = [] if rng.random() < 0.5 else ["--sample-rate", "none"]
            s = json.dumps(spec)
            rc1, local, err1 = run([a.apiary, "query", data, "--spec", s] + extra)
            rc2, pushed, err2 = run([a.apiary, "query", "--backend", url, "--table", "demo", "--spec", s] + extra, env)
            if rc1 != 0 or rc2 != 0:
                # Both refuse a spec, with the same words, or both answer.
                ok = None if rc1 != 0 and rc2 != 0 and err1 == err2 else f"local exit {rc1} ({err1}), pushed down exit {rc2} ({err2})"
                report(ok, f"spec {n} {' '.join(extra)}: {s}")
                continue
            l, p = json.loads(local), json.loads(pushed)
            nonempty += bool(l["results"])
            series += len(l["series"])
            report(first_difference(l, p, 1e-9), f"spec {n} {' '.join(extra)}: {s}")
        print(f"{nonempty} of {a.specs} specs had results, {series} series points compared")

        # BubbleUp: ClickHouse tallies the columns, the local engine reports: the same report,
        # in the same order (equal differences in value order, equal scores by name).
        def bubble_diff(l, p):
            if not close(l["selection"], p["selection"], 1e-9) or not close(l["baseline"], p["baseline"], 1e-9):
                return f"populations: {l['selection']} {l['baseline']} vs {p['selection']} {p['baseline']}"
            if sorted(map(json.dumps, l["skipped"])) != sorted(map(json.dumps, p["skipped"])):
                return f"skipped: {l['skipped']} vs {p['skipped']}"
            order = [c["column"] for c in l["columns"]]
            if order != [c["column"] for c in p["columns"]]:
                return f"ranking: {order[:6]} vs {[c['column'] for c in p['columns']][:6]}"
            for a, b in zip(l["columns"], p["columns"]):
                if a["kind"] != b["kind"] or not close(a["score"], b["score"], 1e-9):
                    return f"{a['column']}: {a['kind']} {a['score']} vs {b['kind']} {b['score']}"
                if [v["value"] for v in a["values"]] != [v["value"] for v in b["values"]]:
                    return f"{a['column']}: values in another order\n    {[v['value'] for v in a['values']][:8]}\n    {[v['value'] for v in b['values']][:8]}"
                d = first_difference(a["values"], b["values"], 1e-9)
                if d:
                    return f"{a['column']}: {d}"
            return None
        for n in range(24):
            lo_s, hi_s = lo_ms // 1000, hi_ms // 1000 + 1
            spec = {"start_time": lo_s, "end_time": hi_s} if n % 3 else {"time_range": rng.choice([3600, 21600])}
            if n % 4 == 1:
                spec["filters"] = [gen.filter()]
            a0 = rng.randint(lo_s, hi_s - 1800)
            sel = {"start_time": a0, "end_time": a0 + rng.choice([300, 1800, 7200])} if n % 2 == 0 else {}
            if n % 3 != 1:
                sel["filters"] = [rng.choice([{"column": "duration_ms", "op": ">=", "value": rng.choice([100, 500, 1000])}, {"column": "region", "op": "=", "value": "eu-west-1"}, {"column": "error", "op": "=", "value": True}])]
            extra = [] if n % 2 else ["--sample-rate", "none"]
            s_, t_ = json.dumps(spec), json.dumps(sel)
            rc1, local, err1 = run([a.apiary, "bubbleup", data, "--spec", s_, "--selection", t_] + extra)
            rc2, pushed, err2 = run([a.apiary, "bubbleup", "--backend", url, "--table", "demo", "--spec", s_, "--selection", t_] + extra, env)
            if rc1 or rc2:
                ok = None if rc1 and rc2 and err1 == err2 else f"local exit {rc1} ({err1}), pushed down exit {rc2} ({err2})"
                report(ok, f"bubbleup {s_} {t_}")
                continue
            report(bubble_diff(json.loads(local), json.loads(pushed)), f"bubbleup {' '.join(extra)}: {s_} selection {t_}")

        def both(spec, extra, what, table="demo", tol=1e-9):
            """`spec` run on the file and pushed down to `table`: both answer, the same to `tol`.
            Returns the local answer (None when either failed)."""
            s_ = json.dumps(spec)
            rc1, local, err1 = run([a.apiary, "query", data, "--spec", s_] + extra)
            rc2, pushed, err2 = run([a.apiary, "query", "--backend", url, "--table", table, "--spec", s_] + extra, env)
            if rc1 or rc2:
                report(f"local exit {rc1} ({err1}), pushed down exit {rc2} ({err2})", f"{what} {s_}")
                return None
            l = json.loads(local)
            report(first_difference(l, json.loads(pushed), tol), f"{what} {' '.join(extra)}: {s_}")
            return l

        # CONCURRENCY and RATE_* (not in the generator): partial aggregates pushed down.
        end_s = hi_ms // 1000 + 1
        for spec in [
            {"calculations": [{"op": "CONCURRENCY"}], "time_range": 7200},
            {"calculations": [{"op": "CONCURRENCY"}], "start_time": end_s - 21600, "end_time": end_s, "granularity": 60},
            {"calculations": [{"op": "COUNT"}, {"op": "CONCURRENCY"}], "breakdowns": ["region"], "filters": [{"column": "error", "op": "=", "value": True}], "time_range": 21600, "granularity": 900},
            {"calculations": [{"op": "RATE_AVG", "column": "duration_ms"}, {"op": "RATE_SUM", "column": "http.status_code"}, {"op": "RATE_MAX", "column": "duration_ms"}], "time_range": 3600, "granularity": 60},
            {"calculations": [{"op": "RATE_AVG", "column": "http.response.body.size"}], "breakdowns": ["service.name"], "orders": [{"column": "service.name"}], "limit": 3, "time_range": 21600},
        ]:
            for extra in ([], ["--sample-rate", "none"]):
                both(spec, extra, "timed")
        # Havings, orders and limits by one of them with GROUP BY: their totals made in SQL.
        timed_calcs = [{"op": "CONCURRENCY"}, {"op": "RATE_AVG", "column": "duration_ms"}, {"op": "RATE_SUM", "column": "http.response.body.size"}, {"op": "RATE_MAX", "column": "duration_ms"}]
        for n in range(16):
            c = timed_calcs[n % 4]
            calcs = [c] if n % 3 == 0 else [{"op": "COUNT"}, c]
            spec = {"calculations": calcs, "breakdowns": rng.sample(["region", "service.name", "http.route", "error"], 1 + n % 2), "time_range": rng.choice([3600, 21600])}
            if n % 2:
                spec["orders"] = [dict(c, order=rng.choice(["ascending", "descending"]))]
            if n % 4 in (1, 2):
                spec["havings"] = [dict({"calculate_op": c["op"], "op": rng.choice([">", "<", ">=", "<="]), "value": rng.choice([0, 1, 5, -0.5])}, **({"column": c["column"]} if "column" in c else {}))]
            if n % 3:
                spec["limit"] = rng.choice([2, 3, 5])
            if n % 5 == 0:
                spec["granularity"] = rng.choice([300, 900])
            both(spec, [] if n % 2 else ["--sample-rate", "none"], "timed by group")

        # The collector's layout: the same spans with attributes in maps.
        end = hi_ms // 1000 + 1
        for spec in [
            {"calculations": [{"op": "COUNT"}, {"op": "P99", "column": "duration_ms"}], "breakdowns": ["service.name"], "start_time": lo_ms // 1000, "end_time": end},
            {"calculations": [{"op": "COUNT"}, {"op": "AVG", "column": "duration_ms"}], "breakdowns": ["name", "error"], "filters": [{"column": "http.status_code", "op": ">=", "value": 500}], "start_time": lo_ms // 1000, "end_time": end, "granularity": 1800},
            {"calculations": [{"op": "HEATMAP", "column": "duration_ms"}, {"op": "COUNT_DISTINCT", "column": "trace.trace_id"}], "filters": [{"column": "trace.parent_id", "op": "does-not-exist"}], "time_range": 3600},
        ]:
            both(spec, [], "otel_traces", table="otel_traces", tol=1e-6)

        # One trace fetched from ClickHouse (its spans and nothing else) assembles as in the tab.
        rc, out, err = run([a.apiary, "query", data, "--spec", json.dumps({"calculations": [{"op": "MAX", "column": "duration_ms"}], "breakdowns": ["trace.trace_id"], "limit": 3, "time_range": 99999999})])
        for row in json.loads(out)["results"] if rc == 0 else []:
            tid = row["data"]["trace.trace_id"]
            for table in ("demo", "otel_traces"):
                rc1, local, err1 = run([a.apiary, "trace", data, "--trace-id", tid])
                rc2, pushed, err2 = run([a.apiary, "trace", "--backend", url, "--table", table, "--trace-id", tid], env)
                if rc1 or rc2:
                    report(f"local exit {rc1} ({err1}), pushed down exit {rc2} ({err2})", f"trace {tid} from {table}")
                    continue
                l, p = json.loads(local), json.loads(pushed)
                if table == "otel_traces":
                    # The collector's layout has other columns; the tree is the same.
                    keep = ("span_id", "parent_id", "name", "service", "depth", "error", "critical")
                    l = [{k: sp.get(k) for k in keep} for sp in l["spans"]]
                    p = [{k: sp.get(k) for k in keep} for sp in p["spans"]]
                report(first_difference(l, p, 1e-6), f"trace {tid} from {table}")
        if rc != 0:
            report(f"no traces to check: {err}", "traces")

        # Names, values and map keys that try to break out of SQL are data: the answers are
        # "no such column" or no rows, and the tables are all still there.
        for spec in [
            {"filters": [{"column": "service.name", "op": "=", "value": "x' OR 1=1 --"}], "time_range": 99999999},
            {"filters": [{"column": "service.name", "op": "in", "value": ["a'); DROP TABLE demo; --", "}{p0_i:Identifier}"]}], "time_range": 99999999},
            {"breakdowns": ["region`) FROM system.tables --"]},
            {"calculations": [{"op": "MAX", "column": "duration_ms`), sleep(3"}]},
        ]:
            s = json.dumps(spec)
            rc1, local, err1 = run([a.apiary, "query", data, "--spec", s])
            rc2, pushed, err2 = run([a.apiary, "query", "--backend", url, "--table", "demo", "--spec", s], env)
            same = (rc1 == rc2 == 0 and close(json.loads(local), json.loads(pushed), 1e-9)) or (rc1 != 0 and rc2 != 0 and err1 == err2)
            report(None if same else f"local {rc1} {err1 or local[:200]}, pushed down {rc2} {err2 or pushed[:200]}", f"injection: {s}")
        rc, out, err = run([a.apiary, "query", "--backend", url, "--table", "demo", "--spec", '{"time_range": 99999999}'], env)
        report(None if rc == 0 and json.loads(out)["results"][0]["data"]["COUNT"] > 0 else f"the demo table after the injections: {rc} {err}", "tables intact")

        # The quality report from the store equals the tab's: services, coverage, scores, every
        # finding but trace health's (a store's report has none), distinct values (exact ones
        # equal, estimates within 3%: HyperLogLog++ here, uniqCombined64 there).
        conventions = json.dumps({
            "name": "pushdown conventions",
            "required": [{"when": {"span.kind": "server"}, "attributes": ["http.route", "customer.plan", "nope.absent"]},
                         {"when": {"region": "eu-west-1", "span.kind": "client"}, "attributes": ["db.system"]}],
            "name_pattern": "^[a-z][a-z_]*(\\.[a-z][a-z_]*)*$",
            "attributes": {"team": {"type": "string", "values": ["storefront", "payments"]},
                           "customer.plan": {"pattern": "^(free|pro)$"}, "retry.count": {"type": "string"}}})
        for extra in ([], ["--conventions", conventions]):
            rc1, local, err1 = run([a.apiary, "quality", data, "--format", "json"] + extra)
            rc2, pushed, err2 = run([a.apiary, "quality", "--backend", url, "--table", "demo", "--format", "json"] + extra, env)
            what = f"quality report{' with conventions' if extra else ''}"
            if rc1 != 0 or rc2 != 0:
                report(f"local {rc1} {err1}, pushed down {rc2} {err2}", what)
                continue
            lq, pq = json.loads(local), json.loads(pushed)
            lq["findings"] = [f for f in lq["findings"] if not f["check"].startswith("trace.")]
            diff = None
            for key in ("events", "services", "attributes", "coverage", "findings", "conventions", "service_column"):
                diff = diff or first_difference(lq.get(key), pq.get(key), 1e-9, f"$.{key}")
            for lc, pc in zip(lq["columns"], pq["columns"]):
                if (lc["name"], lc["type"], lc["present"]) != (pc["name"], pc["type"], pc["present"]):
                    diff = diff or f"column {lc} vs {pc}"
                elif lc["exact"] and pc["exact"] and lc["distinct"] != pc["distinct"]:
                    diff = diff or f"distinct {lc} vs {pc}"
                elif abs(lc["distinct"] - pc["distinct"]) > 0.03 * max(lc["distinct"], 1):
                    diff = diff or f"estimate {lc} vs {pc}"
                elif (lc["id_like"], lc["bubbleup"]) != (pc["id_like"], pc["bubbleup"]):
                    diff = diff or f"notes {lc} vs {pc}"
            report(diff, what)
            if extra and diff is None and not any(f["check"] == "conventions.required" for f in pq["findings"]):
                report("no conventions.required finding", what)

        # A bad key is ClickHouse's own words; an unknown table too.
        rc, out, err = run([a.apiary, "query", "--backend", url, "--table", "demo", "--spec", "{}"], dict(env, APIARY_CLICKHOUSE_KEY="wrong"))
        report(None if rc != 0 and "AUTHENTICATION_FAILED" in err and "wrong" not in err else f"{rc} {err}", "a wrong key")
        rc, out, err = run([a.apiary, "query", "--backend", url, "--table", "nope", "--spec", "{}"], env)
        report(None if rc != 0 and "DB::Exception" in err and "nope" in err else f"{rc} {err}", "an unknown table")
    finally:
        srv.kill()
    print(f"pushdown: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
