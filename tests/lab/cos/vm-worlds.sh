#!/bin/sh
# VM worlds beside the COS: the bench guest passes; hostile guests are
# stopped with their reason while the COS goes on; 100000 world switches
# each keep the guest's general registers and XMM0/1, then its RFLAGS,
# segments, descriptor tables, CR0/CR4, x87, MXCSR and XMM2/15, then its
# YMM3 intact while the COS works (guest/main.c, switches=N);
# two VMs run at once on two CPUs; 100 create/destroy cycles return every
# byte; bad requests get clear errors.  Usage: vm-worlds.sh [SWITCHES]
set -e
switches=${1:-100000}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; touch /tmp/stop; vmk log | tail -12; exit 1; }
. /lib/vmk/tests/lib.sh
# run CMDLINE WANT_RC REASON: a fresh 8 MiB VM runs the guest scenario.
run() {
  id=$(vmk vm create --image $G --mem 8M --cmdline "$1") || fail "create $1"
  rc=0; vmk vm start "$id" > /tmp/vm.out 2>&1 || rc=$?
  cat /tmp/vm.out
  [ "$rc" = "$2" ] || fail "$1: status $rc, wanted $2"
  grep -q "$3" /tmp/vm.out || fail "$1: no '$3' in its outcome"
  vmk vm destroy "$id" || fail "destroy after $1"
}
modprobe vmkload
vmk load --mem 96M
free0=$(vmk status --json | sed 's/.*"mem_free": \([0-9]*\).*/\1/' | head -n1)

run pass 0 'wrote the exit port, exit status 1'
run oob 1 'access outside its memory at guest pa 3f000000'
run triple 1 'shutdown (triple fault)'
run badmsr 0 'exception 13'
run svm 0 'exception 6'
run hypercall 0 'vmk-guest: PASS'

# The VMM starts the same image directly in 64-bit mode (its long-mode
# header, <vmk/guest.h>), on its own page tables and GDT.
id=$(vmk vm create --image $G --mem 8M --long-mode --cmdline switches=1000) || fail "create --long-mode"
vmk vm start "$id" > /tmp/lm.out 2>&1 || { cat /tmp/lm.out; fail "long-mode start"; }
cat /tmp/lm.out
grep -q "started in long mode by the VMM" /tmp/lm.out || fail "not entered in long mode"
grep -q "1000 world switches, state intact" /tmp/lm.out || fail "long-mode guest broken"
vmk vm destroy "$id"

# World switches while the COS copies and hashes data (its FPU/SSE state
# is in use too: glibc's memcpy in busybox).
busy_start
run "switches=$switches" 0 "$switches world switches, state intact"
# Two VMs at once, one per CPU.
if [ "$(nproc)" -ge 2 ]; then
  a=$(vmk vm create --image $G --mem 8M --cmdline switches=20000)
  b=$(vmk vm create --image $G --mem 8M --cmdline switches=20000)
  taskset 1 vmk vm start "$a" > /tmp/a.out 2>&1 & pa=$!
  taskset 2 vmk vm start "$b" > /tmp/b.out 2>&1 & pb=$!
  wait $pa || { cat /tmp/a.out; fail "VM $a beside VM $b"; }
  wait $pb || { cat /tmp/b.out; fail "VM $b beside VM $a"; }
  vmk vm list | tee /tmp/list
  [ "$(grep -c '^vm' /tmp/list)" = 2 ] && grep -q "^vm$a " /tmp/list && grep -q "^vm$b " /tmp/list ||
    fail "vm list does not show exactly VMs $a and $b"
  vmk vm destroy "$a"; vmk vm destroy "$b"
  [ -z "$(vmk vm list)" ] || fail "vm list not empty after destroying both"
fi
busy_stop

# A VM that spins forever is preempted by the COS's interrupts and stopped
# on request while it runs.
id=$(vmk vm create --image $G --mem 4M --cmdline switches=100000000)
vmk vm start "$id" > /tmp/spin.out 2>&1 &
sp=$!
sleep 2
vmk vm stop "$id" || fail "stop a running VM"
wait $sp || true
grep -q 'stopped by the COS' /tmp/spin.out || { cat /tmp/spin.out; fail "running VM not stopped"; }
vmk vm destroy "$id"
echo "ok: a running VM stopped on request"

# Create/destroy cycles leave the vmkernel's free memory where it started.
i=0
while [ $i -lt 100 ]; do
  id=$(vmk vm create --image $G --mem 4M) || fail "create cycle $i"
  vmk vm destroy "$id" || fail "destroy cycle $i"
  i=$((i + 1))
done
free1=$(vmk status --json | sed 's/.*"mem_free": \([0-9]*\).*/\1/' | head -n1)
[ "$free0" = "$free1" ] || fail "free memory $free0 before, $free1 after 100 cycles"
echo "ok: 100 create/destroy cycles, free memory $free1 bytes as before"

# Bad requests.
expect 'no such VM' vmk vm start 7
expect 'bad VM id' vmk vm start 0
expect 'not a multiboot' vmk vm create --image /lib/vmk/vmkernel.img
expect 'Invalid argument' vmk vm create --image $G --mem 1G
expect 'not enough vmkernel memory' vmk vm create --image $G --mem 200M
id=$(vmk vm create --image $G --mem 4M)
vmk vm destroy "$id"
expect 'no such VM' vmk vm destroy "$id"
vmk unload
echo "PASS: VM worlds"
