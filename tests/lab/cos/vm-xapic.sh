#!/bin/sh
# VMs whose vCPUs keep their APIC in xAPIC mode and use its MMIO page
# (issue 5, item 1): every access is a nested page fault that the vmkernel
# decodes (no decode assists in the lab) and does on the vCPU's vLAPIC.
# The bench guest's xapic mode (ID, version, the page moved, self-IPIs,
# EOI, the timer's three modes), SMP start-up and IPIs through the page,
# IPI round trips through it beside the same through the x2APIC's MSRs,
# and xapicbad: accesses that must be handled, then one that must stop
# only that VM (a byte read, a 64-bit read, the page in x2APIC mode or with
# the APIC disabled), while an SMP VM beside it runs on unharmed.
set -e
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; vmk log | tail -40; vmk status; exit 1; }
. /lib/vmk/tests/lib.sh
vmk_with_cpus 128M 1 2

# bad_vm OPTION REASON: xapicbad with OPTION must pass every check it can
# survive, then be stopped by the vmkernel for REASON, never come back.
bad_vm() {
  n0=$(vmk log | grep -c ": stopped: $2" || true)
  d=$(vmk vm create --image $G --mem 8M --cmdline "xapicbad$1" --shares 1000)
  wait_end "$d" 120
  grep -q "xapicbad: misaligned accesses read 0 and were dropped, unimplemented offsets set ESR 0x80, XCHG works, APIC still delivers" \
    /tmp/con.$d || fail "xapicbad$1: the survivable accesses"
  ! grep -q "still running after it\|PASS" /tmp/con.$d || fail "xapicbad$1: came back"
  r=$(vm_field "$d" reason)
  echo "xapicbad$1 stopped: $r"
  echo "$r" | grep -q "$2" || fail "xapicbad$1: stopped for '$r', not '$2'"
  [ "$(vmk log | grep -c "vm$d: stopped: $2")" -gt 0 ] &&
    [ "$(vmk log | grep -c ": stopped: $2")" = $((n0 + 1)) ] || fail "xapicbad$1: no stop line in the log"
  vmk vm destroy "$d"
}

a=$(vmk vm create --image $G --mem 8M --cmdline xapic --shares 1000)
wait_pass "$a" 120
grep -q "xapic: ID 0, version 327700, moved to 0xfed00000 and back, self-IPIs 2 of 2, EOI through the page" \
  /tmp/con.$a || fail "xapic: the register line"
grep -q "apic timer: 5 deadline, 1 one-shot, .* periodic" /tmp/con.$a || fail "xapic: the timer"
vmk vm list
vmk vm destroy "$a"

for n in 2 3; do
  a=$(vmk vm create --image $G --mem 8M --vcpus $n --cmdline "xapic,smp=$n,n=20000" --shares 1000)
  wait_pass "$a" 240
  grep -q "smp: $n vCPUs, counter $((n * 20000)) of $((n * 20000)), per-vCPU work right, APs whose IPI came $((n - 1)) of $((n - 1))" \
    /tmp/con.$a || fail "xapic,smp=$n: wrong result line"
  vmk vm destroy "$a"
done

# IPI round trips vCPU 0 -> 1 -> 0: through the page (ICR high, ICR low,
# EOI: three decoded faults per side), and through the x2APIC's MSRs.
for mode in xapic, ""; do
  a=$(vmk vm create --image $G --mem 8M --vcpus 2 --cmdline "${mode}bench=ipi,n=500" --shares 1000)
  wait_pass "$a" 240
  grep -q "op=ipi n=500 .* pongs=501 pings=501 spurious=0" /tmp/con.$a || fail "${mode}bench=ipi"
  echo "ipi round trip (${mode:-x2apic}): $(grep op=ipi /tmp/con.$a)"
  vmk vm destroy "$a"
done

# The hostile one beside an SMP VM (x2APIC) that must not notice; then the
# other ways to end it.
b=$(vmk vm create --image $G --mem 8M --vcpus 2 --cmdline "smp=2,n=200000" --shares 1000)
bad_vm "" "APIC page access by opcode 8a at rip [0-9a-f]*: not a 32-bit MOV"
vmk log | grep -q "xAPIC access at 024 not 16-byte aligned: read 0" || fail "no misaligned-read log line"
vmk log | grep -q "xAPIC access at 084 not 16-byte aligned: write dropped" || fail "no misaligned-write log line"
bad_vm ",wide" "APIC page access by opcode 48 at rip"
bad_vm ",x2" "access outside its memory at guest pa fee00020"
bad_vm ",off" "access outside its memory at guest pa fee00020"
wait_pass "$b" 300
grep -q "smp: 2 vCPUs, counter 400000 of 400000, per-vCPU work right" /tmp/con.$b || fail "smp=2 beside xapicbad"
vmk vm destroy "$b"

vmk cpu take 1
vmk cpu take 2
vmk unload
echo "vm-xapic: PASS"
