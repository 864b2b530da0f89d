#!/usr/bin/env python3
"""Hosted test of the storpath bench's decision (decide.py), of summary.py's
merge of raw outputs into bench.json, and of check_json.py's validation:
known ratio lists give known intervals and verdicts; a bench.json made from
synthetic raw files validates, and each corruption of it is caught."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_json  # noqa: E402
import decide  # noqa: E402
import summary  # noqa: E402

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


def gb_json(iops, p99):
    b = {"run_type": "iteration", "items_per_second": iops, "p50_us": p99 / 2, "p99_us": p99,
         "p999_us": p99 * 2, "cpu_us_per_io": 40.0, "payload_copies": 0.0,
         "zero_copy_ios": 1000.0, "enters_per_io": 1.0, "doorbells_per_io": 1.0,
         "irqs_per_io": 0.0, "errors": 0.0, "iterations": 1000}  # counters are doubles
    return {"benchmarks": [b]}


def fio_json(rw, iops, p99):
    pct = {"50.000000": p99 * 500, "99.000000": p99 * 1000, "99.900000": p99 * 2000}
    return {"jobs": [{rw: {"iops": iops, "total_ios": 1000, "lat_ns": {"percentile": pct}},
                      "usr_cpu": 10.0, "sys_cpu": 30.0, "job_runtime": 1000, "error": 0}]}


def write_raw(out, rows, iops_r, p99_r, batched):
    """Raw outputs as run writes them: fio at 10000 IOPS and p99 100 us,
    storpath at the given ratios of that, fio batched equal to fio."""
    raw = os.path.join(out, "raw")
    os.makedirs(raw)
    seq = 0
    with open(os.path.join(raw, "schedule.txt"), "w") as sched:
        for rnd in range(1, len(iops_r) + 1):
            for rw, qd in rows:
                sides = ["storpath", "fio"] + (["fio_batched"] if batched else [])
                if rnd % 2 == 0:
                    sides.reverse()
                for side in sides:
                    seq += 1
                    sched.write("%d %d %s %d %s %d.5 0.25\n" % (seq, rnd, rw, qd, side, 1000 + seq))
                    name = "%s_%s_%d_%d.json" % (summary.PREFIX[side], rw[4:], qd, rnd)
                    doc = (gb_json(10000 * iops_r[rnd - 1], 100 * p99_r[rnd - 1])
                           if side == "storpath" else fio_json(rw[4:], 10000, 100))
                    with open(os.path.join(raw, name), "w") as f:
                        json.dump(doc, f)


def run_summary(out, rows, npairs, batched):
    subprocess.run([sys.executable, os.path.join(HERE, "summary.py"), "--out", out,
                    "--rows", " ".join("%s:%d" % r for r in rows), "--pairs", str(npairs),
                    "--runtime", "1", "--size-mb", "64", "--batched", str(batched)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "bench.json")) as f:
        return json.load(f)


class SummaryAndCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "all")
        write_raw(out, ALL_ROWS, MET_IOPS, MET_P99, 1)
        cls.doc = run_summary(out, ALL_ROWS, len(MET_IOPS), 1)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_merged(self):
        self.assertEqual(check_json.validate(self.doc), [])
        self.assertEqual(self.doc["overall"]["verdict"], "MET")
        row = self.doc["results"][0]
        self.assertEqual([p["order"] for p in row["pairs"][:2]],
                         [["storpath", "fio", "fio_batched"], ["fio_batched", "fio", "storpath"]])
        got = sorted(round(p["ratio"]["iops"], 9) for p in row["pairs"])
        self.assertEqual(got, sorted(MET_IOPS))
        self.assertAlmostEqual(row["decision"]["iops"]["ci_low"], 0.98)
        self.assertAlmostEqual(row["decision_batched"]["p99_us"]["ci_high"], 1.02)
        self.assertEqual(row["storpath"]["payload_copies"], 0)
        self.assertEqual(row["storpath"]["zero_copy_ios"], 12000)
        self.assertEqual(row["storpath"]["cpu_us_per_io"], 40.0)

    def test_one_row_missed(self):
        out = os.path.join(self.tmp.name, "one")
        write_raw(out, [("randwrite", 1)], LOW_IOPS, MET_P99, 0)
        doc = run_summary(out, [("randwrite", 1)], 12, 0)
        self.assertEqual(check_json.validate(doc), [])
        self.assertEqual((doc["results"][0]["decision"]["verdict"], doc["overall"]["verdict"],
                          doc["overall"]["rows_not_run"]), ("MISSED", "MISSED", 5))
        self.assertNotIn("fio_batched", doc["results"][0])

    def corrupt(self, change):
        doc = copy.deepcopy(self.doc)
        change(doc)
        return check_json.validate(doc)

    def test_corruptions_caught(self):
        row = lambda d: d["results"][2]  # noqa: E731
        dec = lambda d: row(d)["decision"]  # noqa: E731

        def set_(path, value):
            def change(d):
                obj = d
                for k in path[:-1]:
                    obj = obj[k]
                obj[path[-1]] = value
            return change

        cases = {
            "verdict flipped": lambda d: dec(d).update(verdict="MISSED"),
            "criterion verdict flipped": lambda d: dec(d)["iops"].update(verdict="INCONCLUSIVE"),
            "unknown verdict": lambda d: dec(d).update(verdict="met"),
            "median moved": lambda d: dec(d)["iops"].update(median=1.01),
            "bound not an order statistic": lambda d: dec(d)["iops"].update(ci_low=0.975),
            "asymmetric bounds": lambda d: dec(d)["iops"].update(ci_high=1.01),
            "bounds swapped": lambda d: dec(d)["iops"].update(ci_low=1.02, ci_high=0.98),
            "bound missing": lambda d: dec(d)["p99_us"].update(ci_high=None),
            "coverage below level": lambda d: dec(d)["p99_us"].update(coverage=0.9),
            "n wrong": lambda d: dec(d)["iops"].update(n=11),
            "more_pairs not a count": lambda d: dec(d)["iops"].update(more_pairs=-2),
            "decision missing": lambda d: row(d).pop("decision"),
            "batched decision missing": lambda d: row(d).pop("decision_batched"),
            "negative pair ratio": lambda d: row(d)["pairs"][0]["ratio"].update(iops=-1.0),
            "NaN pair ratio": lambda d: row(d)["pairs"][0]["ratio"].update(p99_us=float("nan")),
            "string pair ratio": lambda d: row(d)["pairs"][0]["ratio"].update(iops="1.0"),
            "pair dropped": lambda d: row(d)["pairs"].pop(),
            "pair round wrong": lambda d: row(d)["pairs"][1].update(round=7),
            "pair order unknown side": lambda d: row(d)["pairs"][1]["order"].__setitem__(0, "dpdk"),
            "pair order short": lambda d: row(d)["pairs"][1]["order"].pop(),
            "copies with MET": lambda d: row(d)["storpath"].update(payload_copies=3),
            "copies not a count": lambda d: row(d)["storpath"].update(payload_copies=-1),
            "storpath cpu missing": lambda d: row(d)["storpath"].pop("cpu_us_per_io"),
            "zero-copy counter missing": lambda d: row(d)["storpath"].pop("zero_copy_ios"),
            "overall flipped": set_(["overall", "verdict"], "INCONCLUSIVE"),
            "overall count": set_(["overall", "met"], 5),
            "pairs a string": set_(["context", "pairs"], "12"),
            "batched not a bool": set_(["context", "batched"], 1),
            "target changed": set_(["target", "iops_ratio_min"], 0.9),
            "row twice": lambda d: d["results"].append(copy.deepcopy(d["results"][0])),
            "unknown row": lambda d: d["results"][0].update(qd=32),
            "no results": set_(["results"], []),
        }
        for name, change in cases.items():
            with self.subTest(name):
                self.assertNotEqual(self.corrupt(change), [], name)

    def test_consistent_lies_caught(self):
        """Verdicts changed together with everything that follows from them:
        only the check against the interval's bounds can see it."""
        def criterion_lie(d):
            row = d["results"][2]
            row["decision"]["iops"]["verdict"] = "MISSED"
            row["decision"]["verdict"] = "MISSED"
            d["overall"].update(verdict="MISSED", met=5, missed=1)

        def row_lie(d):
            d["results"][2]["decision"]["verdict"] = "INCONCLUSIVE"
            d["overall"].update(verdict="INCONCLUSIVE", met=5, inconclusive=1)
        self.assertTrue(any("contradicts" in p for p in self.corrupt(criterion_lie)))
        self.assertTrue(any("criteria say" in p for p in self.corrupt(row_lie)))

    def test_bad_pair_ratio(self):
        pair = copy.deepcopy(self.doc["results"][0]["pairs"][0])
        sides = ("storpath", "fio", "fio_batched")
        self.assertEqual(check_json.check_pair(pair, 0, sides, "x"), [])
        for bad in (0.0, -1.0, None, "1"):
            q = copy.deepcopy(pair)
            q["ratio_batched"]["p99_us"] = bad
            self.assertNotEqual(check_json.check_pair(q, 0, sides, "x"), [], repr(bad))


if __name__ == "__main__":
    unittest.main()
