#!/usr/bin/python3
"""Checks the LTTng trace written by ust_session_test (OUT/ust) against what
each process it ran must have emitted: every vmk_tool event, in order, with
its fields.  Exits 1 with the differences otherwise."""
import errno
import json
import os
import subprocess
import sys

import bt2

out = sys.argv[1]
failures = []


def fail(msg):
    failures.append(msg)


def pid(name):
    with open(os.path.join(out, name + ".pid")) as f:
        return int(f.read())


def read_trace():
    """{vpid: [(event name, ns, payload dict, procname)]} in time order (so a
    process's list is in program order only if its timestamps are)."""
    by_pid = {}
    for msg in bt2.TraceCollectionMessageIterator(os.path.join(out, "ust")):
        if type(msg) is not bt2._EventMessageConst:
            continue
        ev = msg.event
        ns = msg.default_clock_snapshot.ns_from_origin
        ctx = ev.common_context_field
        payload = {k: (str(v) if isinstance(v, bt2._StringFieldConst) else int(v))
                   for k, v in ev.payload_field.items()}
        by_pid.setdefault(int(ctx["vpid"]), []).append(
            (ev.name, ns, payload, str(ctx["procname"])))
    return by_pid


def expect_seq(what, events, want):
    """want: [(name, {field: value or predicate})]; events must match exactly."""
    got = [e[0] for e in events]
    names = [w[0] for w in want]
    if got != names:
        fail("%s: events %s, expected %s" % (what, got, names))
        return
    for (name, _, payload, _), (_, fields) in zip(events, want):
        for k, v in fields.items():
            if k not in payload:
                fail("%s: %s has no field %s" % (what, name, k))
            elif callable(v) and not v(payload[k]):
                fail("%s: %s.%s = %r is wrong" % (what, name, k, payload[k]))
            elif not callable(v) and payload[k] != v:
                fail("%s: %s.%s = %r, expected %r" % (what, name, k, payload[k], v))


by_pid = read_trace()
print("ust_check: %d events from %d processes" %
      (sum(len(v) for v in by_pid.values()), len(by_pid)))

# VMK_IOC_VERSION = _IOR('v', 1, uint32_t) in include/vmk/vmkload_ioctl.h.
IOC_VERSION = (2 << 30) | (4 << 16) | (ord("v") << 8) | 1
missing = os.path.join(out, "no-such-device")

expect_seq("vmk-ust status (no device)", by_pid.get(pid("ust_enoent"), []), [
    ("vmk_tool:cmd_begin", {"tool": "vmk", "command": "status", "argc": 0, "args": ""}),
    ("vmk_tool:dev_open", {"path": missing, "fd": -1, "err": errno.ENOENT}),
    ("vmk_tool:cmd_end", {"tool": "vmk", "command": "status", "status": 1,
                          "err": errno.ENOENT}),
])

ev = by_pid.get(pid("ust_enotty"), [])
fd = ev[1][2].get("fd") if len(ev) > 1 else None
expect_seq("vmk-ust status --json (/dev/null)", ev, [
    ("vmk_tool:cmd_begin", {"command": "status", "argc": 1, "args": "--json"}),
    ("vmk_tool:dev_open", {"path": "/dev/null", "fd": lambda v: v >= 0, "err": 0}),
    ("vmk_tool:ioctl_begin", {"fd": fd, "req": IOC_VERSION, "name": "VMK_IOC_VERSION",
                              "op": 0}),
    ("vmk_tool:ioctl_end", {"fd": fd, "req": IOC_VERSION, "name": "VMK_IOC_VERSION",
                            "op": 0, "ret": -1, "err": errno.ENOTTY,
                            "duration_ns": lambda v: 0 < v < 10**10}),
    ("vmk_tool:cmd_end", {"command": "status", "status": 1, "err": errno.ENOTTY}),
])
if ev and any(e[3] != "vmk-ust" for e in ev):
    fail("vmk-ust events carry procname %s" % sorted({e[3] for e in ev}))

if pid("static_enotty") in by_pid:
    fail("the static vmk emitted UST events: %s" %
         [e[0] for e in by_pid[pid("static_enotty")]])


def check_bench(events):
    with open(os.path.join(out, "bench_demo.json")) as f:
        runs = json.load(f)["benchmarks"]
    want_names = {"ust_demo_loop/3/5", "ust_demo_skip"}
    if not events:
        return fail("bench demo: no events")
    first, last = events[0], events[-1]
    if first[0] != "vmk_tool:bench_begin" or last[0] != "vmk_tool:bench_end":
        return fail("bench demo: starts with %s, ends with %s" % (first[0], last[0]))
    if (first[2]["program"], first[2]["nbench"]) != ("ust_bench_demo", 2) or \
            "--benchmark_repetitions=2" not in first[2]["args"]:
        fail("bench demo: bench_begin %r" % first[2])
    if last[2] != {"program": "ust_bench_demo", "status": 0}:
        fail("bench demo: bench_end %r" % last[2])
    seen = {}
    body = events[1:-1]
    if len(body) % 2:
        return fail("bench demo: odd number of run events")
    for b, e in zip(body[::2], body[1::2]):
        if (b[0], e[0]) != ("vmk_tool:bench_run_begin", "vmk_tool:bench_run_end"):
            return fail("bench demo: %s then %s, expected run begin then end" % (b[0], e[0]))
        name = b[2]["name"]
        if name not in want_names or e[2]["name"] != name:
            fail("bench demo: run of %r ended as %r" % (name, e[2]["name"]))
            continue
        args = (3, 5) if name == "ust_demo_loop/3/5" else (0, 0)
        if (b[2]["arg0"], b[2]["arg1"], b[2]["thread"], b[2]["threads"]) != args + (0, 1):
            fail("bench demo: run_begin %r" % b[2])
        skipped = name == "ust_demo_skip"
        if e[2]["skipped"] != int(skipped):
            fail("bench demo: %s skipped=%d" % (name, e[2]["skipped"]))
        if not skipped and e[2]["iterations"] != b[2]["max_iterations"]:
            fail("bench demo: %s ran %d of %d iterations" %
                 (name, e[2]["iterations"], b[2]["max_iterations"]))
        seen.setdefault(name, []).append(e[2]["iterations"])
    if set(seen) != want_names:
        fail("bench demo: runs of %s, expected %s" % (sorted(seen), sorted(want_names)))
    # Google Benchmark sizes the iteration count with probe runs, then runs
    # each repetition: the last traced runs are the JSON's repetitions.
    for name in sorted(want_names):
        reps = [r["iterations"] for r in runs
                if r["run_name"] == name and r["run_type"] == "iteration"]
        traced = seen.get(name, [])
        if len(reps) != 2 or traced[-2:] != reps:
            fail("bench demo: %s: traced runs %s, JSON repetitions %s" % (name, traced, reps))


check_bench(by_pid.get(pid("bench_demo"), []))

expect_seq("vmk-ust-phase begin", by_pid.get(pid("phase_begin"), []), [
    ("vmk_tool:runner_phase", {"runner": "ust_session_test", "phase": "demo", "begin": 1,
                               "detail": "two runs"})])
expect_seq("vmk-ust-phase end", by_pid.get(pid("phase_end"), []), [
    ("vmk_tool:runner_phase", {"runner": "ust_session_test", "phase": "demo", "begin": 0,
                               "detail": ""})])

# Processes ran one after the other: their events must too.
order = ["ust_enoent", "ust_enotty", "bench_demo", "phase_begin", "phase_end"]
spans = [(by_pid[pid(n)][0][1], by_pid[pid(n)][-1][1], n) for n in order if pid(n) in by_pid]
for a, b in zip(spans, spans[1:]):
    if a[1] > b[0]:
        fail("%s's events overlap %s's" % (a[2], b[2]))

# A root session daemon is shared: other vmk_tool processes running at the
# same time land in this session too.  Not an error; said.
others = set(by_pid) - {pid(n) for n in order}
if others:
    print("ust_check: note: ignored events of other processes %s" %
          sorted("%d (%s)" % (p, by_pid[p][0][3]) for p in others))

# The babeltrace2 CLI reads it too (what a user runs).
cli = subprocess.run(["babeltrace2", os.path.join(out, "ust")], capture_output=True,
                     text=True)
if cli.returncode or "vmk_tool:cmd_begin" not in cli.stdout:
    fail("babeltrace2 CLI: status %d, %s" % (cli.returncode, cli.stderr.strip()[:200]))

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ust_check: all expected vmk_tool events present, in order, with their fields")
