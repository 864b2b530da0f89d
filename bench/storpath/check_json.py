#!/usr/bin/env python3
"""Check bench/storpath/run's bench.json.

    check_json.py RUN RESULTS      bench-smoke: run RUN in its tiny form (SMOKE=1)
                                   into RESULTS, then check its bench.json
    check_json.py --json FILE      check an existing bench.json

Checks the structure and the internal consistency of the decision: every
row's pairs and ratios, each interval's median and bounds against the pair
ratios listed, each verdict against its bounds and the target, the overall
verdict against the rows.  The smoke form also wants all six rows, 0
payload copies, 0 errors and no failed pair.  Checks no timing: wall-clock
figures are never asserted."""
import json
import math
import os
import statistics
import subprocess
import sys

ALL_ROWS = [(rw, qd) for rw in ("randread", "randwrite") for qd in (1, 16, 128)]
METRICS = ("iops", "p50_us", "p99_us", "p999_us", "cpu_us_per_io")
VERDICTS = ("MET", "MISSED", "INCONCLUSIVE")
IOPS_MIN, P99_MAX, LEVEL = 0.95, 1.1, 0.95


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def close(a, b):
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def check_criterion(c, ratios, threshold, want, where):
    """One criterion of a decision against the ratios it was made from."""
    p = []
    if not isinstance(c, dict):
        return ["%s: not an object" % where]
    xs = sorted(ratios)
    n = len(xs)
    if c.get("n") != n:
        p.append("%s.n is %r, %d pair ratios" % (where, c.get("n"), n))
    if c.get("threshold") != threshold or c.get("want") != want or c.get("ci_level") != LEVEL:
        p.append("%s: threshold/want/ci_level not %g/%s/%g" % (where, threshold, want, LEVEL))
    med, lo, hi, v = c.get("median"), c.get("ci_low"), c.get("ci_high"), c.get("verdict")
    if n and not (num(med) and close(med, statistics.median(xs))):
        p.append("%s.median %r is not the median of the pair ratios" % (where, med))
    if v not in VERDICTS:
        return p + ["%s.verdict %r" % (where, v)]
    more = c.get("more_pairs")
    if more is not None and not (isinstance(more, int) and more > 0):
        p.append("%s.more_pairs %r" % (where, more))
    if lo is None and hi is None:
        if n >= 6:
            p.append("%s: no interval from %d pairs" % (where, n))
        if v != "INCONCLUSIVE":
            p.append("%s: %s without an interval" % (where, v))
        return p
    if not (num(lo) and num(hi) and num(med) and lo <= med <= hi):
        return p + ["%s: interval [%r, %r] around median %r" % (where, lo, hi, med)]
    if not any(xs[k - 1] == lo and xs[n - k] == hi for k in range(1, (n + 1) // 2 + 1)):
        p.append("%s: [%g, %g] are not symmetric order statistics of the ratios" % (where, lo, hi))
    cov = c.get("coverage")
    if not (num(cov) and LEVEL <= cov <= 1):
        p.append("%s.coverage %r" % (where, cov))
    good = lo >= threshold if want == ">=" else hi <= threshold
    bad = hi < threshold if want == ">=" else lo > threshold
    if v != ("MET" if good else "MISSED" if bad else "INCONCLUSIVE"):
        p.append("%s.verdict %s contradicts [%g, %g] against %g" % (where, v, lo, hi, threshold))
    return p


def check_decision(d, pairs, key, copies, where):
    if not isinstance(d, dict):
        return ["%s missing" % where]
    good = [q[key] for q in pairs if isinstance(q.get(key), dict)
            and num(q[key].get("iops")) and num(q[key].get("p99_us"))]
    p = check_criterion(d.get("iops"), [r["iops"] for r in good], IOPS_MIN, ">=", where + ".iops")
    p += check_criterion(d.get("p99_us"), [r["p99_us"] for r in good], P99_MAX, "<=",
                         where + ".p99_us")
    if p:
        return p
    if d.get("payload_copies") != copies:
        p.append("%s.payload_copies %r, storpath copied %r" % (where, d.get("payload_copies"), copies))
    vs = (d["iops"]["verdict"], d["p99_us"]["verdict"])
    want = ("MISSED" if "MISSED" in vs or copies else
            "MET" if vs == ("MET", "MET") else "INCONCLUSIVE")
    if d.get("verdict") != want:
        p.append("%s.verdict %r, its criteria say %s" % (where, d.get("verdict"), want))
    if d.get("pairs_used") != len(good) or d.get("pairs_failed") != len(pairs) - len(good):
        p.append("%s: pairs_used/pairs_failed do not count the pairs" % where)
    return p


def check_pair(q, i, sides, where):
    p = []
    if not isinstance(q, dict):
        return ["%s: pair %d not an object" % (where, i)]
    if q.get("round") != i + 1:
        p.append("%s: pair %d has round %r" % (where, i, q.get("round")))
    if not isinstance(q.get("order"), list) or sorted(q["order"]) != sorted(sides):
        p.append("%s: pair %d order %r" % (where, i, q.get("order")))
    for s in sides:
        if not isinstance(q.get(s), dict):
            p.append("%s: pair %d lacks %s" % (where, i, s))
    for key in ("ratio", "ratio_batched") if "fio_batched" in sides else ("ratio",):
        r = q.get(key, "missing")
        if r is None:
            continue        # a side of this pair failed; counted in pairs_failed
        if not isinstance(r, dict):
            p.append("%s: pair %d.%s %r" % (where, i, key, r))
            continue
        for k in ("iops", "p99_us"):
            if not (num(r.get(k)) and r[k] > 0):
                p.append("%s: pair %d.%s.%s %r" % (where, i, key, k, r.get(k)))
    return p


def check_row(row, npairs, batched):
    where = "%s/%s" % (row.get("rw"), row.get("qd"))
    sides = ("storpath", "fio") + (("fio_batched",) if batched else ())
    p = []
    for s in sides:
        side = row.get(s)
        if not isinstance(side, dict):
            p.append("%s: %s missing" % (where, s))
            continue
        for k in METRICS:
            if side.get("failed", 1) < side.get("runs", 0) and not num(side.get(k)):
                p.append("%s: %s.%s missing" % (where, s, k))
    if p:
        return p
    sp = row["storpath"]
    copies = sp.get("payload_copies", 0)
    if sp.get("failed", 1) < sp.get("runs", 0):
        if not (isinstance(copies, int) and copies >= 0):
            p.append("%s: storpath.payload_copies %r" % (where, copies))
        if not (num(sp.get("zero_copy_ios")) and sp["zero_copy_ios"] >= 0):
            p.append("%s: storpath.zero_copy_ios %r" % (where, sp.get("zero_copy_ios")))
    pairs = row.get("pairs")
    if not isinstance(pairs, list) or len(pairs) != npairs:
        return p + ["%s: %r pairs, context says %d" % (
            where, len(pairs) if isinstance(pairs, list) else pairs, npairs)]
    for i, q in enumerate(pairs):
        p += check_pair(q, i, sides, where)
    if p:
        return p
    p += check_decision(row.get("decision"), pairs, "ratio", copies, where + " decision")
    if batched:
        p += check_decision(row.get("decision_batched"), pairs, "ratio_batched", copies,
                            where + " decision_batched")
    return p


def validate(doc):
    """Problems with a bench.json document, [] if none."""
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    ctx, rows = doc.get("context"), doc.get("results")
    if not isinstance(ctx, dict) or not isinstance(rows, list) or not rows:
        return ["context or results missing"]
    p = ["context.%s missing" % k for k in ("date", "filesystem", "fio") if k not in ctx]
    npairs, batched = ctx.get("pairs"), ctx.get("batched")
    if not (isinstance(npairs, int) and not isinstance(npairs, bool) and npairs > 0):
        return p + ["context.pairs %r" % (npairs,)]
    if not isinstance(batched, bool):
        return p + ["context.batched %r" % (batched,)]
    if doc.get("target") != {"iops_ratio_min": IOPS_MIN, "p99_ratio_max": P99_MAX,
                             "payload_copies": 0, "ci_level": LEVEL,
                             "ci": "order statistics of the per-pair ratios (distribution-free)"}:
        p.append("target %r" % (doc.get("target"),))
    seen = []
    for row in rows:
        if not isinstance(row, dict) or (row.get("rw"), row.get("qd")) not in ALL_ROWS:
            p.append("unknown row %r" % ((row.get("rw"), row.get("qd")) if isinstance(row, dict)
                                         else row,))
            continue
        if (row["rw"], row["qd"]) in seen:
            p.append("%s/%d twice" % (row["rw"], row["qd"]))
        seen.append((row["rw"], row["qd"]))
        p += check_row(row, npairs, batched)
    if p:
        return p
    verdicts = [r["decision"]["verdict"] for r in rows]
    o = doc.get("overall")
    count = {v: verdicts.count(v) for v in VERDICTS}
    want = ("MISSED" if count["MISSED"] else
            "MET" if count["MET"] == len(ALL_ROWS) else "INCONCLUSIVE")
    if not isinstance(o, dict) or o.get("verdict") != want or \
            (o.get("met"), o.get("missed"), o.get("inconclusive"), o.get("rows_not_run")) != \
            (count["MET"], count["MISSED"], count["INCONCLUSIVE"], len(ALL_ROWS) - len(seen)):
        p.append("overall %r, rows say %s %r" % (o, want, count))
    return p


def smoke_problems(doc):
    """What the smoke run must show beyond a valid document."""
    p = []
    got = {(r["rw"], r["qd"]): r for r in doc["results"]}
    for rw, qd in ALL_ROWS:
        row = got.get((rw, qd))
        if row is None:
            p.append("%s/%d missing" % (rw, qd))
            continue
        sp = row["storpath"]
        if sp.get("payload_copies") != 0:
            p.append("%s/%d: payload copies" % (rw, qd))
        if sp.get("errors") != 0 or sp.get("failed") != 0 or row["fio"].get("failed") != 0:
            p.append("%s/%d: I/O errors or failed runs" % (rw, qd))
        if not sp.get("zero_copy_ios"):
            p.append("%s/%d: no zero-copy I/O counted" % (rw, qd))
        if row["decision"]["pairs_failed"]:
            p.append("%s/%d: failed pairs" % (rw, qd))
    return p


def main(argv):
    if len(argv) == 3 and argv[1] == "--json":
        path, smoke = argv[2], False
    elif len(argv) == 3:
        run, results = argv[1], argv[2]
        env = dict(os.environ, SMOKE="1")
        subprocess.run(["bash", run, "--results", results], check=True, env=env,
                       stdout=subprocess.DEVNULL, timeout=280)
        path, smoke = os.path.join(results, "storpath", "bench.json"), True
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("storpath bench check: %s: %s" % (path, e))
        return 1
    problems = validate(doc)
    if not problems and smoke:
        problems = smoke_problems(doc)
    if problems:
        print("storpath bench check: " + "; ".join(problems))
        return 1
    print("storpath bench check: %d rows, %d pairs each, decisions consistent%s; overall %s" % (
        len(doc["results"]), doc["context"]["pairs"],
        ", 0 copies, 0 errors" if smoke else "", doc["overall"]["verdict"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
