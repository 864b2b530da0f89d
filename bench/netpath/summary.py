#!/usr/bin/env python3
"""Merge DPDK's own figures into DIR/bench.json (key "netpath_baselines"),
add the side-by-side comparison with rte_ring and the issue-7 verdict (key
"netpath_vs_rte_ring"), and print netpath beside rte_ring,
ring_perf_autotest and the testpmd pair, with ratios.
Usage: summary.py DIR RING_PERF_STATUS PMD_STATUS [ICOUNT_STATUS]
DIR/load.txt, if there, holds /proc/loadavg before and after the timed run
(lines "before ..." and "after ...", written by ./run)."""
import json
import os
import re
import statistics
import sys

VARIANTS = ["netpath_zc_poll", "netpath_zc_idle", "netpath_copy_poll",
            "dpdk_rte_ring_spsc"]   # the first table; netpath_zc_poll_fenced beside it


def tsc_mhz():
    """ring_perf_autotest prints TSC cycles; this host's nominal MHz turns
    them into rates (an estimate: the TSC rate is not printed)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except OSError:
        pass
    return None


def ring_perf(d, status):
    res = {"status": status, "source": "dpdk-test ring_perf_autotest",
           "log": "ring_perf.log"}
    if status != "ok":
        return res
    two_cores = {}
    section = None
    with open(os.path.join(d, "ring_perf.log")) as f:
        for line in f:
            if line.startswith("###"):
                section = line.strip("# \n")
                continue
            m = re.match(r"legacy APIs: SP/SC: bulk \(size: (\d+)\): ([\d.]+)", line)
            if m and section == "Testing using two physical cores":
                two_cores[int(m.group(1))] = float(m.group(2))
    mhz = tsc_mhz()
    res["two_cores_spsc_bulk_cycles_per_elem"] = two_cores
    res["tsc_mhz_estimate"] = mhz
    if mhz:
        res["two_cores_spsc_bulk_mpps_estimate"] = {
            k: mhz / v for k, v in two_cores.items() if v > 0}
    if not two_cores:
        res["status"] = "ran, but no two-core SP/SC lines found in its output"
    return res


def pmd_rate(path, key):
    """Median of the per-second rates after the first two samples (ramp)."""
    try:
        with open(path) as f:
            vals = [int(m.group(1)) for m in re.finditer(key + r":\s+(\d+)", f.read())]
    except OSError:
        return None
    vals = [v for v in vals[2:] if v > 0]
    return statistics.median(vals) if vals else None


def testpmd(d, status):
    res = {"status": status,
           "source": "dpdk-testpmd net_virtio_user0 (txonly) -> net_vhost0 (rxonly)"}
    if status != "ok":
        return res
    for size in (64, 1500):
        rx = pmd_rate(os.path.join(d, "testpmd_vhost_%d.log" % size), "Rx-pps")
        tx = pmd_rate(os.path.join(d, "testpmd_virtio_%d.log" % size), "Tx-pps")
        if rx is None:
            res[str(size)] = {"status": "no Rx-pps samples (see testpmd_*_%d.log)" % size}
        else:
            res[str(size)] = {"vhost_rx_mpps": rx / 1e6,
                              "virtio_tx_mpps": tx / 1e6 if tx else None}
    return res


def icount(d, status):
    """icount.txt: VARIANT SIZE BATCH IR PACKETS [PRODUCER_IR CONSUMER_IR]."""
    res = {"status": status, "source": "callgrind, one thread producing then "
           "consuming each batch (netpath_bench --icount); producer and consumer "
           "are np_icount_produce and np_icount_consume, inclusive",
           "instr_per_pkt": {}, "producer_instr_per_pkt": {},
           "consumer_instr_per_pkt": {}}
    try:
        with open(os.path.join(d, "icount.txt")) as f:
            for line in f:
                v, size, batch, ir, pk, *sides = line.split()
                key = "%s/%s/%s" % (v, size, batch)
                res["instr_per_pkt"][key] = int(ir) / int(pk)
                if len(sides) == 2:
                    res["producer_instr_per_pkt"][key] = int(sides[0]) / int(pk)
                    res["consumer_instr_per_pkt"][key] = int(sides[1]) / int(pk)
    except (OSError, ValueError):
        pass
    return res


TARGET = ("issue 7: at batch 32, at least rte_ring's Mpps with zero payload "
          "copies and at most one doorbell per batch")
TARGET_BATCH = 32
MAX_CV = 0.10      # Mpps medians steadier than this count for the verdict


def load_avg(d):
    """/proc/loadavg before and after the timed run, as ./run recorded it."""
    res = {}
    try:
        with open(os.path.join(d, "load.txt")) as f:
            for line in f:
                when, _, rest = line.strip().partition(" ")
                vals = rest.split()
                if when in ("before", "after") and len(vals) >= 3:
                    res[when] = [float(v) for v in vals[:3]]
    except (OSError, ValueError):
        pass
    return res


def bench_get(runs, v, size, batch, key="Mpps"):
    """The median over repetitions if there were any, else the single run."""
    name = "%s/%d/%d/real_time" % (v, size, batch)
    r = runs.get(name + "_median") or runs.get(name)
    if not r or r.get("error_occurred"):
        return None
    return r.get(key)


def ratio(a, b):
    return a / b if a is not None and b else None


def side_by_side(doc, base, load):
    """netpath zero copy against rte_ring, every size and batch, Mpps and
    instructions per packet side by side with their ratios, and whether the
    issue's target is met in this run (per size, and overall)."""
    runs = {b["name"]: b for b in doc["benchmarks"]}
    cg = base["callgrind"]
    ipp = cg["instr_per_pkt"]
    rows = []
    for size in (64, 1500):
        for batch in (1, 8, 32):
            zc = bench_get(runs, "netpath_zc_poll", size, batch)
            zcw = bench_get(runs, "netpath_zcw_poll", size, batch)
            zwi = ipp.get("netpath_zcw_poll/%d/%d" % (size, batch))
            fenced = bench_get(runs, "netpath_zc_poll_fenced", size, batch)
            zcwf = bench_get(runs, "netpath_zcw_poll_fenced", size, batch)
            rte = bench_get(runs, "dpdk_rte_ring_spsc", size, batch)
            zi = ipp.get("netpath_zc_poll/%d/%d" % (size, batch))
            ri = ipp.get("dpdk_rte_ring_spsc/%d/%d" % (size, batch))
            rows.append({
                "size": size, "batch": batch,
                "netpath_zc_poll_mpps": zc, "rte_ring_mpps": rte,
                "mpps_ratio": ratio(zc, rte),
                "netpath_zcw_poll_mpps": zcw, "zcw_mpps_ratio": ratio(zcw, rte),
                "netpath_zcw_instr_per_pkt": zwi, "zcw_instr_ratio": ratio(zwi, ri),
                "netpath_zc_poll_fenced_mpps": fenced,
                "fenced_mpps_ratio": ratio(fenced, rte),
                "netpath_zcw_poll_fenced_mpps": zcwf,
                "zcw_fenced_mpps_ratio": ratio(zcwf, rte),
                "netpath_mpps_cv": cv_of(runs, "netpath_zc_poll", size, batch),
                "rte_ring_mpps_cv": cv_of(runs, "dpdk_rte_ring_spsc", size, batch),
                "netpath_zc_idle_mpps": bench_get(runs, "netpath_zc_idle", size, batch),
                "doorbells_per_pkt_zc_idle": bench_get(runs, "netpath_zc_idle", size, batch,
                                                       "doorbells_per_pkt"),
                "doorbells_per_pkt_zc_poll": bench_get(runs, "netpath_zc_poll", size, batch,
                                                       "doorbells_per_pkt"),
                "copies_per_pkt_zc": bench_get(runs, "netpath_zc_poll", size, batch,
                                               "copies_per_pkt"),
                "netpath_zc_instr_per_pkt": zi, "rte_ring_instr_per_pkt": ri,
                "instr_ratio": ratio(zi, ri),
            })
            for side in ("producer", "consumer"):
                sp = cg[side + "_instr_per_pkt"]
                a = sp.get("netpath_zc_poll/%d/%d" % (size, batch))
                b = sp.get("dpdk_rte_ring_spsc/%d/%d" % (size, batch))
                rows[-1].update({"netpath_zc_%s_instr_per_pkt" % side: a,
                                 "rte_ring_%s_instr_per_pkt" % side: b,
                                 "%s_instr_ratio" % side: ratio(a, b)})
    verdict = {}
    for size in (64, 1500):
        r = next(x for x in rows if x["size"] == size and x["batch"] == TARGET_BATCH)
        bells = [b for b in (r["doorbells_per_pkt_zc_idle"], r["doorbells_per_pkt_zc_poll"])
                 if b is not None]
        v = {
            "mpps": r["mpps_ratio"] is not None and r["mpps_ratio"] >= 1.0,
            "zero_copies": r["copies_per_pkt_zc"] == 0,
            "at_most_one_doorbell_per_batch": bool(bells) and
                max(bells) <= 1.0 / TARGET_BATCH + 1e-9,
        }
        v["met"] = all(v.values())
        v["measured"] = r["netpath_zc_poll_mpps"] is not None and r["rte_ring_mpps"] is not None
        # The Mpps comparison counts only if both medians are steady: with
        # repetitions, cv <= MAX_CV for both; a single run cannot tell.
        cvs = (r["netpath_mpps_cv"], r["rte_ring_mpps_cv"])
        v["conclusive"] = v["measured"] and all(c is not None and c <= MAX_CV for c in cvs)
        verdict[str(size)] = v
    noisy = [c for r in rows if r["batch"] == TARGET_BATCH
             for c in (r["netpath_mpps_cv"], r["rte_ring_mpps_cv"]) if c is not None and c > MAX_CV]
    met = all(v["met"] for v in verdict.values())
    conclusive = all(v["conclusive"] for v in verdict.values())
    return {
        "what": "netpath zero copy (netpath_zc_poll, asymmetric wake ordering; "
                "netpath_zc_poll_fenced with a full barrier per publish and release "
                "beside it; doorbells from netpath_zc_idle, its worst case) against DPDK "
                "rte_ring SP/SC carrying the same buffer references, same binary and "
                "run; Mpps are medians over the repetitions, instructions per packet "
                "from callgrind (exact)",
        "load_avg": dict(load, at_start=doc.get("context", {}).get("load_avg")),
        "rows": rows,
        "target": {
            "text": TARGET, "batch": TARGET_BATCH, "by_size": verdict,
            "met": met, "conclusive": conclusive,
            "verdict": ("met" if met else "missed") if conclusive else "inconclusive",
            "max_cv": MAX_CV,
            "decided_by": "bench/netpath/run --pairs (median of per-pair ratios, 95% "
                          "interval; results/bench/netpath-pairs.json): these medians "
                          "of one interleaved run are an indication only",
            "caution": ("Mpps run-to-run variation above %.0f%% at batch 32 (cv up to %.0f%%): "
                        "the cores were shared; judge by the instruction counts or rerun "
                        "on a quiet machine" % (100 * MAX_CV, 100 * max(noisy))) if noisy else
                       None if conclusive else "no repetitions (cv unknown): rerun with REPS >= 3",
        },
    }


def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def cv_of(runs, v, size=64, batch=32):
    r = runs.get("%s/%d/%d/real_time_cv" % (v, size, batch))
    return r.get("Mpps") if r else None


def summary(doc, base):
    runs = {b["name"]: b for b in doc["benchmarks"]}

    def get(v, size, batch, key="Mpps"):
        return bench_get(runs, v, size, batch, key)   # Mpps is already in millions

    print("\nnetpath ring vs DPDK rte_ring SP/SC (Mpps, producer CPU 0, consumer CPU 1; "
          "netpath asymmetric wake ordering unless fenced)")
    print("%5s %5s %9s %9s %9s %9s %9s %8s %10s %10s" % (
        "size", "batch", "zc_poll", "zc_fenced", "zc_idle", "copy", "rte_ring", "zc/rte",
        "bells/pkt", "copies/pkt"))
    for size in (64, 1500):
        for batch in (1, 8, 32):
            zc, idle, cp, rte = (get(v, size, batch) for v in VARIANTS)
            fenced = get("netpath_zc_poll_fenced", size, batch)
            ratio = zc / rte if zc and rte else None
            print("%5d %5d %9s %9s %9s %9s %9s %8s %10s %10s" % (
                size, batch, fmt(zc), fmt(fenced), fmt(idle), fmt(cp), fmt(rte), fmt(ratio),
                fmt(get("netpath_zc_idle", size, batch, "doorbells_per_pkt"), "%.4f"),
                fmt(get("netpath_zc_poll", size, batch, "copies_per_pkt"), "%.1f")))
    skipped = [n for n, r in runs.items() if r.get("error_occurred")]
    if skipped:
        print("skipped: %s: %s" % (", ".join(skipped[:2]) + (" ..." if len(skipped) > 2 else ""),
                                   runs[skipped[0]].get("error_message")))

    ic = base["callgrind"]
    print("\ninstructions per packet (callgrind, exact; driver + back end): %s" % ic["status"])
    print("%5s %5s %9s %9s %9s %8s" % ("size", "batch", "zc", "copy", "rte_ring", "zc/rte"))
    ipp = ic["instr_per_pkt"]
    for size in (64, 1500):
        for batch in (1, 8, 32):
            zc, cp, rte = (ipp.get("%s/%d/%d" % (v, size, batch)) for v in
                           ("netpath_zc_poll", "netpath_copy_poll", "dpdk_rte_ring_spsc"))
            print("%5d %5d %9s %9s %9s %8s" % (size, batch, fmt(zc, "%.1f"), fmt(cp, "%.1f"),
                                               fmt(rte, "%.1f"),
                                               fmt(zc / rte if zc and rte else None)))

    rp = base["ring_perf_autotest"]
    print("\ndpdk-test ring_perf_autotest, two cores, SP/SC bulk: %s" % rp["status"])
    for k, cyc in sorted(rp.get("two_cores_spsc_bulk_cycles_per_elem", {}).items()):
        est = rp.get("two_cores_spsc_bulk_mpps_estimate", {}).get(k)
        ours = get("netpath_zc_poll", 64, 32 if k >= 32 else 8)
        print("  bulk %2d: %7.2f cycles/elem ~ %6s Mpps at %s MHz; netpath zc_poll 64B batch %d: %s Mpps (ratio %s)" % (
            k, cyc, fmt(est), fmt(rp.get("tsc_mhz_estimate"), "%.0f"),
            32 if k >= 32 else 8, fmt(ours), fmt(ours / est if ours and est else None)))

    tp = base["testpmd_vhost_virtio"]
    print("\ntestpmd virtio-user -> vhost-user: %s" % tp["status"])
    for size in ("64", "1500"):
        r = tp.get(size)
        if not r:
            continue
        if "vhost_rx_mpps" not in r:
            print("  %4s B: %s" % (size, r["status"]))
            continue
        ours = get("netpath_zc_poll", int(size), 32)
        print("  %4s B: %s Mpps received by vhost; netpath zc_poll batch 32: %s Mpps (ratio %s)" % (
            size, fmt(r["vhost_rx_mpps"]), fmt(ours),
            fmt(ours / r["vhost_rx_mpps"] if ours and r["vhost_rx_mpps"] else None)))

    sbs = doc["netpath_vs_rte_ring"]
    la = sbs["load_avg"]
    print("\nnetpath zc_poll vs rte_ring (load average before %s, after %s)" % (
        la.get("before", la.get("at_start")), la.get("after", "-")))
    print("%5s %5s %9s %9s %7s %8s %8s %8s %9s %9s %7s %13s %13s" % (
        "size", "batch", "zc Mpps", "rte Mpps", "ratio", "fenced", "words", "w fenced", "zc ins",
        "rte ins", "ratio", "prod zc/rte", "cons zc/rte"))
    for r in sbs["rows"]:
        print("%5d %5d %9s %9s %7s %8s %8s %8s %9s %9s %7s %13s %13s" % (
            r["size"], r["batch"], fmt(r["netpath_zc_poll_mpps"]), fmt(r["rte_ring_mpps"]),
            fmt(r["mpps_ratio"]), fmt(r["fenced_mpps_ratio"]), fmt(r["zcw_mpps_ratio"]),
            fmt(r["zcw_fenced_mpps_ratio"]),
            fmt(r["netpath_zc_instr_per_pkt"], "%.1f"),
            fmt(r["rte_ring_instr_per_pkt"], "%.1f"), fmt(r["instr_ratio"]),
            "%s/%s" % (fmt(r["netpath_zc_producer_instr_per_pkt"], "%.1f"),
                       fmt(r["rte_ring_producer_instr_per_pkt"], "%.1f")),
            "%s/%s" % (fmt(r["netpath_zc_consumer_instr_per_pkt"], "%.1f"),
                       fmt(r["rte_ring_consumer_instr_per_pkt"], "%.1f"))))
    t = sbs["target"]
    for size, v in sorted(t["by_size"].items(), key=lambda kv: int(kv[0])):
        print("target at batch %d, %s B: %s%s (Mpps >= rte_ring: %s, 0 copies: %s, "
              "<= 1 doorbell/batch: %s)" % (
                  t["batch"], size, "met" if v["met"] else "MISSED",
                  "" if v["conclusive"] else " but inconclusive",
                  v["mpps"], v["zero_copies"], v["at_most_one_doorbell_per_batch"]))
    print("target (%s): %s" % (t["text"], t["verdict"].upper() if t["verdict"] != "met"
                               else "met"))
    if t["caution"]:
        print("  caution: " + t["caution"])
    print("  the decision: " + t["decided_by"])


def main():
    d, rp_status, pmd_status = sys.argv[1], sys.argv[2], sys.argv[3]
    ic_status = sys.argv[4] if len(sys.argv) > 4 else "not run"
    path = os.path.join(d, "bench.json")
    with open(path) as f:
        doc = json.load(f)
    base = {"ring_perf_autotest": ring_perf(d, rp_status),
            "testpmd_vhost_virtio": testpmd(d, pmd_status),
            "callgrind": icount(d, ic_status)}
    doc["netpath_baselines"] = base
    doc["netpath_vs_rte_ring"] = side_by_side(doc, base, load_avg(d))
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    summary(doc, base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
