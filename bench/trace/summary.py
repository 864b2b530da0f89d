#!/usr/bin/env python3
"""Side-by-side summary of bench/trace results (standard library only).

usage: summary.py RESULTS/trace   (reads bench_trace.json, icount.json,
run.json).  ns figures are medians of the repetitions minus the empty loop;
instruction counts are exact (callgrind) minus the empty loop."""
import json
import os
import sys

ROWS = [
    ("disabled", "vmk_disabled", "ust_disabled"),
    ("enabled, written", "vmk_overwrite", "ust_enabled"),
    ("enabled, refused (drop-new full)", "vmk_dropnew_full", None),
]


def load(d, name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


def ns_table(bench):
    """name -> median cpu ns per iteration."""
    t = {}
    for b in bench["benchmarks"]:
        name = b["name"]
        if b.get("aggregate_name") == "median" or (
                "aggregate_name" not in b and name not in t):
            t[b.get("run_name", name).split("/", 1)[1]] = b["cpu_time"]
    return t


def fmt(v, unit):
    return "%8.2f %s" % (v, unit) if v is not None else "%8s %s" % ("-", unit)


def ratio(a, b):
    """a / b, only when both are clearly above measurement noise."""
    if a is None or b is None or a < 1 or b < 1:
        return "-"
    return "%.1fx" % (a / b)


def main():
    d = sys.argv[1]
    bench, ic, run = load(d, "bench_trace.json"), load(d, "icount.json"), \
        load(d, "run.json")
    ns = ns_table(bench)
    loop_ns = ns.get("loop_baseline", 0.0)
    print("trace event cost, vmk ring vs LTTng-UST (%s, %s, %s CPUs)" % (
        run["date"] if run else "?", run["cpu"] if run else "?",
        run["cpus"] if run else "?"))
    print("LTTng-UST session: %s; callgrind ust_enabled=%s; clocksource %s"
          % (run["ust_session"] if run else "?",
             ic["ust_enabled"] if ic else "?",
             run["clocksource"] if run else "?"))
    print("%-34s %13s %13s %8s %13s %13s %8s" % (
        "event", "vmk ns", "UST ns", "UST/vmk", "vmk instr", "UST instr",
        "UST/vmk"))
    for label, vmk, ust in ROWS:
        vn = ns[vmk] - loop_ns if vmk in ns else None
        un = ns[ust] - loop_ns if ust and ust in ns else None
        vi = ic["cases"][vmk]["ir_per_event"] if ic else None
        ui = ic["cases"][ust]["ir_per_event"] if ic and ust else None
        print("%-34s %13s %13s %8s %13s %13s %8s" % (
            label, fmt(vn, "ns"), fmt(un, "ns"), ratio(un, vn),
            fmt(vi, "in"), fmt(ui, "in"), ratio(ui, vi)))
    print("raw median CPU ns per iteration: " + ", ".join(
        "%s %.2f" % (k, v) for k, v in sorted(ns.items())))
    print("(ns: median CPU time minus the empty loop's %.2f ns; noisy shared "
          "cores.  instr: callgrind, exact, minus the loop's %.0f)"
          % (loop_ns, ic["loop_ir_per_iteration"] if ic else 0))


if __name__ == "__main__":
    main()
