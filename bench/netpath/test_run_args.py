#!/usr/bin/env python3
"""Hosted test of bench/netpath/run's arguments, in both modes (the full
run and --pairs): --help names every environment knob either reads (run and
pairs.sh); each bad knob or argument stops it with exit status 2 and a
message naming it, before anything is measured or written.  Runs no
benchmark (a fake netpath_bench; bench/common/script_args.py)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from script_args import ScriptArgs  # noqa: E402


class RunArgs(ScriptArgs):
    SCRIPT = os.path.join(HERE, "run")
    SOURCED = (os.path.join(HERE, "pairs.sh"),)
    KNOBS = ("RESULTS", "MIN_TIME", "REPS", "PMD_SECONDS", "PAIRS", "RUNTIME", "ROWS", "SMOKE",
             "NETPATH")
    FAKES = ("build/bench/netpath/netpath_bench", "bin/dpdk-test", "bin/dpdk-testpmd",
             "bin/valgrind")

    def test_help_names_every_knob(self):
        out = self.check_help()
        for word in ("--pairs", "--results", "PAIRS", "ROWS", "netpath-pairs.json"):
            self.assertIn(word, out)

    def test_bad_pairs_knobs(self):
        cases = [
            ("PAIRS", {"PAIRS": "0"}), ("PAIRS", {"PAIRS": "six"}), ("PAIRS", {"PAIRS": "-3"}),
            ("PAIRS", {"PAIRS": "1.5"}),
            ("RUNTIME", {"RUNTIME": "abc"}), ("RUNTIME", {"RUNTIME": "0"}),
            ("RUNTIME", {"RUNTIME": "-1"}), ("RUNTIME", {"RUNTIME": "2s"}),
            ("ROWS", {"ROWS": "64:16"}), ("ROWS", {"ROWS": "9000:32"}),
            ("ROWS", {"ROWS": "64"}), ("ROWS", {"ROWS": "64:32 64:32"}),
            ("ROWS", {"ROWS": " , "}),
            ("NETPATH", {"NETPATH": "netpath_copy_poll"}), ("NETPATH", {"NETPATH": "zcw"}),
            ("NETPATH", {"NETPATH": "netpath_zc_idle"}),
            ("NETPATH", {"NETPATH": "netpath_zcw_poll_fenced "}),
            ("NETPATH", {"NETPATH": "netpath_zc_poll netpath_zcw_poll"}),
            ("NETPATH", {"NETPATH": "netpath_*"}),
        ]
        for knob, env in cases:
            with self.subTest(env=env):
                self.refused(["--pairs"], knob, **env)

    def test_bad_full_run_knobs(self):
        cases = [
            ("MIN_TIME", {"MIN_TIME": "x"}), ("MIN_TIME", {"MIN_TIME": "0"}),
            ("REPS", {"REPS": "0"}), ("REPS", {"REPS": "three"}),
            ("PMD_SECONDS", {"PMD_SECONDS": "-2"}),
        ]
        for knob, env in cases:
            with self.subTest(env=env):
                self.refused([], knob, **env)

    def test_bad_arguments(self):
        self.refused(["--bogus"], "--bogus")
        self.refused(["--pairs", "extra"], "extra")
        for args in (["--results"], ["--results", ""], ["--pairs", "--results"]):
            with self.subTest(args=args):
                r = self.run_script(args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("--results needs", r.stderr)


if __name__ == "__main__":
    unittest.main()
