#!/usr/bin/env python3
"""Smoke check: run the pcpu-cache benchmark briefly and check that its JSON
parses and holds every expected benchmark without an error.

usage: check_bench_json.py BENCH_BINARY OUT_JSON [--no-run]
"""
import json
import subprocess
import sys

IMPLS = ("pcpu", "global")
WORKLOADS = ("hit", "miss", "mixed")


def expected_names():
    names = []
    for b in [f"{i}/{w}" for i in IMPLS for w in WORKLOADS] + ["control/alu"]:
        # one thread on CPU 0, two threads on CPUs 0 and 1, one on CPU 1
        names += [f"{b}/real_time", f"{b}/real_time/threads:2", f"{b}/cpu1/real_time"]
    return names


def check(path):
    with open(path) as f:
        doc = json.load(f)
    runs = {b["name"]: b for b in doc.get("benchmarks", [])}
    missing = [n for n in expected_names() if n not in runs]
    if missing:
        return f"missing benchmarks: {missing}; found {sorted(runs)}"
    for n in expected_names():
        b = runs[n]
        if b.get("error_occurred"):
            return f"{n}: {b.get('error_message')}"
        if not b.get("iterations", 0) > 0 or "items_per_second" not in b:
            return f"{n}: no iterations or no items_per_second"
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, out = sys.argv[1], sys.argv[2]
    if "--no-run" not in sys.argv:
        # 1.7.1 takes --benchmark_min_time as plain seconds (no "s"/"x").
        subprocess.run([binary, "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL)
    err = check(out)
    if err:
        print(f"FAIL: {err}")
        return 1
    print(f"ok: {len(expected_names())} benchmarks in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
