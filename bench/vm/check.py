#!/usr/bin/env python3
"""Check a vm-exits.json from bench/vm/run: every operation is there with
positive instruction and wall-time figures for each side; vm_to_vm_switch's
vmk side and KVM on the same boot have positive instruction counts from the
instruction-count plugin (the method stated) and wall times, both its VMs
passed, the partner outlived the measured VM, the trace lost nothing, and
the scheduler's switches per yield are reported (in (0, 1.05]); and vmk's
VMMCALL round trip (the lowest of its --icount samples) is within a budget.
  check.py VM-EXITS.json [--max-vmk-vmmcall N]"""
import json
import sys

WANT = ("vmmcall", "cpuid", "pio", "yield_to_host", "vm_to_vm_switch")


def check_switch(r, bad):
    """vmk's two VMs on a given CPU against KVM's two on the same boot."""
    v = r.get("vmk") or {}
    same = r.get("kvm_same_boot") or {}
    for who, d in (("vmk", v), ("kvm_same_boot", same)):
        if not d.get("instructions_method"):
            bad.append("vm_to_vm_switch: %s must say how its instructions were counted" % who)
        if not d.get("instructions_samples") or min(d["instructions_samples"]) <= 0:
            bad.append("vm_to_vm_switch: %s has no positive instruction samples" % who)
    if not r.get("ratio_instructions") or r["ratio_instructions"] <= 0:
        bad.append("vm_to_vm_switch: no instruction ratio")
    for key in ("wall_ns", "round_trip_wall_ns", "alone_round_trip_wall_ns",
                "instructions", "alone_round_trip_instructions"):
        if not v.get(key) or v[key] <= 0:
            bad.append("vm_to_vm_switch: vmk %s not positive (%s)" % (key, v.get(key)))
    if not v.get("wall_ns_samples") or min(v["wall_ns_samples"]) <= 0:
        bad.append("vm_to_vm_switch: vmk has no positive samples")
    if not v.get("measured_passed"):
        bad.append("vm_to_vm_switch: the measured vmk VM did not pass")
    if not v.get("partner_outlived_measured"):
        bad.append("vm_to_vm_switch: the partner VM stopped before the measured one")
    for rep in v.get("repeats", []):
        if rep.get("trace_lost"):
            bad.append("vm_to_vm_switch: rep %d: the trace lost %d events"
                       % (rep["rep"], rep["trace_lost"]))
        ratio = rep.get("sched_switches_per_yield")
        if ratio is None or not 0 < ratio <= 1.05:
            bad.append("vm_to_vm_switch: rep %s: switches per yield %s outside (0, 1.05]"
                       % (rep.get("rep"), ratio))
    if not v.get("repeats"):
        bad.append("vm_to_vm_switch: no repeats with scheduler counts")
    if not same.get("wall_ns") or same["wall_ns"] <= 0:
        bad.append("vm_to_vm_switch: no positive KVM figure on the 2-CPU boot")
    if not bad:
        print("ok: vm_to_vm_switch vmk %.1f insns, %.1f ns per yield (KVM same boot %.1f "
              "insns, %.1f ns), switched VMs on %.3f of yields (%s)" % (
                  v["instructions"], v["wall_ns"], same["instructions"], same["wall_ns"],
                  v["sched_switches_per_yield"],
                  ", ".join("%.3f" % x["sched_switches_per_yield"] for x in v["repeats"])))


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--max-vmk-vmmcall"):
        sys.exit("usage: check.py VM-EXITS.json [--max-vmk-vmmcall N]")
    budget = float(argv[3]) if len(argv) == 4 else None
    with open(argv[1]) as f:
        doc = json.load(f)
    rows = {r["name"]: r for r in doc["results"]}
    bad = []
    for name in WANT:
        r = rows.get(name)
        if r is None:
            bad.append("%s: missing" % name)
            continue
        if name == "vm_to_vm_switch":
            check_switch(r, bad)
        for side in ("kvm",) if name == "vm_to_vm_switch" else ("vmk", "kvm"):
            s = r.get(side)
            if not s or s["instructions"] <= 0 or s["wall_ns"] <= 0 or \
               min(s["instructions_samples"]) <= 0:
                bad.append("%s: %s has no positive figures (%s)" % (name, side, s))
    if budget is not None and "vmmcall" in rows and rows["vmmcall"]["vmk"]:
        low = min(rows["vmmcall"]["vmk"]["instructions_samples"])
        if low > budget:
            bad.append("vmk VMMCALL round trip: %.1f instructions, budget %.0f" % (low, budget))
        else:
            print("ok: vmk VMMCALL round trip %.1f instructions (budget %.0f)" % (low, budget))
    for b in bad:
        print("FAIL: " + b)
    if not bad:
        print("ok: all %d operations, both sides, positive figures" % len(WANT))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
