#!/usr/bin/env python3
"""Check a vm-smp.json from bench/vm/run-smp: the IPI round trip has positive
wall-time and instruction figures for vmk and KVM, with as many repeats on
each side, the ratios are the medians' ratios, the target verdict matches
the instruction ratio; the scaling table has every vCPU count from 1 up with
positive times for both sides and 1.0 for 1 vCPU; the guest TLB shootdown
table has every vCPU count from 2 up with positive medians of their repeats
for vmk and KVM and vmk/KVM as their ratio; and, with --max-vmk-insns,
vmk's round trip stays within that many instructions (CPUs 1 and 2).
  check_smp.py VM-SMP.json [--max-vmk-insns N]"""
import json
import statistics
import sys


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    limit = None
    if len(args) == 3 and args[1] == "--max-vmk-insns":
        limit = float(args[2])
    elif len(args) != 1:
        sys.exit(__doc__)
    with open(args[0]) as f:
        d = json.load(f)
    bad = []
    t = d.get("ipi_round_trip") or {}
    for key in ("ns", "insns_cpus_1_2", "insns_vcpu0_cpu"):
        reps = t.get(key + "_repeats") or {}
        for side in ("vmk", "kvm"):
            v = (t.get(key) or {}).get(side)
            r = reps.get(side) or []
            if not v or v <= 0:
                bad.append("ipi %s %s not positive: %r" % (key, side, v))
            elif not r or min(r) <= 0 or abs(statistics.median(r) - v) > 1e-9 * v:
                bad.append("ipi %s %s is not the median of its repeats %r" % (key, side, r))
        if len(reps.get("vmk") or []) != len(reps.get("kvm") or []):
            bad.append("ipi %s: vmk and KVM have different repeat counts" % key)
    if not bad:
        want = t["insns_cpus_1_2"]["vmk"] / t["insns_cpus_1_2"]["kvm"]
        if abs(t.get("ratio_insns", -1) - want) > 1e-9:
            bad.append("ratio_insns %r is not vmk/KVM %r" % (t.get("ratio_insns"), want))
        if t.get("target_met") != (want <= 0.5):
            bad.append("target_met %r does not follow the ratio %.3f" % (t.get("target_met"), want))
        if limit is not None and t["insns_cpus_1_2"]["vmk"] > limit:
            bad.append("vmk's round trip %.1f instructions, over the budget %.0f" %
                       (t["insns_cpus_1_2"]["vmk"], limit))
    rows = d.get("scaling") or []
    if [r.get("vcpus") for r in rows] != list(range(1, len(rows) + 1)) or not rows:
        bad.append("scaling rows are not 1..N vCPUs: %r" % [r.get("vcpus") for r in rows])
    for r in rows:
        for side in ("vmk", "kvm", "vmk_cosched"):
            if side == "vmk_cosched" and side not in r:
                continue
            s = r.get(side) or {}
            if not s.get("us") or s["us"] <= 0 or not s.get("steps_per_us"):
                bad.append("scaling %s vCPUs %s: no positive time" % (r.get("vcpus"), side))
            elif r.get("vcpus") == 1 and abs(s.get("relative_to_1_vcpu", 0) - 1) > 1e-9:
                bad.append("scaling 1 vCPU %s: relative figure is not 1" % side)
    rows = (d.get("tlb_shootdown") or {}).get("rows") or []
    if [r.get("vcpus") for r in rows] != list(range(2, len(rows) + 2)) or not rows:
        bad.append("tlb_shootdown rows are not 2..N vCPUs: %r" % [r.get("vcpus") for r in rows])
    for r in rows:
        for side in ("vmk", "kvm", "vmk_cosched"):
            if side == "vmk_cosched" and side not in r:
                continue
            s = r.get(side) or {}
            reps = s.get("ns_repeats") or []
            if not s.get("ns") or s["ns"] <= 0 or not reps or min(reps) <= 0 or \
                    abs(statistics.median(reps) - s["ns"]) > 1e-9 * s["ns"]:
                bad.append("tlb_shootdown %s vCPUs %s: not a positive median of its repeats"
                           % (r.get("vcpus"), side))
        if "vmk" in r and "kvm" in r and r["vmk"].get("ns") and r["kvm"].get("ns") and \
                abs(r.get("ratio_vmk_kvm", -1) - r["vmk"]["ns"] / r["kvm"]["ns"]) > 1e-9:
            bad.append("tlb_shootdown %s vCPUs: ratio_vmk_kvm is not vmk/KVM" % r.get("vcpus"))
    for b in bad:
        print("check_smp: " + b)
    if bad:
        sys.exit(1)
    print("check_smp: %s is complete and consistent" % args[0])


if __name__ == "__main__":
    main()
