#!/usr/bin/env python3
"""Hosted test of the storpath bench's decision (decide.py): known ratio
lists give known intervals and verdicts."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import decide  # noqa: E402

# 12 ratios each; sorted, and the 95% interval is [x(3), x(10)].
MET_IOPS = [1.00, 0.99, 1.02, 0.97, 1.01, 1.03, 0.98, 1.00, 1.04, 0.96, 1.01, 0.99]
MET_P99 = [0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 0.82, 0.88, 0.93, 0.97, 1.02, 1.08]
LOW_IOPS = [0.85, 0.86, 0.87, 0.88, 0.89, 0.90, 0.91, 0.92, 0.93, 0.93, 0.94, 0.99]
HIGH_P99 = [1.15, 1.2, 1.25, 1.3, 1.12, 1.18, 1.22, 1.4, 1.16, 1.21, 1.09, 1.3]
ALL_ROWS = [(rw, qd) for rw in ("randread", "randwrite") for qd in (1, 16, 128)]


class Binomial(unittest.TestCase):
    def test_cdf(self):
        self.assertEqual(decide.binom_half_cdf(0, 6), 1 / 64)
        self.assertEqual(decide.binom_half_cdf(2, 12), 79 / 4096)
        self.assertEqual(decide.binom_half_cdf(5, 20), 21700 / 2 ** 20)
        self.assertEqual(decide.binom_half_cdf(-1, 5), 0.0)
        self.assertEqual(decide.binom_half_cdf(9, 9), 1.0)

    def test_rank(self):
        # largest k with P(Bin(n, 1/2) <= k-1) <= 0.025
        self.assertEqual([decide.ci_rank(n) for n in (1, 5, 6, 8, 9, 12, 20)],
                         [0, 0, 1, 1, 2, 3, 6])
        self.assertEqual(decide.min_pairs(), 6)


class Interval(unittest.TestCase):
    def test_too_few(self):
        self.assertIsNone(decide.median_ci([1.0] * 5))

    def test_six_is_min_max(self):
        lo, hi, cov = decide.median_ci([1.3, 0.7, 1.0, 1.1, 0.9, 1.2])
        self.assertEqual((lo, hi), (0.7, 1.3))
        self.assertEqual(cov, 1 - 2 / 64)

    def test_twelve(self):
        lo, hi, cov = decide.median_ci(MET_IOPS)
        self.assertEqual((lo, hi), (0.98, 1.02))
        self.assertEqual(cov, 1 - 2 * 79 / 4096)

    def test_twenty(self):
        xs = [0.80 + 0.01 * i for i in range(20)]
        lo, hi, _ = decide.median_ci(list(reversed(xs)))
        self.assertEqual((lo, hi), (xs[5], xs[14]))

    def test_bad_ratios(self):
        for bad in (0, -1.0, float("nan"), float("inf"), "1.0", None, True):
            with self.assertRaises(ValueError, msg=repr(bad)):
                decide.decide([1.0] * 5 + [bad], [1.0] * 6)
        with self.assertRaises(ValueError):
            decide.criterion([1.0] * 6, 1.0, ">")


class Verdict(unittest.TestCase):
    def test_met(self):
        d = decide.decide(MET_IOPS, MET_P99)
        self.assertEqual(d["verdict"], "MET")
        self.assertEqual((d["iops"]["ci_low"], d["iops"]["ci_high"]), (0.98, 1.02))
        self.assertEqual((d["p99_us"]["ci_low"], d["p99_us"]["ci_high"]), (0.85, 1.02))
        self.assertEqual(d["iops"]["median"], 1.00)
        self.assertIsNone(d["more_pairs"])

    def test_missed_iops(self):
        d = decide.decide(LOW_IOPS, MET_P99)
        self.assertEqual((d["iops"]["verdict"], d["p99_us"]["verdict"], d["verdict"]),
                         ("MISSED", "MET", "MISSED"))
        self.assertEqual(d["iops"]["ci_high"], 0.93)

    def test_missed_p99(self):
        d = decide.decide(MET_IOPS, HIGH_P99)
        self.assertEqual((d["p99_us"]["verdict"], d["verdict"]), ("MISSED", "MISSED"))
        self.assertEqual(d["p99_us"]["ci_low"], 1.15)

    def test_copies_miss(self):
        d = decide.decide(MET_IOPS, MET_P99, payload_copies=1)
        self.assertEqual(d["verdict"], "MISSED")
        self.assertIn("payload copies", d["why"])

    def test_inconclusive_towards_met(self):
        xs = [0.90, 0.92, 0.94, 0.96, 0.97, 0.98, 0.99, 1.00, 1.01, 1.02, 1.03, 1.05]
        d = decide.decide(xs, MET_P99)
        c = d["iops"]
        self.assertEqual((c["verdict"], c["ci_low"], c["ci_high"]), ("INCONCLUSIVE", 0.94, 1.02))
        # median 0.985, 0.045 above the bound, 0.035 above 0.95:
        # ceil(12 * (0.045 / 0.035)^2) = 20 pairs, 8 more
        self.assertEqual((c["more_pairs"], d["more_pairs"], d["verdict"]), (8, 8, "INCONCLUSIVE"))

    def test_inconclusive_towards_missed(self):
        xs = [0.88, 0.89, 0.90, 0.91, 0.92, 0.93, 0.94, 0.94, 0.95, 0.96, 0.97, 0.99]
        c = decide.decide(xs, MET_P99)["iops"]
        # median 0.935, interval up to 0.96: ceil(12 * (0.025 / 0.015)^2) = 34
        self.assertEqual((c["verdict"], c["ci_high"], c["more_pairs"]), ("INCONCLUSIVE", 0.96, 22))

    def test_tie(self):
        xs = [0.90, 0.91, 0.92, 0.94, 0.95, 0.951, 0.951, 0.96, 0.97, 0.98, 0.99, 1.0]
        d = decide.decide(xs, MET_P99)
        self.assertEqual(d["verdict"], "INCONCLUSIVE")
        self.assertIsNone(d["more_pairs"])
        self.assertIn("too close", d["why"])

    def test_too_few_pairs(self):
        d = decide.decide([1.2, 1.2, 1.2], [0.5, 0.5, 0.5])
        self.assertEqual((d["verdict"], d["more_pairs"]), ("INCONCLUSIVE", 3))
        self.assertIsNone(d["iops"]["ci_low"])

    def test_bounds_inclusive(self):
        iops = [0.90, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.0, 1.0, 1.0, 1.1]
        p99 = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3]
        d = decide.decide(iops, p99)
        self.assertEqual((d["iops"]["ci_low"], d["p99_us"]["ci_high"]), (0.95, 1.1))
        self.assertEqual(d["verdict"], "MET")

    def test_on_the_bound_is_not_missed(self):
        iops = [0.9] * 9 + [0.95] * 3       # interval [0.9, 0.95]: not wholly < 0.95
        p99 = [1.1] * 3 + [1.2] * 9         # interval [1.1, 1.2]: not wholly > 1.1
        d = decide.decide(iops, p99)
        self.assertEqual((d["iops"]["verdict"], d["p99_us"]["verdict"]),
                         ("INCONCLUSIVE", "INCONCLUSIVE"))

    def test_overall(self):
        rows = [{"rw": rw, "qd": qd, "decision": {"verdict": "MET"}} for rw, qd in ALL_ROWS]
        self.assertEqual(decide.overall(rows, ALL_ROWS)["verdict"], "MET")
        self.assertEqual(decide.overall(rows[1:], ALL_ROWS)["verdict"], "INCONCLUSIVE")
        rows[3]["decision"]["verdict"] = "INCONCLUSIVE"
        self.assertEqual(decide.overall(rows, ALL_ROWS)["verdict"], "INCONCLUSIVE")
        rows[4]["decision"]["verdict"] = "MISSED"
        o = decide.overall(rows, ALL_ROWS)
        self.assertEqual((o["verdict"], o["met"], o["missed"], o["inconclusive"]),
                         ("MISSED", 4, 1, 1))


if __name__ == "__main__":
    unittest.main()
