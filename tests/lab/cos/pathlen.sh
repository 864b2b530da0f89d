#!/bin/sh
# Under --icount (1 CPU) a TSC tick is one instruction: check the loop costs
# exactly its 4 instructions, and hold the vmkernel's exit round trips to
# their budgets (instructions, exact and repeatable).
set -e
fail() { echo "FAIL: $*"; exit 1; }
per() { vmk bench --op "$1" -n 10000 --json | sed 's/.*"tsc_delta": \([0-9]*\).*/\1/'; }
modprobe vmkload
loop=$(per loop)
[ $((loop / 10000)) -eq 4 ] && [ $((loop % 10000)) -lt 100 ] ||
  fail "loop: $loop ticks for 10000 iterations, expected 4 each (is --icount on?)"
vmk load
hc=$(( ($(per hypercall) - loop) / 10000 ))
cpuid=$(( ($(per cpuid) - loop) / 10000 ))
vmk unload
echo "null hypercall: $hc instructions, CPUID exit: $cpuid instructions"
[ "$hc" -le 170 ] || fail "null hypercall round trip $hc > budget 170"
[ "$cpuid" -le 140 ] || fail "CPUID exit round trip $cpuid > budget 140"
echo "PASS: path lengths within budget"
