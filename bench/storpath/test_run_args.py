#!/usr/bin/env python3
"""Hosted test of bench/storpath/run's arguments: --help names every
environment knob the script reads; each bad knob or argument stops it with
exit status 2 and a message naming it, before anything is measured or
written.  Runs no benchmark (fake fio and storpath_bench;
bench/common/script_args.py)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from script_args import ScriptArgs  # noqa: E402


class RunArgs(ScriptArgs):
    SCRIPT = os.path.join(HERE, "run")
    KNOBS = ("PAIRS", "REPS", "RUNTIME", "ROWS", "BATCHED", "SIZE_MB", "SMOKE")
    FAKES = ("bin/fio", "build/bench/storpath/storpath_bench")

    def test_help_names_every_knob(self):
        self.check_help()

    def test_bad_knobs(self):
        cases = [
            ("PAIRS", {"PAIRS": "0"}), ("PAIRS", {"PAIRS": "six"}), ("PAIRS", {"PAIRS": "-3"}),
            ("REPS", {"PAIRS": "6", "REPS": "5"}), ("REPS", {"REPS": "1.5"}),
            ("RUNTIME", {"RUNTIME": "abc"}), ("RUNTIME", {"RUNTIME": "0"}),
            ("RUNTIME", {"RUNTIME": "-1"}), ("RUNTIME", {"RUNTIME": "2s"}),
            ("SIZE_MB", {"SIZE_MB": "4"}), ("SIZE_MB", {"SIZE_MB": "64M"}),
            ("BATCHED", {"BATCHED": "yes"}),
            ("ROWS", {"ROWS": "randread:32"}), ("ROWS", {"ROWS": "read:1"}),
            ("ROWS", {"ROWS": "randread:1 randread:1"}), ("ROWS", {"ROWS": " , "}),
        ]
        for knob, env in cases:
            with self.subTest(env=env):
                self.refused([], knob, **env)

    def test_bad_arguments(self):
        self.refused(["--bogus"], "--bogus")
        r = self.run_script(["--results"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--results needs", r.stderr)


if __name__ == "__main__":
    unittest.main()
