#!/usr/bin/env python3
"""Merge DPDK's own figures into DIR/bench.json (key "netpath_baselines") and
print netpath beside rte_ring, ring_perf_autotest and the testpmd pair, with
ratios.  Usage: summary.py DIR RING_PERF_STATUS PMD_STATUS [ICOUNT_STATUS]"""
import json
import os
import re
import statistics
import sys

VARIANTS = ["netpath_zc_poll", "netpath_zc_idle", "netpath_copy_poll",
            "dpdk_rte_ring_spsc"]


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
    res = {"status": status, "source": "callgrind, one thread producing then "
           "consuming each batch (netpath_bench --icount)", "instr_per_pkt": {}}
    try:
        with open(os.path.join(d, "icount.txt")) as f:
            for line in f:
                v, size, batch, ir, pk = line.split()
                res["instr_per_pkt"]["%s/%s/%s" % (v, size, batch)] = int(ir) / int(pk)
    except (OSError, ValueError):
        pass
    return res


def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def cv_of(runs, v, size=64, batch=32):
    r = runs.get("%s/%d/%d/real_time_cv" % (v, size, batch))
    return r.get("Mpps") if r else None


def summary(doc, base):
    runs = {b["name"]: b for b in doc["benchmarks"]}

    def get(v, size, batch, key="Mpps"):
        name = "%s/%d/%d/real_time" % (v, size, batch)
        r = runs.get(name + "_median") or runs.get(name)
        if not r or r.get("error_occurred"):
            return None
        return r.get(key)   # Mpps is already a rate in millions

    print("\nnetpath ring vs DPDK rte_ring SP/SC (Mpps, producer CPU 0, consumer CPU 1)")
    print("%5s %5s %9s %9s %9s %9s %8s %10s %10s" % (
        "size", "batch", "zc_poll", "zc_idle", "copy", "rte_ring", "zc/rte",
        "bells/pkt", "copies/pkt"))
    for size in (64, 1500):
        for batch in (1, 8, 32):
            zc, idle, cp, rte = (get(v, size, batch) for v in VARIANTS)
            ratio = zc / rte if zc and rte else None
            print("%5d %5d %9s %9s %9s %9s %8s %10s %10s" % (
                size, batch, fmt(zc), fmt(idle), fmt(cp), fmt(rte), fmt(ratio),
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

    zc32 = get("netpath_zc_poll", 64, 32)
    rte32 = get("dpdk_rte_ring_spsc", 64, 32)
    bells = get("netpath_zc_idle", 64, 32, "doorbells_per_pkt")
    if zc32 and rte32:
        met = zc32 >= rte32 and bells is not None and bells <= 1 / 32 + 1e-9
        print("\ntarget (batch 32: >= rte_ring Mpps, 0 copies, <= 1 doorbell/batch): %s in this run "
              "(64B: %.2f vs %.2f Mpps, %.4f doorbells/pkt)" % (
                  "met" if met else "MISSED", zc32, rte32, bells or 0))
        cvs = [cv_of(runs, v) for v in ("netpath_zc_poll", "dpdk_rte_ring_spsc")]
        if any(c is not None and c > 0.10 for c in cvs):
            print("  caution: run-to-run variation is high (cv %s / %s): the cores are shared; "
                  "compare the exact instruction counts too" % tuple(
                      fmt(c * 100 if c is not None else None, "%.0f%%") for c in cvs))


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
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    summary(doc, base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
