#!/usr/bin/env python3
"""Checks a bench_trace JSON file: every case present, with a positive time
per iteration.  Standard library only.  usage: check_json.py FILE"""
import json
import sys

CASES = ["trace/vmk_disabled", "trace/vmk_overwrite", "trace/vmk_dropnew_full",
         "trace/ust_enabled", "trace/ust_disabled", "trace/loop_baseline"]


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    runs = {b["name"]: b for b in doc.get("benchmarks", [])}
    for name in CASES:
        b = runs.get(name)
        if b is None:
            sys.exit("missing benchmark %s" % name)
        if b.get("error_occurred"):
            sys.exit("%s: %s" % (name, b.get("error_message")))
        if not (b.get("iterations", 0) > 0 and b.get("cpu_time", 0) > 0):
            sys.exit("%s: no iterations or time" % name)
    if "ust_enabled" not in runs["trace/ust_enabled"]:
        sys.exit("trace/ust_enabled lacks its ust_enabled counter")
    print("ok: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
