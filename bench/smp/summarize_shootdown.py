#!/usr/bin/env python3
"""Turn bench/smp/cos-shootdown.sh's lines into results/bench/shootdown.json
and a table: per (CPUs booted, targets), the median over the repeats of
  - tsc_per_op: the initiator's TSC ticks per shootdown (wall time under
    TCG, through the COS's TSC rate: ns_per_op);
  - insns_per_op: instructions the initiator executed per shootdown, and
    all_insns_per_op: all CPUs together (the targets' interrupt, handler
    and return to HLT, plus whatever else they ran meanwhile: timer ticks);
and the counters summed over the repeats (IPIs sent, handled, interrupts,
pages flushed, timeouts), checked: every shootdown answered by every target.
  summarize_shootdown.py OUT.json LOG..."""
import json
import re
import statistics
import sys

BENCH = re.compile(r"shootdown-bench: cpus=(\d+) targets=(\d+) rep=(\d+) (\{.*\})")
INSNS = re.compile(r"shootdown-insns: cpus=(\d+) targets=(\d+) rep=(\d+) n=(\d+) "
                   r"insns=(\d+) all=(\d+) per=([\d,]+)")
SUMS = ("ipis_sent", "ipis_handled", "ipi_irqs", "tlb_pages", "timeouts")


def fail(msg):
    sys.exit("summarize_shootdown: " + msg)


def collect(paths):
    runs, insns = {}, {}
    for path in paths:
        with open(path) as f:
            for line in f:
                m = BENCH.search(line)
                if m:
                    key = (int(m.group(1)), int(m.group(2)))
                    runs.setdefault(key, []).append(json.loads(m.group(4)))
                m = INSNS.search(line)
                if m:
                    key = (int(m.group(1)), int(m.group(2)))
                    insns.setdefault(key, []).append((int(m.group(4)), int(m.group(5)),
                                                      int(m.group(6))))
    return runs, insns


def row(key, runs, insns):
    cpus, targets = key
    n = runs[0]["iterations"]
    for r in runs:
        if r["err"] or r["done"] != n or r["targets"] != targets:
            fail(f"{cpus} CPUs, {targets} targets: a run did not complete: {r}")
        if r["ipis_handled"] != r["ipis_sent"] or r["ipis_sent"] != n * targets:
            fail(f"{cpus} CPUs, {targets} targets: IPIs sent/handled {r['ipis_sent']}/"
                 f"{r['ipis_handled']}, want {n * targets}")
    out = {"cpus": cpus, "targets": targets, "iterations": n, "repeats": len(runs),
           "tsc_per_op": statistics.median(r["tsc_per_op"] for r in runs),
           "ns_per_op": statistics.median(r["tsc_per_op"] * 1e6 / r["tsc_khz"] for r in runs)}
    for k in SUMS:
        out[k] = sum(r[k] for r in runs)
    if insns:
        out["insns_per_op"] = statistics.median(i / k for k, i, a in insns)
        out["all_insns_per_op"] = statistics.median(a / k for k, i, a in insns)
        out["insns_runs"] = [{"initiator": i, "all": a} for k, i, a in insns]
    return out


def main():
    if len(sys.argv) < 3:
        fail("usage: summarize_shootdown.py OUT.json LOG...")
    runs, insns = collect(sys.argv[2:])
    if not runs:
        fail("no shootdown-bench lines in " + " ".join(sys.argv[2:]))
    rows = [row(k, runs[k], insns.get(k, [])) for k in sorted(runs)]
    doc = {"benchmark": "smp TLB shootdown, one vmkernel page, CPU 0 (COS CPU in a "
                        "hypercall) to the CPUs given to the vmkernel, idle",
           "machine": "QEMU 7.2 TCG, one TCG thread, scripts/lab --insncount",
           "rows": rows}
    with open(sys.argv[1], "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{'cpus':>4} {'targets':>7} {'TSC/op':>9} {'ns/op':>8} {'insns/op':>9} "
          f"{'all insns/op':>12} {'IPIs sent':>9} {'handled':>8} {'irqs':>8}")
    for r in rows:
        print(f"{r['cpus']:>4} {r['targets']:>7} {r['tsc_per_op']:>9.0f} {r['ns_per_op']:>8.0f} "
              f"{r.get('insns_per_op', 0):>9.0f} {r.get('all_insns_per_op', 0):>12.0f} "
              f"{r['ipis_sent']:>9} {r['ipis_handled']:>8} {r['ipi_irqs']:>8}")


if __name__ == "__main__":
    main()
