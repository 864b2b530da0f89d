#!/usr/bin/env python3
"""The storpath bench's decision rule (stdlib only; README.md, "Decision").

The statistics (median of per-pair ratios storpath / fio, its 95%
distribution-free interval from order statistics, MET / MISSED /
INCONCLUSIVE per criterion and per row) are bench/common/pair_decide.py,
shared with bench/netpath.  Here: storpath's target.  IOPS: the interval's
lower bound >= 0.95; p99: its upper bound <= 1.1.  A row is MET if both
criteria are MET and no payload was copied, MISSED if either criterion is
MISSED or a payload was copied, else INCONCLUSIVE."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from pair_decide import (INCONCLUSIVE, LEVEL, MAX_PAIRS, MET, MISSED,  # noqa: E402,F401
                         binom_half_cdf, check_ratios, ci_rank, criterion, median_ci,
                         min_pairs, pairs_needed)
import pair_decide  # noqa: E402

IOPS_MIN = 0.95          # storpath IOPS >= 0.95x fio's
P99_MAX = 1.1            # storpath p99 <= 1.1x fio's


def decide(iops_ratios, p99_ratios, payload_copies=0):
    """The row's decision: both criteria, the zero-copy condition, verdict."""
    crit = {"iops": criterion(iops_ratios, IOPS_MIN, ">="),
            "p99_us": criterion(p99_ratios, P99_MAX, "<=")}
    res = pair_decide.combine(crit, ["payload copies"] if payload_copies else [],
                              "both intervals meet the target; 0 payload copies")
    res["payload_copies"] = payload_copies
    return res


def overall(rows, all_rows):
    """The issue's verdict over the rows run: MET only if every one of
    all_rows was run and MET; MISSED if any row MISSED."""
    verdicts = {(r["rw"], r["qd"]): r["decision"]["verdict"] for r in rows}
    missing = [k for k in all_rows if k not in verdicts]
    return pair_decide.overall(verdicts.values(), len(missing))
