#!/usr/bin/env python3
"""Reports for bench/pcpu-cache/run (standard library only).

  pcpu_report.py callgrind DIR N OUT_JSON
      Reads DIR/<impl>-<path>.out (callgrind, collected only inside the
      driver's measured loop of N map+release pairs) and writes
      instructions per operation: per pair, and per map and release call.
  pcpu_report.py summary BENCH_JSON CALLGRIND_JSON
      Prints per-CPU against global and 2 threads against 1, side by side.
"""
import json
import os
import re
import subprocess
import sys
import time

IMPLS = ("pcpu", "global")
WORKLOADS = ("hit", "miss", "mixed")


def callgrind_costs(path):
    """(total Ir, {callee: [calls, inclusive Ir]}) from one callgrind file.

    Only the call lines are needed: each "calls=" line is followed by a
    position and the inclusive cost of those calls.  Names may be
    compressed as "(id) name" on first use and "(id)" after."""
    names, callees, total = {}, {}, None
    callee, want_cost = None, 0
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if want_cost:
                callees.setdefault(callee, [0, 0])
                callees[callee][0] += want_cost
                callees[callee][1] += int(line.split()[-1])
                want_cost = 0
            elif line.startswith("cfn="):
                callee = resolve(names, line[4:])
            elif line.startswith("fn="):
                resolve(names, line[3:])
            elif line.startswith("calls="):
                want_cost = int(line[6:].split()[0])
            else:
                m = re.match(r"(?:totals|summary):\s+(\d+)", line)
                if m:
                    total = int(m.group(1))
    if total is None:
        raise SystemExit(f"{path}: no totals line")
    return total, callees


def resolve(names, ref):
    m = re.match(r"\((\d+)\)(?:\s+(.*))?$", ref)
    if not m:
        return ref
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), ref)


def valgrind_version():
    try:
        return subprocess.run(["valgrind", "--version"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return "unknown"


def cmd_callgrind(d, n, out):
    n = int(n)
    doc = {
        "tool": "callgrind",
        "valgrind": valgrind_version(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ops": n,
        "unit": "instructions per operation (Ir / ops)",
        "note": "map_release is one driver loop iteration: map + release + "
                "the loop itself; map and release are inclusive of callees "
                "(the fake page table's install/flush on a miss)",
    }
    for impl in IMPLS:
        doc[impl] = {}
        prefix = "pcpu_cache" if impl == "pcpu" else "pcpu_global"
        for path in ("hit", "miss"):
            total, callees = callgrind_costs(os.path.join(d, f"{impl}-{path}.out"))
            entry = {"map_release": round(total / n, 2)}
            for what in ("map", "release"):
                # Callgrind counts calls even while not collecting (the
                # warm-up), but costs only inside the measured loop, which
                # makes exactly n calls of each.
                calls, cost = callees.get(f"{prefix}_{what}", (0, 0))
                if calls < n:
                    raise SystemExit(f"{impl} {path}: {calls} calls to "
                                     f"{prefix}_{what}, expected >= {n}")
                entry[what] = round(cost / n, 2)
            doc[impl][path] = entry
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def bench_runs(path):
    """name -> (ns per iteration, items/s, best items/s): the median (and
    the best repetition) when repeated."""
    with open(path) as f:
        doc = json.load(f)
    runs, medians, best = {}, {}, {}
    for b in doc.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        key = b.get("run_name", b["name"])
        val = (b["real_time"], b.get("items_per_second", 0.0), b["cpu_time"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = val
        else:
            runs.setdefault(key, val)
            best[key] = max(best.get(key, 0.0), val[1])
    runs.update(medians)
    # (real ns/op, items/s, cpu ns/op, best items/s)
    return doc.get("context", {}), {k: v + (best.get(k, v[1]),) for k, v in runs.items()}


def ratio(a, b):
    return f"{a / b:5.2f}x" if a and b else "  n/a "


def cmd_summary(bench_json, cg_json):
    ctx, runs = bench_runs(bench_json)
    print(f"pcpu-cache benchmarks, {ctx.get('date', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs (shared, noisy); "
          "one op = map + release; median of repetitions, "
          "'best' = best 2T over best 1T; cpu ns = on-CPU time per op "
          "(real > cpu: the thread was descheduled); /ctl = best 2T/1T "
          "divided by control/alu's")
    print(f"{'workload':8} {'impl':6} {'1T ns/op':>9} {'cpu ns':>7} {'1T Mop/s':>9} "
          f"{'2T Mop/s':>9} {'2T/1T':>7} {'best':>7} {'/ctl':>6}")
    c1 = runs.get("control/alu/real_time", (0.0,) * 4)
    c2 = runs.get("control/alu/real_time/threads:2", (0.0,) * 4)
    # Scaling relative to the control's, best against best: near 1.0 means
    # "scales as well as code that shares nothing, on this machine now".
    ctl = c2[3] / c1[3] if c1[3] and c2[3] else 0.0
    tput = {}
    for w, impl in [(w, i) for w in WORKLOADS for i in IMPLS] + [("control", "alu")]:
        name = f"{w}/{impl}" if w == "control" else f"{impl}/{w}"
        one = runs.get(f"{name}/real_time", (0.0,) * 4)
        two = runs.get(f"{name}/real_time/threads:2", (0.0,) * 4)
        tput[impl, w] = (one[1], two[1])
        note = "   <- no sharing at all: the machine's 2T/1T now" if w == "control" else ""
        rel = (two[3] / one[3]) / ctl if ctl and one[3] else 0.0
        print(f"{w:8} {impl:6} {one[0]:9.2f} {one[2]:7.2f} {one[1] / 1e6:9.1f} "
              f"{two[1] / 1e6:9.1f} {ratio(two[1], one[1]):>7} "
              f"{ratio(two[3], one[3]):>7} {rel:6.2f}{note}")
    print("per-CPU / global throughput:  " + "  ".join(
        f"{w} 1T {ratio(tput['pcpu', w][0], tput['global', w][0]).strip()}"
        f" 2T {ratio(tput['pcpu', w][1], tput['global', w][1]).strip()}"
        for w in WORKLOADS))
    if cg_json and os.path.exists(cg_json):
        with open(cg_json) as f:
            cg = json.load(f)
        print("callgrind instructions per op (map+release incl. loop | map | release):")
        for path in ("hit", "miss"):
            cells = [f"{impl} {cg[impl][path]['map_release']:.0f} | "
                     f"{cg[impl][path]['map']:.0f} | {cg[impl][path]['release']:.0f}"
                     for impl in IMPLS]
            print(f"  {path:5} " + "    ".join(cells))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "callgrind":
        cmd_callgrind(*sys.argv[2:5])
    elif len(sys.argv) >= 3 and sys.argv[1] == "summary":
        cmd_summary(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
