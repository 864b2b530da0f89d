#!/usr/bin/env python3
"""Checks a CTF trace written by trace_ctf_gen against its expected.json.

Reads the trace with babeltrace2 twice: through the bt2 Python bindings
(every event, its fields, timestamp, world, CPU; every discarded-events
report; the clock class) and through the babeltrace2 command line (it must
print every event and exit 0).  Exits non-zero with a message on the first
difference.

usage: trace_ctf_check.py OUTDIR   (OUTDIR/ctf, OUTDIR/expected.json)
"""
import json
import os
import subprocess
import sys

import bt2


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_clock(cc, exp):
    if cc.name != "vmk_tsc":
        fail("clock class name %r" % cc.name)
    if cc.frequency != exp["freq"]:
        fail("clock frequency %d != %d" % (cc.frequency, exp["freq"]))
    if (cc.offset.seconds, cc.offset.cycles) != (exp["offset_s"],
                                                 exp["offset_cycles"]):
        fail("clock offset %r" % ((cc.offset.seconds, cc.offset.cycles),))
    if not cc.origin_is_unix_epoch:
        fail("clock origin is not the Unix epoch")


def event_item(msg):
    ev = msg.event
    return {
        "cpu": int(ev.packet.context_field["cpu_id"]),
        "name": ev.name,
        "ts": msg.default_clock_snapshot.value,
        "world_id": int(ev.common_context_field["world_id"]),
        "fields": {k: int(v) for k, v in ev.payload_field.items()},
    }


def read_trace(path, exp):
    """Per-CPU lists of event items and {"lost": n} items, in stream order."""
    per_cpu = {}
    stream_cpu = {}
    last_ns = None
    for msg in bt2.TraceCollectionMessageIterator(path):
        if type(msg) is bt2._PacketBeginningMessageConst:
            stream_cpu[msg.packet.stream.addr] = int(
                msg.packet.context_field["cpu_id"])
        elif type(msg) is bt2._EventMessageConst:
            check_clock(msg.default_clock_snapshot.clock_class, exp)
            ns = msg.default_clock_snapshot.ns_from_origin
            if last_ns is not None and ns < last_ns:
                fail("events out of time order across the trace")
            last_ns = ns
            item = event_item(msg)
            per_cpu.setdefault(item["cpu"], []).append(item)
        elif type(msg) is bt2._DiscardedEventsMessageConst:
            cpu = stream_cpu.get(msg.stream.addr)
            if cpu is None:
                fail("discarded events before any packet of their stream")
            per_cpu.setdefault(cpu, []).append({"lost": msg.count})
    return per_cpu


def merge_lost(items):
    """Adjacent loss reports are one gap in the stream."""
    out = []
    for it in items:
        if "lost" in it and out and "lost" in out[-1]:
            out[-1] = {"lost": out[-1]["lost"] + it["lost"]}
        else:
            out.append({k: v for k, v in it.items() if k != "cpu"})
    return out


def compare(got, exp_items):
    want = {}
    for it in exp_items:
        want.setdefault(it["cpu"], []).append(it)
    for cpu in sorted(set(want) | set(got)):
        g = merge_lost(got.get(cpu, []))
        w = merge_lost(want.get(cpu, []))
        for i, (a, b) in enumerate(zip(g, w)):
            if a != b:
                fail("cpu %d item %d: got %r, want %r" % (cpu, i, a, b))
        if len(g) != len(w):
            fail("cpu %d: %d items, want %d" % (cpu, len(g), len(w)))
        n_ev = sum(1 for x in w if "lost" not in x)
        n_lost = sum(x["lost"] for x in w if "lost" in x)
        print("cpu %d: %d events and %d lost, in order, fields exact"
              % (cpu, n_ev, n_lost))


def check_cli(path, n_events):
    out = subprocess.run(["babeltrace2", path], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        fail("babeltrace2 exited %d: %s" % (out.returncode, out.stderr))
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if len(lines) != n_events:
        fail("babeltrace2 printed %d lines, want %d" % (len(lines), n_events))
    print("babeltrace2 CLI: %d events; first: %s" % (len(lines), lines[0]))


def main():
    outdir = sys.argv[1]
    with open(os.path.join(outdir, "expected.json")) as f:
        exp = json.load(f)
    path = os.path.join(outdir, "ctf")
    compare(read_trace(path, exp), exp["items"])
    check_cli(path, sum(1 for x in exp["items"] if "lost" not in x))
    print("PASS")


if __name__ == "__main__":
    main()
