#!/usr/bin/env python3
"""Check a trace recorded by tests/lab/cos/trace-record.sh, with babeltrace2's
Python bindings: every event in order, nothing invented, every loss accounted.

Neither ring mode guarantees that nothing is lost: when the recorder falls
behind by a whole ring (4096 records per CPU), overwrite mode loses the
oldest records and drop-new the newest.  Losses must then be reported where
they happened (babeltrace2's discarded-events message, the summary's "lost"),
and the known counts are checked as bounds: at most what happened, and at
least what happened minus what was lost.

usage: check-trace.py DIR   (DIR holds ctf/, summary.json and ncpus)"""
import json
import os
import sys

import bt2

SVM_EXIT_CPUID, SVM_EXIT_VMMCALL, HC_NOP = 0x72, 0x81, 1


def fail(msg):
    sys.exit("check-trace: FAIL: " + msg)


def main(d):
    summary = json.load(open(os.path.join(d, "summary.json")))
    ncpus = int(open(os.path.join(d, "ncpus")).read())
    counts, last_ts, open_exit = {}, {}, {}
    exits = {SVM_EXIT_CPUID: 0, SVM_EXIT_VMMCALL: 0}   # and any other reason seen
    nops, total, discarded = 0, 0, 0
    vm = json.load(open(os.path.join(d, "vm.json")))
    into_vm, out_of_vm = 0, 0
    for msg in bt2.TraceCollectionMessageIterator(os.path.join(d, "ctf")):
        if type(msg) is bt2._DiscardedEventsMessageConst:
            discarded += msg.count or 1
            # An exit before the gap may have lost its entry: the summary
            # drops it too (vmk trace record forgets a CPU's open exit at a loss).
            open_exit.pop(msg.stream.name or msg.stream.id, None)
            continue
        if type(msg) is not bt2._EventMessageConst:
            continue
        ev, total = msg.event, total + 1
        ts = msg.default_clock_snapshot.value
        stream = ev.stream.name or ev.stream.id
        if ts < last_ts.get(stream, 0):
            fail("timestamps go back in stream %s" % stream)
        last_ts[stream] = ts
        counts[ev.name] = counts.get(ev.name, 0) + 1
        if ev.name == "kvm_x86_exit":
            if stream in open_exit:
                fail("two exits without an entry between them in stream %s" % stream)
            open_exit[stream] = int(ev.payload_field["exit_reason"])
        elif ev.name == "kvm_x86_entry" and stream in open_exit:
            # An exit counts once its entry closes it, as in the summary (the
            # session's own stop hypercall has none).
            r = open_exit.pop(stream)
            exits[r] = exits.get(r, 0) + 1
        elif ev.name == "vmk_world_switch":
            into_vm += int(ev.payload_field["next_world"]) == vm["id"]
            out_of_vm += int(ev.payload_field["prev_world"]) == vm["id"]
        elif ev.name == "vmk_hypercall" and int(ev.payload_field["nr"]) == HC_NOP:
            nops += 1
    print("check-trace: %d events, %s, discarded %d" % (total, counts, discarded))
    lost = summary["lost"]
    if lost != discarded:
        fail("the summary lost %d events, babeltrace2 reports %d discarded" % (lost, discarded))
    if total != summary["delivered"] or summary["delivered"] + lost != summary["written"]:
        fail("written %d, recorded %d, lost %d, in the trace %d" %
             (summary["written"], summary["delivered"], lost, total))
    if lost:
        print("check-trace: %d events lost (the recorder fell behind by a whole ring); "
              "known counts checked as bounds" % lost)

    def expect(what, seen, happened):
        """@seen must be @happened, or between it and @happened - lost."""
        if not happened - lost <= seen <= happened:
            fail("expected %s %d (%d lost), found %d" % (what, happened, lost, seen))

    if exits[SVM_EXIT_CPUID] + lost < 1000 or exits[SVM_EXIT_VMMCALL] + lost < 500:
        fail("expected >= 1000 CPUID and >= 500 VMMCALL exits, got %d and %d (%d lost)" %
             (exits[SVM_EXIT_CPUID], exits[SVM_EXIT_VMMCALL], lost))
    # 500 from the benchmark, plus the one per CPU that makes it join the session.
    expect("null hypercalls", nops, 500 + ncpus)
    # Every switch into the VM the vmkernel counted is in the trace, and the
    # VM left the CPU as often (it ran to its end inside the session).
    if vm["exit_status"] != 1:
        fail("the VM did not pass: %s" % vm)
    if vm["switches"] < 300:
        fail("vm%d: the vmkernel counted %d world switches, expected >= 300" %
             (vm["id"], vm["switches"]))
    expect("world switches into vm%d" % vm["id"], into_vm, vm["switches"])
    expect("world switches out of vm%d" % vm["id"], out_of_vm, vm["switches"])
    print("check-trace: vm%d: %d/%d world switches in/out, %d counted by the vmkernel"
          % (vm["id"], into_vm, out_of_vm, vm["switches"]))
    # The summary's exit table must be the trace's own counts, biggest first
    # (the COS's APIC writes, npf, usually lead: every EOI traps).
    table = [(int(e["reason"]), int(e["count"])) for e in summary["top_exits"]]
    if [c for _, c in table] != sorted((c for _, c in table), reverse=True):
        fail("summary's top exits are not sorted by count: %s" % table)
    for reason, count in table:
        if exits.get(reason, 0) != count:
            fail("summary counts %d exits of reason %#x, the trace has %d" %
                 (count, reason, exits.get(reason, 0)))
    print("check-trace: PASS")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
