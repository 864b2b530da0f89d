#!/usr/bin/env python3
"""Merge bench/storpath/run's raw outputs into bench.json and print the
summary: per row (workload, queue depth) the pairs of back-to-back runs,
each pair's ratios storpath / fio, their median with a distribution-free
95% interval, and the verdict against the issue's target (decide.py).
Reports only what was measured.

    summary.py --out DIR --rows "randread:1 ..." --pairs N --runtime S
               --size-mb M --batched 0|1 --fs FS --device DEV --fio VERSION"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys

import decide

METRICS = ["iops", "p50_us", "p99_us", "p999_us", "cpu_us_per_io"]
ALL_ROWS = [(rw, qd) for rw in ("randread", "randwrite") for qd in (1, 16, 128)]
SIDES = ("storpath", "fio", "fio_batched")
PREFIX = {"storpath": "storpath", "fio": "fio", "fio_batched": "fiob"}
SUMS = ("payload_copies", "zero_copy_ios", "errors", "ios")


def count(x):
    """A Google Benchmark counter (a double) that counts: as an int."""
    if x != int(x):
        raise ValueError("counter %r is not a whole number" % x)
    return int(x)


def storpath_run(path):
    with open(path) as f:
        doc = json.load(f)
    runs = [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        return {"error": "no benchmark in " + os.path.basename(path)}
    b = runs[0]
    if b.get("error_occurred"):
        return {"error": b.get("error_message", "failed")}
    return {
        "iops": b["items_per_second"],
        "p50_us": b["p50_us"],
        "p99_us": b["p99_us"],
        "p999_us": b["p999_us"],
        "cpu_us_per_io": b["cpu_us_per_io"],
        "payload_copies": count(b["payload_copies"]),
        "zero_copy_ios": count(b["zero_copy_ios"]),
        "enters_per_io": b["enters_per_io"],
        "doorbells_per_io": b["doorbells_per_io"],
        "irqs_per_io": b["irqs_per_io"],
        "errors": count(b["errors"]),
        "ios": b["iterations"],
    }


def fio_run(path, rw):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON object.
    doc = json.loads(text[text.index("{"):])
    job = doc["jobs"][0]
    side = job[rw]
    pct = side["lat_ns"]["percentile"]
    ios = side["total_ios"]
    cpu_s = (job["usr_cpu"] + job["sys_cpu"]) / 100.0 * job["job_runtime"] / 1000.0
    return {
        "iops": side["iops"],
        "p50_us": pct["50.000000"] / 1000.0,
        "p99_us": pct["99.000000"] / 1000.0,
        "p999_us": pct["99.900000"] / 1000.0,
        "cpu_us_per_io": cpu_s * 1e6 / ios if ios else 0.0,
        "errors": job.get("error", 0),
        "ios": ios,
    }


def load_run(out, side, rw, qd, rnd):
    path = os.path.join(out, "raw", "%s_%s_%d_%d.json" % (PREFIX[side], rw[4:], qd, rnd))
    try:
        if side == "storpath":
            return storpath_run(path)
        return fio_run(path, rw[4:])
    except (OSError, ValueError, KeyError, IndexError) as e:
        return {"error": "%s: %s" % (os.path.basename(path), e)}


def schedule(out):
    """(rw, qd, round) -> {side: (seq, start, load1)} from raw/schedule.txt."""
    res = {}
    with open(os.path.join(out, "raw", "schedule.txt")) as f:
        for line in f:
            seq, rnd, rw, qd, side, start, load1 = line.split()
            res.setdefault((rw, int(qd), int(rnd)), {})[side] = (
                int(seq), float(start), float(load1))
    return res


def ratios(a, b):
    if "error" in a or "error" in b:
        return None
    return {k: a[k] / b[k] if b.get(k) else None for k in METRICS}


def make_pair(rnd, sched, runs):
    """One pair: its runs (storpath, fio, maybe fio batched), which went
    first, and the ratios storpath / each baseline."""
    order = sorted(sched, key=lambda s: sched[s][0])
    p = {"round": rnd, "order": order, "start": sched[order[0]][1], "load1": sched[order[0]][2]}
    p.update(runs)
    p["ratio"] = ratios(runs["storpath"], runs["fio"])
    if "fio_batched" in runs:
        p["ratio_batched"] = ratios(runs["storpath"], runs["fio_batched"])
    return p


def side_summary(runs, side):
    """Medians over a side's good runs; storpath's counters summed."""
    good = [r for r in runs if "error" not in r]
    res = {"runs": len(runs), "failed": len(runs) - len(good)}
    if good:
        for k in good[0]:
            if side == "storpath" and k in SUMS:
                res[k] = sum(r[k] for r in good)
            else:
                res[k] = statistics.median(r[k] for r in good)
    return res


def row_decision(pairs, key, copies):
    good = [p[key] for p in pairs
            if p.get(key) and p[key]["iops"] is not None and p[key]["p99_us"] is not None]
    d = decide.decide([r["iops"] for r in good], [r["p99_us"] for r in good], copies)
    d["pairs_used"] = len(good)
    d["pairs_failed"] = len(pairs) - len(good)
    return d


def median_ratios(pairs, key):
    good = [p[key] for p in pairs if p.get(key)]
    return {k: statistics.median(r[k] for r in good if r[k] is not None)
            if any(r[k] is not None for r in good) else None for k in METRICS}


def build_row(rw, qd, pairs, icount=None):
    sides = [s for s in SIDES if any(s in p for p in pairs)]
    row = {"rw": rw, "qd": qd, "block": 4096}
    for s in sides:
        row[s] = side_summary([p[s] for p in pairs], s)
    if icount is not None:
        row["storpath"]["instructions_per_io"] = icount
    copies = row["storpath"].get("payload_copies", 0)
    row["ratio"] = median_ratios(pairs, "ratio")
    row["decision"] = row_decision(pairs, "ratio", copies)
    if "fio_batched" in sides:
        row["ratio_batched"] = median_ratios(pairs, "ratio_batched")
        row["decision_batched"] = row_decision(pairs, "ratio_batched", copies)
    row["pairs"] = pairs
    return row


def icounts(out):
    """(rw, qd) -> exact instructions per I/O, from run's callgrind pass."""
    res = {}
    try:
        with open(os.path.join(out, "icount.txt")) as f:
            for line in f:
                rw, qd, ir, n = line.split()
                res[("rand" + rw, int(qd))] = int(ir) / int(n)
    except FileNotFoundError:
        pass
    return res


def collect(out, rows, npairs, batched):
    sched = schedule(out)
    icount = icounts(out)
    res = []
    for rw, qd in rows:
        pairs = []
        for rnd in range(1, npairs + 1):
            sides = ["storpath", "fio"] + (["fio_batched"] if batched else [])
            runs = {s: load_run(out, s, rw, qd, rnd) for s in sides}
            s = sched.get((rw, qd, rnd))
            if s is None or set(s) != set(sides):
                raise SystemExit("summary.py: schedule.txt lacks %s/%d round %d" % (rw, qd, rnd))
            pairs.append(make_pair(rnd, s, runs))
        res.append(build_row(rw, qd, pairs, icount.get((rw, qd))))
    return res


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def ci_text(c):
    if c["ci_low"] is None:
        return "%s [  -  ,   -  ]" % fmt(c["median"], "5.2f")
    return "%5.2f [%5.2f, %5.2f]" % (c["median"], c["ci_low"], c["ci_high"])


def verdict_text(d):
    v = d["verdict"]
    if v == decide.INCONCLUSIVE:
        v += (" (+%d pairs)" % d["more_pairs"] if d["more_pairs"] is not None
              else " (needs > %d pairs)" % decide.MAX_PAIRS)
    return v


def show_table(rows, side, key, title):
    print(title)
    print("%-10s %4s | %9s %9s | %-20s | %8s %8s | %-20s | %6s %6s | %6s | %s" % (
        "workload", "QD", "IOPS sp", "IOPS " + ("fio" if side == "fio" else "fiob"),
        "IOPS x [95% CI]", "p99 sp", "p99 fio" if side == "fio" else "p99 fiob",
        "p99 x [95% CI]", "cpu sp", "cpu fi", "copies", "verdict"))
    for row in rows:
        s, f, d = row["storpath"], row[side], row[key]
        print("%-10s %4d | %9s %9s | %-20s | %8s %8s | %-20s | %6s %6s | %6s | %s" % (
            row["rw"], row["qd"], fmt(s.get("iops"), ".0f"), fmt(f.get("iops"), ".0f"),
            ci_text(d["iops"]), fmt(s.get("p99_us"), ".1f"), fmt(f.get("p99_us"), ".1f"),
            ci_text(d["p99_us"]), fmt(s.get("cpu_us_per_io"), ".2f"),
            fmt(f.get("cpu_us_per_io"), ".2f"), fmt(s.get("payload_copies"), ".0f"),
            verdict_text(d)))
    print()


def show(doc):
    rows = doc["results"]
    ctx = doc["context"]
    print("storpath vs fio io_uring: %d pairs per row, %gs per run; x = median of the "
          "per-pair ratios storpath / fio, 95%% distribution-free interval of that median"
          % (ctx["pairs"], ctx["runtime_s"]))
    print("target: IOPS x interval >= %g and p99 x interval <= %g, 0 payload copies\n"
          % (decide.IOPS_MIN, decide.P99_MAX))
    show_table(rows, "fio", "decision", "against fio's defaults (the issue's baseline)")
    if ctx["batched"]:
        show_table(rows, "fio_batched", "decision_batched",
                   "against fio with batched submission (--iodepth_batch_submit=QD)")
    print("%-10s %4s | %9s | %9s | %s" % ("workload", "QD", "instr/io", "enters/io", "zero-copy I/Os"))
    for row in rows:
        s = row["storpath"]
        print("%-10s %4d | %9s | %9s | %s" % (
            row["rw"], row["qd"], fmt(s.get("instructions_per_io"), ".0f"),
            fmt(s.get("enters_per_io"), ".3f"), fmt(s.get("zero_copy_ios"), ".0f")))
    print("latency in us (submit to completion seen by the driver; fio: lat); cpu in us "
          "per I/O (user + system of the submitting thread); instr/io: storpath's own "
          "path under callgrind (exact)\n")
    for row in rows:
        d = row["decision"]
        if d["verdict"] != decide.MET:
            print("%s/%d: %s: %s" % (row["rw"], row["qd"], d["verdict"], d["why"]))
    o = doc["overall"]
    print("issue 9 target against fio's defaults: %s (%d met, %d missed, %d inconclusive%s)" % (
        o["verdict"], o["met"], o["missed"], o["inconclusive"],
        ", %d of 6 rows not run" % o["rows_not_run"] if o["rows_not_run"] else ""))


def parse_rows(text):
    rows = []
    for item in text.split():
        rw, _, qd = item.partition(":")
        if (rw, int(qd) if qd.isdigit() else -1) not in ALL_ROWS:
            raise SystemExit("summary.py: unknown row %r" % item)
        rows.append((rw, int(qd)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("--runtime", type=float, required=True)
    ap.add_argument("--size-mb", type=int, required=True)
    ap.add_argument("--batched", type=int, choices=(0, 1), required=True)
    ap.add_argument("--fs", default="unknown")
    ap.add_argument("--device", default="unknown")
    ap.add_argument("--fio", default="unknown")
    a = ap.parse_args()
    rows = collect(a.out, parse_rows(a.rows), a.pairs, a.batched)
    doc = {
        "context": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(),
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "filesystem": a.fs,
            "device": a.device,
            "file_mib": a.size_mb,
            "runtime_s": a.runtime,
            "pairs": a.pairs,
            "batched": bool(a.batched),
            "fio": a.fio.strip(),
            "note": "shared 2-core VM; wall-clock figures vary run to run, "
                    "hence pairs and intervals",
        },
        "target": {"iops_ratio_min": decide.IOPS_MIN, "p99_ratio_max": decide.P99_MAX,
                   "payload_copies": 0, "ci_level": decide.LEVEL,
                   "ci": "order statistics of the per-pair ratios (distribution-free)"},
        "overall": decide.overall(rows, ALL_ROWS),
        "results": rows,
    }
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
    show(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
