#!/usr/bin/env python3
"""Turn the COS's "vm-bench:" lines into results/bench/vm-exits.json and a table.

Per side and operation: TSC ticks per round trip, (tsc - empty) / n, where
empty is the guest's same loop without the exiting instruction.  Under
--icount a tick is one executed instruction (guest, host kernel and host
user space alike); otherwise ticks become nanoseconds through the COS's TSC
rate.  Medians over the repeats.
  summarize.py ICOUNT.log WALL.log OUT.json"""
import json
import re
import statistics
import sys

LINE = re.compile(r"vm-bench: side=(\w+) rep=(\d+) op=([\w-]+) n=(\d+) tsc=(\d+) empty=(\d+)")
KHZ = re.compile(r"vm-bench: tsc_khz=(\d+)")

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
    ("vm_to_vm_switch", None, "yield-port-2vms", 2, False, False,
     "one switch between two VMs on one CPU, per switch (half the guest's "
     "yield round trip).  KVM: two VMs run in turn by one kvm-guest thread, "
     "each yielding with OUT to the yield port (exit to user space, KVM_RUN of "
     "the other VM's vCPU).  vmk: not measured; vmkload's VM_RUN re-enters a "
     "yielding VM in the COS kernel for up to ~100 ms, so a second VM on the "
     "CPU gets its turn at that slice's end, not per yield"),
)


def load(path):
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


def main(icount_path, wall_path, out_path):
    ic, _, n = load(icount_path)
    wall, khz, _ = load(wall_path)
    if not khz:
        sys.exit("summarize: no TSC rate in %s" % wall_path)
    rows = []
    for name, vop, kop, div, target, equiv, what in OPS:
        v = side_result(ic, wall, khz, "vmk", vop, div)
        k = side_result(ic, wall, khz, "kvm", kop, div)
        row = {"name": name, "measures": what, "equivalent": equiv,
               "kvm_handled_in": "kernel" if kop in ("vmmcall", "cpuid") else "user space",
               "vmk_handled_in": None if vop is None else
               "vmkernel and COS kernel" if vop == "yield" else "vmkernel",
               "vmk": v, "kvm": k}
        if v:
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
               "wall time from a second boot without -icount",
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
        v, k = r["vmk"], r["kvm"]
        note = ("" if r.get("target_met", True) else "  target 1/3 missed") + \
               ("" if r["equivalent"] else "  (not equivalent; see JSON)")
        print("%-16s %11s %11.1f %7s %11s %11.1f %7s%s" % (
            r["name"], "%.1f" % v["instructions"] if v else "-", k["instructions"],
            "%.3f" % r["ratio_instructions"] if v else "-",
            "%.1f" % v["wall_ns"] if v else "-", k["wall_ns"],
            "%.3f" % r["ratio_wall"] if v else "-", note))
    print("results: %s" % out_path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: summarize.py ICOUNT.log WALL.log OUT.json")
    main(*sys.argv[1:])
