#!/usr/bin/env python3
"""Turn the COS's "vm-bench:" lines into results/bench/vm-exits.json and a table.

Per side and operation: TSC ticks per round trip, (tsc - empty) / n, where
empty is the guest's same loop without the exiting instruction.  Under
--icount a tick is one executed instruction (guest, host kernel and host
user space alike); otherwise ticks become nanoseconds through the COS's TSC
rate.  Medians over the repeats.  SWITCH.log is the 2-CPU boot
(cos-vm-switch.sh): vmk's two VMs on the CPU given to its scheduler, wall
time only, with the scheduler's decisions per yield, and KVM's two VMs on the
same boot.  INSNS.log is that boot again under the lab's instruction-count
plugin (scripts/lab --insncount): the instructions CPU 1 executed in the
measured guests' loops ("vm-insns:" lines), which give vm_to_vm_switch its
instruction counts (SMP stalls under -icount).
  summarize.py ICOUNT.log WALL.log SWITCH.log INSNS.log OUT.json"""
import json
import re
import statistics
import sys

LINE = re.compile(r"vm-bench: side=(\w+) rep=(\d+) op=([\w-]+) n=(\d+) tsc=(\d+) empty=(\d+)")
KHZ = re.compile(r"vm-bench: tsc_khz=(\d+)")
SWITCH = re.compile(r"vm-switch: rep=(\d+) (.*)")
INSNS = re.compile(r"vm-insns: side=(\w+) rep=(\d+) op=([\w-]+) n=(\d+) insns=(\d+) empty=(\d+)")
INSNS_METHOD = ("instructions CPU 1 executed between the measured guest's loop markers, "
                "counted by vmk's QEMU plugin (tests/lab/insncount) on a 2-CPU boot, "
                "empty loop subtracted.  Unlike -icount it also counts the exiting "
                "instruction (VMMCALL, OUT) that leaves by #VMEXIT: one more per exit "
                "than the 1-CPU rows' method")

# (name, vmk op, KVM op, divisor, target?, equivalent?, what each side measures)
OPS = (
    ("vmmcall", "vmmcall", "vmmcall", 1, True, True,
     "VMMCALL RAX=0 round trip: vmk answers VMK_GHC_VERSION in the vmkernel; "
     "KVM answers -KVM_ENOSYS in the kernel"),
    ("cpuid", "cpuid", "cpuid", 1, True, True,
     "CPUID leaf 0 round trip, handled in the vmkernel / in the KVM kernel module"),
    ("pio", "pio", "pio", 1, True, True,
     "IN from port 0x3fd (console LSR) round trip: vmk answers in the vmkernel; "
     "KVM exits to kvm-guest in user space (KVM_EXIT_IO), as a user-space VMM "
     "such as QEMU does for a UART"),
    ("yield_to_host", "yield", "yield-port", 1, False, False,
     "one VM gives up the CPU to the host and is run again, per round trip.  "
     "vmk: VMMCALL VMK_GHC_YIELD -> vmkernel switches to the COS world (a "
     "guest too) -> vmkload's VM_RUN loop (COS kernel) calls VMK_HC_VM_RUN "
     "again -> vmkernel switches back to the VM: two world switches, the COS "
     "never leaves its kernel.  KVM: OUT to the yield port -> KVM_EXIT_IO to "
     "kvm-guest in user space -> KVM_RUN on the same vCPU.  Not equivalent: "
     "KVM's path includes a return to user space and an ioctl"),
    ("vm_to_vm_switch", "yield-2vms", "yield-port-2vms", 2, False, False,
     "one switch between two VMs on one CPU, per switch (half the measured "
     "guest's yield round trip; the other VM's three-instruction loop body is "
     "included on both sides).  KVM: two VMs run in turn by one kvm-guest "
     "thread, each yielding with OUT to the yield port (exit to user space, "
     "KVM_RUN of the other VM's vCPU); strictly alternating by construction.  "
     "vmk: two VMs with equal shares on a CPU given to the vmkernel (vmk cpu "
     "give 1), each yielding with VMMCALL VMK_GHC_YIELD: VM -> system world "
     "(scheduler pick) -> next VM, all in the vmkernel.  vmk's scheduler "
     "(start-time fair queueing) does not alternate strictly: "
     "vmk.sched_switches_per_yield says on what fraction of yields it picked "
     "the other VM (1.0 = strict alternation); on the rest the same VM ran "
     "again through the same path.  vmk figures are wall time from a 2-CPU "
     "boot (no --icount: QEMU 7.2 stalls SMP bring-up under icount); "
     "kvm_same_boot is KVM's run on that boot and CPU; the instruction "
     "counts of both come from the same boot under the instruction-count "
     "plugin (see instructions_method).  Not equivalent: vmk's figure is per "
     "yield through its scheduler, of which only a fraction switch VMs"),
)


def load(path, switch=None):
    per, khz, n = {}, None, None
    with open(path) as f:
        for line in f:
            m = LINE.search(line)
            if m:
                side, rep, op, n, tsc, empty = m.groups()
                n = int(n)
                # With two VMs, the first to finish: its whole timed loop
                # ran while the other took turns with it.
                per.setdefault((side, op, int(rep)), (int(tsc) - int(empty)) / n)
            m = KHZ.search(line)
            if m:
                khz = int(m.group(1))
            m = SWITCH.search(line)
            if m and switch is not None:
                switch[int(m.group(1))] = {k: int(v) for k, v in
                                           (kv.split("=") for kv in m.group(2).split())}
    if not per:
        sys.exit("summarize: no vm-bench lines in %s" % path)
    return per, khz, n


def samples(per, side, op, div):
    v = [t / div for (s, o, _), t in sorted(per.items()) if s == side and o == op]
    if not v:
        sys.exit("summarize: no %s results for op=%s" % (side, op))
    return v


def side_result(ic, wall, khz, side, op, div):
    if op is None:
        return None
    ins = samples(ic, side, op, div)
    ns = [t * 1e6 / khz for t in samples(wall, side, op, div)]
    return {"guest_op": op, "instructions": round(statistics.median(ins), 2),
            "wall_ns": round(statistics.median(ns), 1), "instructions_samples": ins,
            "wall_ns_samples": [round(x, 1) for x in ns]}


def wall_only(per, khz, side, op, div):
    ns = [t * 1e6 / khz for t in samples(per, side, op, div)]
    return round(statistics.median(ns), 1), [round(x, 1) for x in ns]


def load_insns(path):
    """(side, op) -> per-round-trip instruction samples from vm-insns lines."""
    per = {}
    with open(path) as f:
        for line in f:
            m = INSNS.search(line)
            if m:
                side, rep, op, n, t, e = m.groups()
                per.setdefault((side, op), []).append((int(t) - int(e)) / int(n))
    for key in (("vmk", "yield-2vms"), ("vmk", "yield-alone"), ("kvm", "yield-port-2vms")):
        if key not in per:
            sys.exit("summarize: no vm-insns lines for %s %s in %s" % (key + (path,)))
    return per


def insns(per, side, op, div):
    v = [round(x / div, 2) for x in per[(side, op)]]
    return round(statistics.median(v), 2), v


def switch_result(sw, swinfo, khz, ins):
    """vmk's side of vm_to_vm_switch, from the 2-CPU boots."""
    if not swinfo:
        sys.exit("summarize: no vm-switch lines in the switch boot's log")
    med, ns = wall_only(sw, khz, "vmk", "yield-2vms", 2)
    alone, alone_ns = wall_only(sw, khz, "vmk", "yield-alone", 1)
    reps = []
    for rep, d in sorted(swinfo.items()):
        if not d.get("m_yields"):
            sys.exit("summarize: rep %d: no yields counted for the measured VM" % rep)
        d = dict(d, rep=rep,
                 sched_switches_per_yield=round(d["sched_decisions"] / (2 * d["m_yields"]), 4))
        reps.append(d)
    i_med, i_s = insns(ins, "vmk", "yield-2vms", 2)
    a_med, a_s = insns(ins, "vmk", "yield-alone", 1)
    return {"guest_op": "yield-2vms", "instructions": i_med, "instructions_samples": i_s,
            "instructions_method": INSNS_METHOD,
            "round_trip_instructions": round(2 * i_med, 2),
            "alone_round_trip_instructions": a_med,
            "alone_round_trip_instructions_samples": a_s,
            "wall_ns": med, "wall_ns_samples": ns,
            "round_trip_wall_ns": round(2 * med, 1),
            "sched_switches_per_yield": round(statistics.median(
                r["sched_switches_per_yield"] for r in reps), 4),
            "alone_round_trip_wall_ns": alone, "alone_round_trip_wall_ns_samples": alone_ns,
            "alone_measures": "one VM alone on the given CPU: yield -> system world -> "
                              "the same VM, per round trip",
            "measured_passed": all(r.get("m_passed") == 1 for r in reps),
            "partner_outlived_measured": all(r.get("p_running_at_m_end") == 1 for r in reps),
            "repeats": reps}


def main(icount_path, wall_path, switch_path, insns_path, out_path):
    ic, _, n = load(icount_path)
    ins = load_insns(insns_path)
    wall, khz, _ = load(wall_path)
    swinfo = {}
    sw, swkhz, _ = load(switch_path, swinfo)
    if not khz:
        sys.exit("summarize: no TSC rate in %s" % wall_path)
    if not swkhz:
        sys.exit("summarize: no TSC rate in %s" % switch_path)
    rows = []
    for name, vop, kop, div, target, equiv, what in OPS:
        if vop == "yield-2vms":
            v = switch_result(sw, swinfo, swkhz, ins)
        else:
            v = side_result(ic, wall, khz, "vmk", vop, div)
        k = side_result(ic, wall, khz, "kvm", kop, div)
        row = {"name": name, "measures": what, "equivalent": equiv,
               "kvm_handled_in": "kernel" if kop in ("vmmcall", "cpuid") else "user space",
               "vmk_handled_in": None if vop is None else
               "vmkernel and COS kernel" if vop == "yield" else "vmkernel",
               "boot": "2 CPUs, wall time only" if vop == "yield-2vms" else
               "1 CPU (--icount and wall-time boots)",
               "vmk": v, "kvm": k}
        if vop == "yield-2vms":
            med, ns = wall_only(sw, swkhz, "kvm", kop, div)
            k_med, k_s = insns(ins, "kvm", kop, div)
            row["kvm_same_boot"] = {"guest_op": kop, "wall_ns": med, "wall_ns_samples": ns,
                                    "instructions": k_med, "instructions_samples": k_s,
                                    "instructions_method": INSNS_METHOD,
                                    "measures": "KVM's two VMs on the 2-CPU boot, "
                                                "kvm-guest pinned to CPU 1"}
            row["ratio_instructions"] = round(v["instructions"] / k_med, 4)
            row["ratio_instructions_against"] = "kvm_same_boot"
            row["ratio_wall"] = round(v["wall_ns"] / med, 4)
            row["ratio_wall_against"] = "kvm_same_boot"
        elif v:
            row["ratio_instructions"] = round(v["instructions"] / k["instructions"], 4)
            row["ratio_wall"] = round(v["wall_ns"] / k["wall_ns"], 4)
        if target:
            row["target_ratio_instructions"] = round(1 / 3, 4)
            row["target_met"] = v["instructions"] <= k["instructions"] / 3
        rows.append(row)
    doc = {
        "benchmark": "VM exit round trips and VM switches: the bench guest (guest/) "
                     "under vmk's VM worlds and under KVM (kvm-amd, bench/vm/kvm-guest) "
                     "in the same COS boot",
        "lab": "QEMU TCG -cpu max, 1 CPU; instructions under -icount shift=0 "
               "(a guest TSC tick is one executed instruction, host and guest alike); "
               "wall time from a second boot without -icount; vm_to_vm_switch's vmk "
               "side (and kvm_same_boot) from a third boot with 2 CPUs (wall time) and "
               "a fourth like it under vmk's instruction-count plugin (instructions)",
        "unit": "per round trip (per switch for vm_to_vm_switch), guest loop overhead "
                "subtracted",
        "iterations": n,
        "tsc_khz": khz,
        "target": "vmk at most 1/3 of KVM's instructions per exit (vmmcall, cpuid, pio)",
        "target_met": all(r.get("target_met", True) for r in rows),
        "results": rows,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
    print("%-16s %11s %11s %7s %11s %11s %7s" % ("", "vmk insns", "KVM insns", "ratio",
                                                 "vmk ns", "KVM ns", "ratio"))
    for r in rows:
        # vm_to_vm_switch: KVM on the same 2-CPU boots, as its ratios are.
        v, k = r["vmk"], r.get("kvm_same_boot") or r["kvm"]
        note = ("" if r.get("target_met", True) else "  target 1/3 missed") + \
               ("" if r["equivalent"] else "  (not equivalent; see JSON)") + \
               ("  (both sides: 2-CPU boots, below)"
                if r.get("kvm_same_boot") else "")
        print("%-16s %11s %11.1f %7s %11s %11.1f %7s%s" % (
            r["name"], "%.1f" % v["instructions"] if v and v["instructions"] else "-",
            k["instructions"], "%.3f" % r["ratio_instructions"] if v and v["instructions"] else "-",
            "%.1f" % v["wall_ns"] if v else "-", k["wall_ns"],
            "%.3f" % r["ratio_wall"] if v else "-", note))
    r = rows[-1]
    v = r["vmk"]
    print("vm_to_vm_switch, 2-CPU boots: vmk %.1f insns, %.1f ns per yield (round trip "
          "%.1f insns, %.1f ns); KVM same boot %.1f insns, %.1f ns; ratio insns %.3f, "
          "wall %.3f; vmk switched VMs on %.3f of yields; vmk one VM alone: round trip "
          "%.1f insns, %.1f ns" % (
              v["instructions"], v["wall_ns"], v["round_trip_instructions"],
              v["round_trip_wall_ns"], r["kvm_same_boot"]["instructions"],
              r["kvm_same_boot"]["wall_ns"], r["ratio_instructions"], r["ratio_wall"],
              v["sched_switches_per_yield"], v["alone_round_trip_instructions"],
              v["alone_round_trip_wall_ns"]))
    print("results: %s" % out_path)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: summarize.py ICOUNT.log WALL.log SWITCH.log INSNS.log OUT.json")
    main(*sys.argv[1:])
