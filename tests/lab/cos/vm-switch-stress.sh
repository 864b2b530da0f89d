#!/bin/sh
# Repeated world-switch runs while the other CPU hashes data: the load under
# which QEMU 7.2's multi-threaded TCG ran a VM on the vmkernel's own state
# (its VMCB's save area held the host's RIP, RSP and CR3: stopped as "VMCB
# save area holds host state", a triple fault, or a dead COS CPU) in 1 of 10
# and 3 of 6 runs.  Every run must end with the guest's own verdict.
# Usage: vm-switch-stress.sh [RUNS [SWITCHES]]
runs=${1:-8}
switches=${2:-100000}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; touch /tmp/stop; vmk log | tail -12; exit 1; }
. /lib/vmk/tests/lib.sh
modprobe vmkload
vmk load --mem 96M || fail "load"
busy_start
i=0
while [ $i -lt "$runs" ]; do
  id=$(vmk vm create --image $G --mem 8M --cmdline "switches=$switches") || fail "create, run $i"
  rc=0; vmk vm start "$id" > /tmp/vm.out 2>&1 || rc=$?
  echo "run $i: status $rc: $(tail -n1 /tmp/vm.out)"
  [ "$rc" = 0 ] || { cat /tmp/vm.out; fail "run $i: status $rc"; }
  grep -q "$switches world switches, state intact" /tmp/vm.out || { cat /tmp/vm.out; fail "run $i: no verdict"; }
  vmk vm destroy "$id" || fail "destroy, run $i"
  i=$((i + 1))
done
busy_stop
vmk unload || fail "unload"
echo "PASS: $runs runs of $switches world switches beside a busy CPU"
