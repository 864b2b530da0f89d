#!/usr/bin/env python3
"""Merge bench/storpath/run's raw outputs into bench.json and print the
side-by-side summary: storpath against fio's io_uring engine, medians over
repetitions, with ratios (storpath / fio) and the issue's target
(IOPS >= 0.95x fio, p99 <= 1.1x fio).  Reports only what was measured."""
import datetime
import glob
import json
import os
import platform
import statistics
import sys

METRICS = ["iops", "p50_us", "p99_us", "p999_us", "cpu_us_per_io"]


def storpath_run(path):
    with open(path) as f:
        doc = json.load(f)
    runs = [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        return None
    b = runs[0]
    if b.get("error_occurred"):
        return {"error": b.get("error_message", "failed")}
    return {
        "iops": b["items_per_second"],
        "p50_us": b["p50_us"],
        "p99_us": b["p99_us"],
        "p999_us": b["p999_us"],
        "cpu_us_per_io": b["cpu_us_per_io"],
        "payload_copies": b["payload_copies"],
        "zero_copy_ios": b["zero_copy_ios"],
        "enters_per_io": b["enters_per_io"],
        "doorbells_per_io": b["doorbells_per_io"],
        "irqs_per_io": b["irqs_per_io"],
        "errors": b["errors"],
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


def medians(reps):
    good = [r for r in reps if r and "error" not in r]
    if not good:
        return {"error": (reps[0] or {}).get("error", "no runs") if reps else "no runs",
                "reps": reps}
    m = {k: statistics.median(r[k] for r in good) for k in good[0] if k != "error"}
    m["reps"] = reps
    return m


def ratio(a, b, key):
    if "error" in a or "error" in b or not b.get(key):
        return None
    return a[key] / b[key]


def icounts(out):
    """(rw, qd) -> exact instructions per I/O, from run's callgrind pass."""
    res = {}
    try:
        with open(os.path.join(out, "icount.txt")) as f:
            for line in f:
                rw, qd, ir, n = line.split()
                res[(rw, int(qd))] = int(ir) / int(n)
    except FileNotFoundError:
        pass
    return res


def collect(out):
    icount = icounts(out)
    rows = []
    for rw in ("read", "write"):
        for qd in (1, 16, 128):
            sp = [storpath_run(p) for p in
                  sorted(glob.glob(os.path.join(out, "raw", "storpath_%s_%d_*.json" % (rw, qd))))]
            fi = [fio_run(p, rw) for p in
                  sorted(glob.glob(os.path.join(out, "raw", "fio_%s_%d_*.json" % (rw, qd))))]
            fb = [fio_run(p, rw) for p in
                  sorted(glob.glob(os.path.join(out, "raw", "fiob_%s_%d_*.json" % (rw, qd))))]
            s, f, b = medians(sp), medians(fi), medians(fb)
            if (rw, qd) in icount:
                s["instructions_per_io"] = icount[(rw, qd)]
            r = {k: ratio(s, f, k) for k in METRICS}
            rb = {k: ratio(s, b, k) for k in METRICS}
            met = None
            if r["iops"] is not None and r["p99_us"] is not None:
                met = r["iops"] >= 0.95 and r["p99_us"] <= 1.1
            metb = None
            if rb["iops"] is not None and rb["p99_us"] is not None:
                metb = rb["iops"] >= 0.95 and rb["p99_us"] <= 1.1
            rows.append({"rw": "rand" + rw, "qd": qd, "block": 4096,
                         "storpath": s, "fio": f, "fio_batched": b,
                         "ratio": r, "ratio_batched": rb,
                         "target_met": met, "target_met_vs_batched": metb})
    return rows


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def show(rows):
    print("storpath vs fio io_uring (medians; ratio = storpath / fio)")
    print("%-10s %4s | %9s %9s %5s | %8s %8s | %8s %8s %5s | %8s %8s | %6s %6s %5s | %s" % (
        "workload", "QD", "IOPS sp", "IOPS fio", "x", "p50 sp", "p50 fio",
        "p99 sp", "p99 fio", "x", "p99.9 sp", "p99.9fio",
        "cpu sp", "cpufio", "x", "copies / target"))
    for row in rows:
        s, f, r = row["storpath"], row["fio"], row["ratio"]
        tgt = {True: "met", False: "MISSED", None: "n/a"}[row["target_met"]]
        print("%-10s %4d | %9s %9s %5s | %8s %8s | %8s %8s %5s | %8s %8s | %6s %6s %5s | %s / %s" % (
            row["rw"], row["qd"], fmt(s.get("iops"), ".0f"), fmt(f.get("iops"), ".0f"),
            fmt(r["iops"], ".2f"), fmt(s.get("p50_us"), ".1f"), fmt(f.get("p50_us"), ".1f"),
            fmt(s.get("p99_us"), ".1f"), fmt(f.get("p99_us"), ".1f"), fmt(r["p99_us"], ".2f"),
            fmt(s.get("p999_us"), ".1f"), fmt(f.get("p999_us"), ".1f"),
            fmt(s.get("cpu_us_per_io"), ".2f"), fmt(f.get("cpu_us_per_io"), ".2f"),
            fmt(r["cpu_us_per_io"], ".2f"), fmt(s.get("payload_copies"), ".0f"), tgt))
    print()
    print("against fio with batched submission (--iodepth_batch_submit=QD)")
    print("%-10s %4s | %9s %9s %5s | %8s %8s %5s | %6s %6s %5s | %9s | %s" % (
        "workload", "QD", "IOPS sp", "IOPS fiob", "x", "p99 sp", "p99 fiob", "x",
        "cpu sp", "cpufb", "x", "instr/io", "target"))
    for row in rows:
        s, f, r = row["storpath"], row["fio_batched"], row["ratio_batched"]
        tgt = {True: "met", False: "MISSED", None: "n/a"}[row["target_met_vs_batched"]]
        print("%-10s %4d | %9s %9s %5s | %8s %8s %5s | %6s %6s %5s | %9s | %s" % (
            row["rw"], row["qd"], fmt(s.get("iops"), ".0f"), fmt(f.get("iops"), ".0f"),
            fmt(r["iops"], ".2f"), fmt(s.get("p99_us"), ".1f"), fmt(f.get("p99_us"), ".1f"),
            fmt(r["p99_us"], ".2f"), fmt(s.get("cpu_us_per_io"), ".2f"),
            fmt(f.get("cpu_us_per_io"), ".2f"), fmt(r["cpu_us_per_io"], ".2f"),
            fmt(s.get("instructions_per_io"), ".0f"), tgt))
    print("latency in us (submit to completion seen by the driver; fio: lat), "
          "cpu in us per I/O (user + system of the submitting thread), "
          "instr/io: storpath's own path under callgrind (exact)")


def main():
    out, fs, src, size_mb, runtime, reps, fio_version = sys.argv[1:8]
    rows = collect(out)
    doc = {
        "context": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(),
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "filesystem": fs,
            "device": src,
            "file_mib": int(size_mb),
            "runtime_s": float(runtime),
            "repetitions": int(reps),
            "fio": fio_version.strip(),
            "note": "shared, noisy 2-core VM; wall-clock figures vary run to run",
        },
        "target": {"iops_ratio_min": 0.95, "p99_ratio_max": 1.1},
        "results": rows,
    }
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
    show(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
