#!/usr/bin/env python3
"""Run sched_sim on random mixes of shares, reservations and limits and report
how many stay within 5% of their entitlement, and the migrations they cost.

    tests/random_mixes.py BUILD/vmkernel/sched/sched_sim [SEED] [CASES]

Deterministic for a given seed.  Prints a summary line, then the worst cases
as (worst |error| %, cpus, worlds, migrations, sched_sim arguments)."""
import json
import random
import subprocess
import sys


def one_case(sim, rng):
    ncpus = rng.choice([1, 2, 2, 3, 4])
    n = rng.randint(ncpus + 1, ncpus * 3)
    args = ["--cpus", str(ncpus), "--ms", "20000"]
    for _ in range(n):
        shares = rng.choice([500, 1000, 1000, 2000, 3000, 4000])
        resv, limit = 0, 1000000
        if rng.random() < 0.2:
            resv = rng.choice([100000, 200000, 300000])
        if rng.random() < 0.2:
            limit = rng.choice([300000, 500000, 700000])
        args += ["--world", f"{shares}:{min(resv, limit)}:{limit}"]
    out = subprocess.run([sim] + args, capture_output=True, text=True)
    if out.returncode:      # a reservation refused by admission control
        return None
    sc = json.loads(out.stdout)["scenarios"][0]
    worst = max(abs(w["error_pct"]) for w in sc["worlds"])
    migrations = sum(w["migrations"] for w in sc["worlds"])
    return (worst, ncpus, n, migrations, " ".join(args))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    cases = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    res = [r for r in (one_case(sys.argv[1], rng) for _ in range(cases)) if r]
    res.sort(reverse=True)
    over = sum(1 for r in res if r[0] > 5)
    print(f"{len(res)} cases, {over} beyond 5%, worst {res[0][0]:.1f}%, "
          f"most migrations {max(r[3] for r in res) / 20:.0f}/s")
    for r in res[:5]:
        print(r)


if __name__ == "__main__":
    main()
