#!/usr/bin/env python3
"""Exact path lengths of the netpath ring in the vmkernel's code generation
(netpath_bench_vmkcg: no SSE, frame pointer, no LTO), under callgrind, one
thread (netpath_bench --icount: produce one batch, consume it).  Instruction
counts are deterministic for one compiler, so each side's count per batch
is pinned exactly: a change that adds work to the consumer's burst or the
driver's producer fails here, and whoever makes it updates the figures
below (and netpath/README.md) on purpose.  Skipped (77) without valgrind.

  test_icount.py NETPATH_BENCH_VMKCG"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SIZE = 64
# (variant, batch, batches) -> (consumer per batch, producer total)
# The consumer runs the same path every batch (its total divides exactly);
# the producer reclaims when its ring runs short, so its total is pinned
# for the whole run.
PINNED = {
    ("netpath_zcw_poll", 32, 2000): (823, 862719),
    ("netpath_zcw_poll", 1, 4000): (141, 468529),
    ("netpath_zc_poll", 32, 2000): (727, 674719),
    ("netpath_zc_poll", 1, 4000): (138, 544529),
}


def sides(bench, variant, batch, batches, tmp):
    out = os.path.join(tmp, "cg.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=np_icount_loop",
                        "--callgrind-out-file=" + out, bench, "--icount", variant, str(SIZE),
                        str(batch), str(batches)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if r.returncode != 0 or "icount_packets %d" % (batch * batches) not in r.stdout:
        raise RuntimeError("%s %d/%d: exit %d\n%s%s" % (variant, SIZE, batch, r.returncode,
                                                      r.stdout, r.stderr[-2000:]))
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=120, check=True).stdout
    got = {}
    for side in ("produce", "consume"):
        m = re.search(r"^\s*([\d,]+) .*:np_icount_%s \[" % side, ann, re.M)
        if not m:
            raise RuntimeError("no np_icount_%s in callgrind's output" % side)
        got[side] = int(m.group(1).replace(",", ""))
    return got


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("test_icount: valgrind not installed: skipped")
        return 77
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        for (variant, batch, batches), (cons, prod) in PINNED.items():
            got = sides(sys.argv[1], variant, batch, batches, tmp)
            c, p = got["consume"], got["produce"]
            line = "%s %d B batch %d: consumer %d (%.2f a packet), producer %d (%.2f a packet)" % (
                variant, SIZE, batch, c, c / (batch * batches), p, p / (batch * batches))
            print(line)
            if c % batches or c // batches != cons:
                bad.append("%s: consumer %d instructions for %d batches, pinned %d a batch"
                           % (line, c, batches, cons))
            if p != prod:
                bad.append("%s: producer %d, pinned %d" % (line, p, prod))
    for b in bad:
        print("FAIL " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
