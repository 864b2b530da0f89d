#!/bin/sh
# Hostile COS input against a loaded vmkernel: bad hypercall numbers and
# arguments and writes into vmkernel memory (vmk_hctest.ko), and VMMCALL from
# user space.  The COS must stay healthy and the vmkernel must unload cleanly.
set -e
fail() { echo "FAIL: $*"; exit 1; }
modprobe vmkload
vmk load
insmod /lib/vmk/vmk_hctest.ko || fail "vmk_hctest: $(dmesg | grep vmk_hctest | tail -n 3)"
dmesg | grep 'vmk_hctest: PASS'
dmesg | grep 'vmk_hctest: mapping cache' || fail "mapping-cache check did not run"
rmmod vmk_hctest
vmmcall-user || fail "VMMCALL from user space was not refused"
vmk log | grep -q 'COS touched vmkernel memory' || fail "the vmkernel did not log the COS's access"
vmk status --json | grep -q '"cos_violations": [1-9]' || fail "violations not counted"
# Hypercall buffers reach COS memory through the per-CPU mapping cache.
vmk status --json | grep -q '"map_misses": [1-9]' || fail "mapping cache not used"
vmk status --json | grep -q '"map_evictions": [1-9]' || fail "no eviction reported"
# A listing asks only for the VMs that exist (VMK_VM_LIST): 50 status reads
# with no VM add no refused hypercall.
bad() { vmk status --json | sed -n 's/.*"bad_hypercalls": \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}'; }
b0=$(bad); i=0
while [ $i -lt 50 ]; do vmk status >/dev/null; i=$((i+1)); done
[ "$(bad)" = "$b0" ] || fail "status reads counted as bad hypercalls ($b0 -> $(bad))"
vmk unload
# The COS is still healthy: processes, disk, and a fresh load.
[ "$(sh -c 'echo alive')" = alive ] || fail "process creation"
dd if=/dev/sda of=/dev/null bs=4096 count=16 2>/dev/null || fail "disk after unload"
vmk load && vmk unload || fail "load after the hostile run"
echo "PASS: hostile hypercalls and memory writes refused, COS healthy"
