#!/usr/bin/env python3
"""Check a vm-exits.json from bench/vm/run: every operation is there with
positive instruction and wall-time figures for each side that measures it
(vmk has none for vm_to_vm_switch, on purpose), and vmk's VMMCALL round
trip (the lowest of its --icount samples) is within a budget.
  check.py VM-EXITS.json [--max-vmk-vmmcall N]"""
import json
import sys

WANT = {"vmmcall": True, "cpuid": True, "pio": True, "yield_to_host": True,
        "vm_to_vm_switch": False}   # name -> vmk side measured


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--max-vmk-vmmcall"):
        sys.exit("usage: check.py VM-EXITS.json [--max-vmk-vmmcall N]")
    budget = float(argv[3]) if len(argv) == 4 else None
    with open(argv[1]) as f:
        doc = json.load(f)
    rows = {r["name"]: r for r in doc["results"]}
    bad = []
    for name, has_vmk in WANT.items():
        r = rows.get(name)
        if r is None:
            bad.append("%s: missing" % name)
            continue
        for side in ("vmk", "kvm") if has_vmk else ("kvm",):
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
