#!/usr/bin/env python3
"""bench-smoke for storpath: run bench/storpath/run in its tiny form, then
check that bench.json parses, names every workload and queue depth with
both sides' figures, and shows zero payload copies and zero errors.
Checks no timing: wall-clock figures are never asserted."""
import json
import os
import subprocess
import sys


def main():
    run, results = sys.argv[1], sys.argv[2]
    env = dict(os.environ, SMOKE="1")
    subprocess.run(["bash", run, "--results", results], check=True, env=env,
                   stdout=subprocess.DEVNULL, timeout=280)
    with open(os.path.join(results, "storpath", "bench.json")) as f:
        doc = json.load(f)
    problems = []
    seen = {(r["rw"], r["qd"]): r for r in doc["results"]}
    for rw in ("randread", "randwrite"):
        for qd in (1, 16, 128):
            row = seen.get((rw, qd))
            if row is None:
                problems.append("%s/%d missing" % (rw, qd))
                continue
            for side in ("storpath", "fio", "fio_batched"):
                for k in ("iops", "p50_us", "p99_us", "p999_us", "cpu_us_per_io"):
                    if not isinstance(row[side].get(k), (int, float)):
                        problems.append("%s/%d %s.%s missing (%s)" % (
                            rw, qd, side, k, row[side].get("error", "")))
            if row["storpath"].get("payload_copies") != 0:
                problems.append("%s/%d: payload copies" % (rw, qd))
            if row["storpath"].get("errors") != 0:
                problems.append("%s/%d: I/O errors" % (rw, qd))
            if "iops" not in row["ratio"]:
                problems.append("%s/%d: no ratio" % (rw, qd))
    for k in ("date", "filesystem", "fio"):
        if k not in doc["context"]:
            problems.append("context." + k + " missing")
    if problems:
        print("storpath bench-smoke: " + "; ".join(problems))
        return 1
    print("storpath bench-smoke: %d workloads, both sides, 0 copies, 0 errors" % len(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
