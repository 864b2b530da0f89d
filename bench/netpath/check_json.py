#!/usr/bin/env python3
"""bench-smoke for netpath_bench: run it briefly, then check that the JSON
parses and names every expected benchmark with its counters.  Checks no
figure: timings are never asserted."""
import json
import subprocess
import sys

VARIANTS = ["netpath_zc_poll", "netpath_zc_idle", "netpath_copy_poll",
            "dpdk_rte_ring_spsc"]
SIZES = [64, 1500]
BATCHES = [1, 8, 32]


def main():
    binary, out = sys.argv[1], sys.argv[2]
    # Google Benchmark 1.7.1: --benchmark_min_time is plain seconds.
    subprocess.run([binary, "--benchmark_min_time=0.001",
                    "--benchmark_out=" + out, "--benchmark_out_format=json"],
                   check=True, stdout=subprocess.DEVNULL, timeout=240)
    with open(out) as f:
        doc = json.load(f)
    runs = {b["name"]: b for b in doc["benchmarks"]}
    missing = []
    for v in VARIANTS:
        for s in SIZES:
            for b in BATCHES:
                name = "%s/%d/%d/real_time" % (v, s, b)
                run = runs.get(name)
                if run is None:
                    missing.append(name)
                elif not run.get("error_occurred"):
                    for c in ("Mpps", "doorbells_per_pkt", "copies_per_pkt"):
                        if c not in run:
                            missing.append(name + ":" + c)
                elif not v.startswith("dpdk") and "pin" not in run.get("error_message", ""):
                    # netpath itself must run; only a machine without two
                    # CPUs to pin on may skip it.
                    missing.append(name + " failed: " + run.get("error_message", ""))
    if missing:
        print("netpath bench-smoke: missing or failed: " + ", ".join(missing))
        return 1
    skipped = [n for n, r in runs.items() if r.get("error_occurred")]
    print("netpath bench-smoke: %d benchmarks named, %d skipped%s" %
          (len(runs), len(skipped),
           (" (" + runs[skipped[0]].get("error_message", "") + ")") if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
