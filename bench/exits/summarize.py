#!/usr/bin/env python3
"""Turn the COS's JSON lines into results/bench/exits.json and a table.

Per side and operation: TSC ticks per iteration, minus the same loop without
the operation (the loop's own 4 instructions), so the figure is the round
trip alone.  Under --icount a tick is one instruction; otherwise ticks become
nanoseconds through the COS's TSC rate.  Medians over the repeats."""
import json
import statistics
import sys

PAIRS = (("hypercall", "vmmcall", "null hypercall (VMMCALL)"), ("cpuid", "cpuid", "CPUID exit"))


def load(path):
    per, tsc_khz = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            res = rec["result"]
            if rec["side"] == "cos":
                tsc_khz = res["tsc_khz"]
                continue
            per.setdefault((rec["side"], res["op"]), []).append(res["tsc_delta"] / res["iterations"])
    if not per:
        sys.exit("summarize: no results in %s" % path)
    return per, tsc_khz


def net(per, side, op):
    return statistics.median(per[(side, op)]) - statistics.median(per[(side, "loop")])


def main(icount_path, wall_path, out_path):
    ic, _ = load(icount_path)
    wall, khz = load(wall_path)
    rows = []
    for vop, kop, name in PAIRS:
        v_ins, k_ins = net(ic, "vmkernel", vop), net(ic, "kvm", kop)
        v_ns, k_ns = (net(wall, "vmkernel", vop) * 1e6 / khz, net(wall, "kvm", kop) * 1e6 / khz)
        rows.append({
            "name": name,
            "vmkernel": {"instructions": round(v_ins, 2), "wall_ns": round(v_ns, 1),
                         "instructions_samples": ic[("vmkernel", vop)]},
            "kvm": {"instructions": round(k_ins, 2), "wall_ns": round(k_ns, 1),
                    "instructions_samples": ic[("kvm", kop)]},
            "ratio_instructions": round(v_ins / k_ins, 4),
            "ratio_wall": round(v_ns / k_ns, 4),
            "target_ratio_instructions": 1 / 3,
            "target_met": v_ins <= k_ins / 3,
        })
    doc = {"benchmark": "exit round trips, vmkernel vs KVM (kvm-amd in the same COS)",
           "lab": "QEMU TCG -cpu max, 1 CPU; instructions under -icount shift=0",
           "loop_instructions": statistics.median(ic[("vmkernel", "loop")]),
           "tsc_khz": khz, "results": rows}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
    print("%-26s %14s %14s %8s %12s %12s %8s" % ("", "vmk insns", "KVM insns", "ratio",
                                                 "vmk ns", "KVM ns", "ratio"))
    for r in rows:
        print("%-26s %14.1f %14.1f %8.3f %12.1f %12.1f %8.3f%s" % (
            r["name"], r["vmkernel"]["instructions"], r["kvm"]["instructions"],
            r["ratio_instructions"], r["vmkernel"]["wall_ns"], r["kvm"]["wall_ns"],
            r["ratio_wall"], "" if r["target_met"] else "  (target 1/3 missed)"))
    print("results: %s" % out_path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: summarize.py ICOUNT.jsonl WALL.jsonl OUT.json")
    main(*sys.argv[1:])
