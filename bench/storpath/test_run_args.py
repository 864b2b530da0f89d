#!/usr/bin/env python3
"""Hosted test of bench/storpath/run's arguments: --help names every
environment knob the script reads; each bad knob or argument stops it with
exit status 2 and a message naming it, before anything is measured or
written.  Runs no benchmark."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run")
KNOBS = ("PAIRS", "REPS", "RUNTIME", "ROWS", "BATCHED", "SIZE_MB", "SMOKE")
FAKE = tempfile.TemporaryDirectory()


def fakes(d):
    """A fio and a storpath_bench that fail at once, so that a knob let
    through by mistake fails the test instead of starting a benchmark."""
    os.makedirs(os.path.join(d, "bin"))
    os.makedirs(os.path.join(d, "build", "bench", "storpath"))
    for path in (os.path.join(d, "bin", "fio"),
                 os.path.join(d, "build", "bench", "storpath", "storpath_bench")):
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho fake >&2\nexit 1\n")
        os.chmod(path, 0o755)


def run(args=(), **env):
    e = {k: v for k, v in os.environ.items() if k not in KNOBS}
    e.update(PATH=os.path.join(FAKE.name, "bin") + os.pathsep + os.environ["PATH"],
             BUILD=os.path.join(FAKE.name, "build"))
    e.update(env)
    return subprocess.run(["bash", RUN, *args], env=e, capture_output=True, text=True,
                          timeout=20)


class Help(unittest.TestCase):
    def test_help_names_every_knob(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(RUN) as f:
            read = set(re.findall(r"\$\{([A-Z_]+):-", f.read()))
        self.assertTrue(set(KNOBS) - {"SMOKE"} <= read, read)
        for name in read:
            self.assertIn(name, r.stdout, "--help does not mention " + name)
        self.assertNotIn("set -euo", r.stdout)


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def refused(self, args, knob, **env):
        results = tempfile.mkdtemp(dir=self.tmp.name)
        os.rmdir(results)
        r = run(["--results", results, *args], **env)
        self.assertEqual(r.returncode, 2, (env, args, r.stderr))
        self.assertIn(knob, r.stderr)
        self.assertFalse(os.path.exists(results), "wrote before refusing")

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
        r = run(["--results"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--results needs", r.stderr)


if __name__ == "__main__":
    fakes(FAKE.name)
    try:
        unittest.main()
    finally:
        FAKE.cleanup()
