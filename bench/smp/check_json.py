#!/usr/bin/env python3
"""Checks a smp_bench JSON file: every case present, with iterations and a
time, and the IPIs per operation each case claims (0 alone, 1 with a
second CPU).  Standard library only.  usage: check_json.py FILE"""
import json
import sys

CASES = {f"shootdown/{n}/{p}/real_time": n - 1 for n in (1, 2) for p in (1, 16, 17)}
CASES.update({f"call/{n}/real_time": n - 1 for n in (1, 2)})


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    runs = {b["name"]: b for b in doc.get("benchmarks", [])}
    for name, ipis in CASES.items():
        b = runs.get(name)
        if b is None:
            sys.exit("missing benchmark %s; found %s" % (name, sorted(runs)))
        if b.get("error_occurred"):
            sys.exit("%s: %s" % (name, b.get("error_message")))
        if not (b.get("iterations", 0) > 0 and b.get("real_time", 0) > 0):
            sys.exit("%s: no iterations or time" % name)
        if abs(b.get("ipis_per_op", -1) - ipis) > 0.01:
            sys.exit("%s: %s IPIs per op, expected %d" % (name, b.get("ipis_per_op"), ipis))
    print("ok: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
