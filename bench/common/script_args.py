"""Shared by the bench scripts' argument tests (bench/storpath and
bench/netpath test_run_args.py): run a bench script with fake tools that
fail at once, so that a knob or argument let through by mistake fails the
test instead of starting a benchmark; check that --help names every knob
the script reads and that a refusal exits 2, names the culprit and writes
nothing."""
import os
import re
import subprocess
import tempfile
import unittest


def make_fakes(root, paths):
    """Executables at root/PATH for each PATH, each printing 'fake' and
    exiting 1."""
    for p in paths:
        path = os.path.join(root, p)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho fake >&2\nexit 1\n")
        os.chmod(path, 0o755)


class ScriptArgs(unittest.TestCase):
    """Subclasses set SCRIPT (path), KNOBS (environment names it reads) and
    FAKES (paths under a fake root: bin/TOOL for tools on PATH,
    build/... for the build tree)."""
    SCRIPT = None
    KNOBS = ()
    FAKES = ()

    @classmethod
    def setUpClass(cls):
        cls._fake = tempfile.TemporaryDirectory()
        make_fakes(cls._fake.name, cls.FAKES)

    @classmethod
    def tearDownClass(cls):
        cls._fake.cleanup()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def run_script(self, args=(), **env):
        e = {k: v for k, v in os.environ.items() if k not in self.KNOBS}
        e.update(PATH=os.path.join(self._fake.name, "bin") + os.pathsep + os.environ["PATH"],
                 BUILD=os.path.join(self._fake.name, "build"))
        e.update(env)
        return subprocess.run(["bash", self.SCRIPT, *args], env=e, capture_output=True,
                              text=True, timeout=20)

    def check_help(self, hidden=("SMOKE",)):
        """--help exits 0, names every ${KNOB:-...} the script reads, and
        shows no code."""
        r = self.run_script(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        text = ""
        for path in (self.SCRIPT,) + tuple(getattr(self, "SOURCED", ())):
            with open(path) as f:
                text += f.read()
        read = set(re.findall(r"\$\{([A-Z_]+):-", text))
        self.assertTrue(set(self.KNOBS) - set(hidden) <= read, read)
        for name in read:
            self.assertIn(name, r.stdout, "--help does not mention " + name)
        self.assertNotIn("set -euo", r.stdout)
        return r.stdout

    def refused(self, args, culprit, **env):
        """The script exits 2 naming culprit, before creating --results."""
        results = tempfile.mkdtemp(dir=self.tmp.name)
        os.rmdir(results)
        r = self.run_script(["--results", results, *args], **env)
        self.assertEqual(r.returncode, 2, (env, args, r.stderr))
        self.assertIn(culprit, r.stderr)
        self.assertFalse(os.path.exists(results), "wrote before refusing")
