#!/usr/bin/env python3
"""Hosted test of issue 7's pair decision (pairs.py on bench/common's
pair_decide): synthetic raw runs with known Mpps give known ratios,
intervals and verdicts; corrupt raw runs are counted as failed pairs and
left out, never read as figures; a corrupt schedule stops the merge; and
--check catches every corruption of the merged JSON.  Runs no benchmark."""
import copy
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pairs  # noqa: E402

# 12 ratios each; sorted, the 95% interval is [x(3), x(10)].
MET = [1.10, 1.05, 1.20, 1.02, 1.08, 1.15, 1.01, 1.12, 1.04, 1.30, 0.97, 1.06]
LOW = [0.60, 0.62, 0.70, 0.66, 0.64, 0.68, 0.71, 0.65, 0.69, 1.05, 0.63, 0.67]
OPEN = [0.90, 0.95, 0.97, 0.99, 1.00, 1.01, 1.02, 1.03, 1.05, 1.07, 1.10, 0.92]


def gb(name, mpps, copies=0.0, bells=0.0, drops=0.0, **extra):
    b = {"name": name, "run_type": "iteration", "iterations": 1000, "real_time": 1500.0,
         "Mpps": mpps, "copies_per_pkt": copies, "doorbells_per_pkt": bells, "drops": drops}
    b.update(extra)
    return {"context": {}, "benchmarks": [b]}


def put(path, text):
    with open(path, "w") as f:
        f.write(text)


def dump(path, obj):
    put(path, json.dumps(obj))


def load(path):
    with open(path) as f:
        return json.load(f)


def write_raw(d, rows, rte=100.0, name="netpath_zc_poll", **netpath_kw):
    """rows: {(size, batch): [ratio per round]}; rte_ring makes `rte` Mpps."""
    os.makedirs(d, exist_ok=True)
    seq = 0
    with open(os.path.join(d, "schedule.txt"), "w") as sched:
        for (size, batch), ratios in rows.items():
            for rnd, x in enumerate(ratios, 1):
                order = ("netpath", "rte_ring") if rnd % 2 else ("rte_ring", "netpath")
                for side in order:
                    seq += 1
                    sched.write("%d %d %d %d %s %f 0.5\n" % (seq, rnd, size, batch, side, 1e9 + seq))
                    doc = (gb("%s/%d/%d/real_time" % (name, size, batch), x * rte,
                              **netpath_kw) if side == "netpath" else
                           gb("dpdk_rte_ring_spsc/%d/%d/real_time" % (size, batch), rte))
                    with open(os.path.join(d, "%s_%d_%d_%d.json" % (side, size, batch, rnd)),
                              "w") as f:
                        json.dump(doc, f)


def merge(d, rows, npairs, extra=()):
    out = os.path.join(d, "out.json")
    argv = ["--out", d, "--json", out, "--rows", rows, "--pairs", str(npairs),
            "--runtime", "1"] + list(extra)
    with open(os.devnull, "w") as null:
        stdout, sys.stdout = sys.stdout, null
        try:
            pairs.main(argv)
        finally:
            sys.stdout = stdout
    with open(out) as f:
        return json.load(f)


class Decision(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def row(self, doc, size, batch):
        return next(r for r in doc["results"] if (r["size"], r["batch"]) == (size, batch))

    def test_met_missed_inconclusive(self):
        write_raw(self.d, {(64, 32): MET, (1500, 32): LOW, (64, 8): OPEN})
        doc = merge(self.d, "64:32 1500:32 64:8", 12)
        met, low, open_ = (self.row(doc, 64, 32), self.row(doc, 1500, 32), self.row(doc, 64, 8))
        c = met["decision"]["mpps"]
        self.assertEqual(met["decision"]["verdict"], "MET")
        self.assertAlmostEqual(c["ci_low"], 1.02)
        self.assertAlmostEqual(c["ci_high"], 1.15)
        self.assertAlmostEqual(c["median"], 1.07)
        self.assertEqual(low["decision"]["verdict"], "MISSED")
        self.assertAlmostEqual(low["decision"]["mpps"]["ci_high"], 0.70)
        self.assertEqual(open_["decision"]["verdict"], "INCONCLUSIVE")
        self.assertEqual(doc["overall"]["verdict"], "MISSED")
        # round-by-round figures, in the order they ran
        p = met["pairs"][1]
        self.assertEqual((p["round"], p["order"]), (2, ["rte_ring", "netpath"]))
        self.assertAlmostEqual(p["netpath"]["Mpps"], 105.0)
        self.assertAlmostEqual(p["ratio"], 1.05)
        self.assertEqual(pairs.check(doc), [])

    def test_netpath_variant(self):
        # Runs of the word ring are read only when --netpath names it, and
        # the merged file says which variant it compared.
        write_raw(self.d, {(64, 32): MET}, name="netpath_zcw_poll")
        doc = merge(self.d, "64:32", 12, ["--netpath", "netpath_zcw_poll"])
        self.assertEqual(doc["context"]["netpath_variant"], "netpath_zcw_poll")
        self.assertEqual(self.row(doc, 64, 32)["decision"]["verdict"], "MET")
        self.assertEqual(pairs.check(doc), [])
        doc = merge(self.d, "64:32", 12)
        self.assertEqual(doc["context"]["netpath_variant"], "netpath_zc_poll")
        self.assertEqual(self.row(doc, 64, 32)["decision"]["pairs_failed"], 12)
        # the fenced word ring: its own runs, not the asymmetric ones
        doc = merge(self.d, "64:32", 12, ["--netpath", "netpath_zcw_poll_fenced"])
        self.assertEqual(doc["context"]["netpath_variant"], "netpath_zcw_poll_fenced")
        self.assertEqual(self.row(doc, 64, 32)["decision"]["pairs_failed"], 12)
        write_raw(self.d, {(64, 32): MET}, name="netpath_zcw_poll_fenced")
        doc = merge(self.d, "64:32", 12, ["--netpath", "netpath_zcw_poll_fenced"])
        self.assertEqual(self.row(doc, 64, 32)["decision"]["verdict"], "MET")
        self.assertEqual(pairs.check(doc), [])

    def test_overall_needs_both_batch32_rows(self):
        write_raw(self.d, {(64, 32): MET, (64, 8): MET})
        o = merge(self.d, "64:32 64:8", 12)["overall"]
        self.assertEqual((o["verdict"], o["met"], o["rows_not_run"]), ("INCONCLUSIVE", 1, 1))
        write_raw(self.d, {(64, 32): MET, (1500, 32): MET})
        self.assertEqual(merge(self.d, "64:32 1500:32", 12)["overall"]["verdict"], "MET")

    def test_on_the_bound_is_met(self):
        xs = [0.99, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.01, 1.2]
        write_raw(self.d, {(64, 32): xs})
        d = self.row(merge(self.d, "64:32", 12), 64, 32)["decision"]
        self.assertEqual((d["mpps"]["ci_low"], d["verdict"]), (1.0, "MET"))

    def test_conditions_miss(self):
        for kw, why in (({"copies": 1.0}, "payload copies"),
                        ({"bells": 2.0 / 32}, "doorbell"),
                        ({"drops": 3.0}, "dropped")):
            write_raw(self.d, {(64, 32): MET}, **kw)
            d = self.row(merge(self.d, "64:32", 12), 64, 32)["decision"]
            self.assertEqual(d["verdict"], "MISSED", kw)
            self.assertIn(why, d["why"])
        write_raw(self.d, {(64, 32): MET}, bells=1.0 / 32)   # exactly one per batch
        self.assertEqual(self.row(merge(self.d, "64:32", 12), 64, 32)["decision"]["verdict"],
                         "MET")

    def test_too_few_pairs(self):
        write_raw(self.d, {(64, 32): MET[:5]})
        d = self.row(merge(self.d, "64:32", 5), 64, 32)["decision"]
        self.assertEqual((d["verdict"], d["more_pairs"]), ("INCONCLUSIVE", 1))


class CorruptRaw(unittest.TestCase):
    """Each corruption of one raw run fails that pair only."""
    CASES = {
        "truncated": lambda p: put(p, '{"benchmarks": [{"name"'),
        "empty": lambda p: put(p, ""),
        "missing": os.remove,
        "not an object": lambda p: dump(p, [1, 2]),
        "no Mpps": lambda p: edit(p, lambda b: b.pop("Mpps")),
        "Mpps string": lambda p: edit(p, lambda b: b.update(Mpps="120")),
        "Mpps NaN": lambda p: edit(p, lambda b: b.update(Mpps=float("nan"))),
        "Mpps negative": lambda p: edit(p, lambda b: b.update(Mpps=-5.0)),
        "Mpps zero": lambda p: edit(p, lambda b: b.update(Mpps=0)),
        "Mpps bool": lambda p: edit(p, lambda b: b.update(Mpps=True)),
        "copies missing": lambda p: edit(p, lambda b: b.pop("copies_per_pkt")),
        "wrong benchmark": lambda p: edit(p, lambda b: b.update(
            name="netpath_zc_poll/1500/32/real_time")),
        "skipped": lambda p: edit(p, lambda b: b.update(error_occurred=True,
                                                         error_message="no DPDK")),
        "two runs": lambda p: dump(p, {"benchmarks": load(p)["benchmarks"] * 2}),
    }

    def test_each(self):
        for what, corrupt in self.CASES.items():
            with self.subTest(what), tempfile.TemporaryDirectory() as d:
                write_raw(d, {(64, 32): MET + [1.1]})
                corrupt(os.path.join(d, "netpath_64_32_4.json"))
                row = merge(d, "64:32", 13)["results"][0]
                p = row["pairs"][3]
                self.assertIsNone(p["ratio"])
                self.assertIn("netpath_64_32_4.json", p["netpath"]["error"])
                dec = row["decision"]
                self.assertEqual((dec["pairs_used"], dec["pairs_failed"]), (12, 1))
                self.assertEqual(row["netpath"]["failed"], 1)
                # the other 12 pairs: MET's ratios with 1.02 (round 4) out, 1.1 in
                self.assertEqual(dec["verdict"], "MET")

    def test_rte_ring_side(self):
        for what in ("truncated", "no Mpps", "skipped"):
            with self.subTest(what), tempfile.TemporaryDirectory() as d:
                write_raw(d, {(64, 32): MET})
                self.CASES[what](os.path.join(d, "rte_ring_64_32_7.json"))
                row = merge(d, "64:32", 12)["results"][0]
                self.assertIsNone(row["pairs"][6]["ratio"])
                self.assertIn("rte_ring_64_32_7.json", row["pairs"][6]["rte_ring"]["error"])
                self.assertEqual((row["rte_ring"]["failed"], row["decision"]["pairs_used"]),
                                 (1, 11))

    def test_bad_schedule(self):
        for line in ("1 1 64 32 netpath x 0.5\n", "1 1 64 32 dpdk 1.0 0.5\n", "garbage\n"):
            with self.subTest(line), tempfile.TemporaryDirectory() as d:
                write_raw(d, {(64, 32): MET})
                with open(os.path.join(d, "schedule.txt"), "a") as f:
                    f.write(line)
                with self.assertRaises(SystemExit):
                    merge(d, "64:32", 12)
        with tempfile.TemporaryDirectory() as d:
            write_raw(d, {(64, 32): MET})
            with self.assertRaises(SystemExit):     # round 13 never ran
                merge(d, "64:32", 13)


def edit(path, fn):
    doc = load(path)
    fn(doc["benchmarks"][0])
    dump(path, doc)


class Check(unittest.TestCase):
    """--check re-derives the merged JSON; every lie is caught."""
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as d:
            write_raw(d, {(64, 32): MET, (1500, 32): MET})
            cls.doc = merge(d, "64:32 1500:32", 12)

    def test_good(self):
        self.assertEqual(pairs.check(self.doc), [])
        self.assertEqual(self.doc["overall"]["verdict"], "MET")

    def test_corruptions(self):
        def row0(doc):
            return doc["results"][0]
        cases = {
            "ratio": lambda doc: row0(doc)["pairs"][0].update(ratio=1.5),
            # changes neither the median nor the interval
            "ratio slightly": lambda doc: row0(doc)["pairs"][0].update(ratio=1.11),
            "ratio_median": lambda doc: row0(doc).update(ratio_median=1.5),
            "Mpps of a round": lambda doc: row0(doc)["pairs"][0]["netpath"].update(Mpps=50.0),
            "Mpps string": lambda doc: row0(doc)["pairs"][0]["rte_ring"].update(Mpps="100"),
            "copies": lambda doc: row0(doc)["pairs"][2]["netpath"].update(copies_per_pkt=1.0),
            "a round dropped": lambda doc: row0(doc)["pairs"].pop(5),
            "a round twice": lambda doc: row0(doc)["pairs"].__setitem__(1, row0(doc)["pairs"][0]),
            "verdict": lambda doc: row0(doc)["decision"].update(verdict="MISSED"),
            "interval": lambda doc: row0(doc)["decision"]["mpps"].update(ci_low=1.2),
            "median": lambda doc: row0(doc).update(netpath=dict(row0(doc)["netpath"],
                                                                 Mpps_median=999.0)),
            "overall": lambda doc: doc["overall"].update(verdict="MISSED"),
            "row gone": lambda doc: doc["results"].pop(),
            "no results": lambda doc: doc.pop("results"),
            "results not a list": lambda doc: doc.update(results=7),
            "pair not an object": lambda doc: row0(doc)["pairs"].__setitem__(0, "x"),
        }
        for what, corrupt in cases.items():
            with self.subTest(what):
                doc = copy.deepcopy(self.doc)
                corrupt(doc)
                self.assertNotEqual(pairs.check(doc), [], what)

    def test_check_command(self):
        with tempfile.TemporaryDirectory() as d:
            good, bad, broken = (os.path.join(d, n) for n in ("g.json", "b.json", "x.json"))
            dump(good, self.doc)
            doc = copy.deepcopy(self.doc)
            doc["overall"]["met"] = 0
            dump(bad, doc)
            put(broken, "{")
            with open(os.devnull, "w") as null:
                err, sys.stderr = sys.stderr, null
                try:
                    rcs = [pairs.main(["--check", p]) for p in (good, bad, broken)]
                finally:
                    sys.stderr = err
            self.assertEqual(rcs, [0, 1, 1])


if __name__ == "__main__":
    unittest.main()
