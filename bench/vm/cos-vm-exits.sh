#!/bin/sh
# In the COS: the bench guest's exit round trips (vmmcall, cpuid, pio) and
# yields to the host (vmk: VMK_GHC_YIELD; KVM: a port exit to kvm-guest, with
# one VM and with two taking turns) under vmk's VM worlds and under KVM on
# this very boot.  Prints each guest's "vmk-bench:" line as
# "vm-bench: side=vmk|kvm rep=R op=OP[SUFFIX] n=... tsc=... empty=...", then
# the COS's TSC rate; stops with FAIL if any guest does not pass.
#   Usage: vm-exits.sh [N] [REPEATS]
set -e
n=${1:-10000}
reps=${2:-3}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; exit 1; }
# run SIDE REP SUFFIX CMD...: CMD must pass; its bench lines are printed,
# tagged, SUFFIX appended to the op's name.
run() {
  side=$1 rep=$2 sfx=$3; shift 3
  "$@" > /tmp/bench.out 2>&1 || { cat /tmp/bench.out; fail "$side: $*"; }
  sed -n "s/^vmk-bench: op=\([a-z-]*\)/vm-bench: side=$side rep=$rep op=\1$sfx/p" /tmp/bench.out
}
vm() { vmk vm create --image $G --mem 8M --cmdline "$1" || fail "vmk vm create $1"; }
modprobe vmkload
r=1
while [ "$r" -le "$reps" ]; do
  vmk load --mem 64M > /dev/null
  for op in vmmcall cpuid pio; do
    id=$(vm "bench=$op,n=$n")
    run vmk $r "" vmk vm start "$id"
    vmk vm destroy "$id"
  done
  # A yield goes VM -> COS world -> the same VM: vmkload's VM_RUN re-enters
  # the VM in the kernel for up to ~100 ms, so a second VM on this CPU would
  # only get its turn at the end of that slice, not per yield.
  id=$(vm "bench=yield,n=$n")
  run vmk $r "" vmk vm start "$id"
  vmk vm destroy "$id"
  vmk unload > /dev/null

  modprobe kvm-amd
  for op in vmmcall cpuid pio; do
    run kvm $r "" kvm-guest --image $G --cmdline "bench=$op,n=$n"
  done
  run kvm $r "" kvm-guest --image $G --cmdline "bench=yield-port,n=$n"
  # Two VMs taking turns at every yield, run by one thread on this CPU.
  run kvm $r "-2vms" kvm-guest --image $G --vms 2 --cmdline "bench=yield-port,n=$n"
  rmmod kvm-amd kvm
  r=$((r + 1))
done
vmk bench --op loop -n 1 --json | sed 's/.*"tsc_khz": \([0-9]*\).*/vm-bench: tsc_khz=\1/'
