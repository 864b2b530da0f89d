#!/usr/bin/env python3
"""bench-smoke for netpath_bench: run it briefly, then check that the JSON
parses and names every expected benchmark with its counters, and that
summary.py turns it into the side-by-side section ("netpath_vs_rte_ring")
with every row, both ratios and the target's verdict.  Checks no timing;
only what holds by construction: zero copy makes no copy, and no run rings
more than one doorbell per batch."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROW_KEYS = ["size", "batch", "netpath_zc_poll_mpps", "rte_ring_mpps", "mpps_ratio",
            "netpath_zc_instr_per_pkt", "rte_ring_instr_per_pkt", "instr_ratio",
            "netpath_zc_producer_instr_per_pkt", "netpath_zc_consumer_instr_per_pkt",
            "rte_ring_producer_instr_per_pkt", "rte_ring_consumer_instr_per_pkt",
            "netpath_zc_poll_fenced_mpps", "fenced_mpps_ratio",
            "doorbells_per_pkt_zc_idle", "copies_per_pkt_zc",
            "netpath_zcw_poll_mpps", "zcw_mpps_ratio", "netpath_zcw_instr_per_pkt",
            "netpath_zcw_poll_fenced_mpps", "zcw_fenced_mpps_ratio"]

VARIANTS = ["netpath_zc_poll", "netpath_zcw_poll", "netpath_zc_poll_fenced",
            "netpath_zcw_poll_fenced", "netpath_zc_idle",
            "netpath_copy_poll", "dpdk_rte_ring_spsc"]
SIZES = [64, 1500]
BATCHES = [1, 8, 32]


def check_side_by_side(out):
    """Runs summary.py on a copy of the smoke JSON; returns what is wrong."""
    here = os.path.dirname(os.path.abspath(__file__))
    bad = []
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(out, os.path.join(d, "bench.json"))
        with open(os.path.join(d, "load.txt"), "w") as f:
            with open("/proc/loadavg") as la:
                f.write("before " + la.read())
        subprocess.run([sys.executable, os.path.join(here, "summary.py"), d,
                        "not run (smoke)", "not run (smoke)", "not run (smoke)"],
                       check=True, stdout=subprocess.DEVNULL, timeout=60)
        with open(os.path.join(d, "bench.json")) as f:
            sbs = json.load(f).get("netpath_vs_rte_ring")
    if not sbs:
        return ["netpath_vs_rte_ring"]
    rows = sbs.get("rows", [])
    if len(rows) != len(SIZES) * len(BATCHES):
        bad.append("netpath_vs_rte_ring rows: %d" % len(rows))
    for r in rows:
        bad += ["row %s/%s:%s" % (r.get("size"), r.get("batch"), k) for k in ROW_KEYS if k not in r]
        if r.get("copies_per_pkt_zc") not in (None, 0):
            bad.append("row %s/%s: zero copy copied" % (r["size"], r["batch"]))
        bells = r.get("doorbells_per_pkt_zc_idle")
        if bells is not None and bells > 1.0 / r["batch"] + 1e-9:
            bad.append("row %s/%s: %.4f doorbells/pkt" % (r["size"], r["batch"], bells))
    t = sbs.get("target", {})
    for size in SIZES:
        v = t.get("by_size", {}).get(str(size), {})
        bad += ["target %d:%s" % (size, k) for k in
                ("met", "conclusive", "mpps", "zero_copies", "at_most_one_doorbell_per_batch")
                if k not in v]
    if t.get("verdict") not in ("met", "missed", "inconclusive") or "met" not in t or \
            "before" not in sbs.get("load_avg", {}):
        bad.append("target.verdict, target.met or load_avg")
    return bad


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
                elif not v.startswith("dpdk") and "pin" not in run.get("error_message", "") \
                        and "membarrier" not in run.get("error_message", ""):
                    # netpath itself must run; only a machine without two
                    # CPUs to pin on (or, asymmetric, without membarrier(2))
                    # may skip it.
                    missing.append(name + " failed: " + run.get("error_message", ""))
    missing += check_side_by_side(out)
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
