#!/bin/sh
# TLB shootdown in the vmkernel (issue 5, item 4): smp/ wired in, reached
# through `vmk bench --op shootdown`.  Needs 3 CPUs.  Checks:
#   - refused before the vmkernel is loaded, and with a bad -n (CLI, and the
#     hypercall itself through vmk_hctest.ko);
#   - with no CPU given, nothing to shoot down: no IPI;
#   - CPUs 1 and 2 given (idle in their system worlds): every shootdown
#     reaches both (IPIs handled == sent == 2 N, N pages flushed on each,
#     no timeout, nothing named in the log);
#   - the same while a VM spins on each given CPU (the IPI arrives as an
#     INTR #VMEXIT and the vCPU goes on);
#   - CPU 2 taken back: it is no longer waited for (N IPIs, to CPU 1 only);
#   - refused again after unload.
# Usage: shootdown.sh [N]
set -e
n=${1:-200}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; vmk log 2>/dev/null | tail -20; exit 1; }
. /lib/vmk/tests/lib.sh
[ "$(nproc)" -ge 3 ] || fail "needs 3 CPUs (got $(nproc))"

modprobe vmkload
expect "needs the vmkernel loaded" vmk bench --op shootdown -n 10
vmk load --mem 96M > /dev/null
expect "need --op" vmk bench --op shootdown -n 0
expect "shootdown: -n is 1..100000" vmk bench --op shootdown -n 100001
expect "need --op" vmk bench --op shootdown -n x
# The hypercall's own refusals (vmk_hctest's bad_smp_bench), before any CPU
# is given: its mapping-cache check intermittently fails after a give and
# take, at e5e3b1e too (not this test's subject).
insmod /lib/vmk/vmk_hctest.ko || fail "vmk_hctest: $(dmesg | grep vmk_hctest | tail -n 3)"
dmesg | grep -q 'vmk_hctest: PASS' || fail "vmk_hctest did not pass"
! dmesg | grep 'vmk_hctest: FAIL' || fail "vmk_hctest failed"
rmmod vmk_hctest

# field NAME: a number from /tmp/sd (one line of `vmk bench --json`).
field() { sed -n "s/.*\"$1\": \(-\{0,1\}[0-9]*\).*/\1/p" /tmp/sd; }
# run LABEL TARGETS: N shootdowns, all of them answered by TARGETS CPUs.
run() {
  vmk bench --op shootdown -n "$n" --json > /tmp/sd || { cat /tmp/sd; fail "$1: bench failed"; }
  cat /tmp/sd
  t=$2
  [ "$(field done)" = "$n" ] || fail "$1: done $(field done) of $n"
  [ "$(field err)" = 0 ] || fail "$1: err $(field err)"
  [ "$(field targets)" = "$t" ] || fail "$1: $(field targets) targets, want $t"
  [ "$(field timeouts)" = 0 ] || fail "$1: $(field timeouts) timeouts"
  [ "$(field ipis_sent)" = $((n * t)) ] || fail "$1: $(field ipis_sent) IPIs sent, want $((n * t))"
  [ "$(field ipis_handled)" = $((n * t)) ] || fail "$1: $(field ipis_handled) handled, want $((n * t))"
  [ "$(field tlb_pages)" = $((n * t)) ] || fail "$1: $(field tlb_pages) pages flushed, want $((n * t))"
  [ "$(field tlb_requests)" = $((t ? n : 0)) ] || fail "$1: $(field tlb_requests) requests"
  i=$(field ipi_irqs)
  [ "$i" -le $((n * t)) ] || fail "$1: $i call-vector interrupts for $((n * t)) IPIs"
  [ "$t" = 0 ] || [ "$i" -ge 1 ] || fail "$1: no call-vector interrupt taken"
  echo "ok: $1: $n shootdowns to $t CPUs, $(field tsc_per_op) TSC ticks each, $i interrupts"
}

run "no CPU given" 0
vmk cpu give 1
vmk cpu give 2
vmk cpu list
run "CPUs 1, 2 idle" 2

a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000) || fail "vm create"
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000) || fail "vm create"
sleep 1
vmk vm list
run "CPUs 1, 2 running VMs" 2
for id in $a $b; do
  vmk vm info "$id" --json | grep -q '"state": "ready"' || fail "vm$id stopped: $(vmk vm info "$id")"
done
for id in $a $b; do vmk vm stop "$id"; done
sleep 1
for id in $a $b; do vmk vm destroy "$id"; done

vmk cpu take 2
run "CPU 2 taken back" 1
vmk cpu take 1
! vmk log | grep "did not answer" || fail "the vmkernel logged a shootdown without an answer"
vmk unload
expect "needs the vmkernel loaded" vmk bench --op shootdown -n 10
echo "shootdown: PASS"
