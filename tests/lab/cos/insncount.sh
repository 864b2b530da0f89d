#!/bin/sh
# The lab's instruction-count plugin (scripts/lab --insncount) against
# -icount, on a 1-CPU boot with both: for the bench guest's marked loops the
# two independent counts must agree exactly, up to the one difference the
# plugin documents: it counts the instruction that leaves by #VMEXIT (the
# VMMCALL or CPUID, intercepted), which -icount does not, so per loop
#   (plugin timed - plugin empty) = (TSC timed - TSC empty) + n.
# Checked for vmk's VM worlds and for KVM on the same boot.
#   Usage: insncount.sh INSNFILE   (as seen in the COS, under /results)
set -e
fail() { echo "FAIL: $*"; exit 1; }
f=$1
G=/lib/vmk/guests/vmk-guest.elf
n=300
[ -r "$f" ] || fail "$f not readable: boot with --insncount"
seen=0
# check SIDE OP: the bench line in /tmp/b.out and the 3 new intervals.
check() {
  line=$(grep '^vmk-bench:' /tmp/b.out) || { cat /tmp/b.out; fail "$1 $2: no bench line"; }
  tsc=$(echo "$line" | sed 's/.* tsc=\([0-9]*\).*/\1/')
  emp=$(echo "$line" | sed 's/.* empty=\([0-9]*\).*/\1/')
  grep '^interval vcpu=0 ' "$f" > /tmp/iv || true
  now=$(wc -l < /tmp/iv)
  [ "$now" -eq $((seen + 3)) ] || fail "$1 $2: $((now - seen)) new intervals (want 3)"
  e=$(sed -n "$((seen + 1))s/.*insns=\([0-9]*\).*/\1/p" /tmp/iv)
  t=$(sed -n "$((seen + 3))s/.*insns=\([0-9]*\).*/\1/p" /tmp/iv)
  # One CPU: the interval's all-CPU count and its one per-CPU count are
  # its own count.
  l=$(sed -n "${now}p" /tmp/iv)
  echo "$l" | grep -q " insns=$t all=$t per=$t\$" || fail "$1 $2: all=/per= disagree: $l"
  seen=$now
  a=$((t - e)) b=$((tsc - emp + n))
  echo "insncount: $1 $2 n=$n plugin $t-$e=$a, icount $tsc-$emp+n=$b"
  [ "$a" -eq "$b" ] || fail "$1 $2: the plugin counted $a, -icount gives $b"
}
modprobe vmkload
vmk load --mem 64M > /dev/null
for op in vmmcall cpuid; do
  id=$(vmk vm create --image $G --mem 8M --cmdline "bench=$op,n=$n,mark")
  vmk vm start "$id" > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "vmk $op"; }
  vmk vm destroy "$id"
  check vmk $op
done
vmk unload > /dev/null
modprobe kvm-amd
kvm-guest --image $G --cmdline "bench=vmmcall,n=$n,mark" > /tmp/b.out 2>&1 ||
  { cat /tmp/b.out; fail "kvm vmmcall"; }
check kvm vmmcall
# Unmarked guests leave no interval.
kvm-guest --image $G --cmdline "bench=vmmcall,n=$n" > /tmp/b.out 2>&1
[ "$(grep -c '^interval ' "$f")" -eq "$seen" ] || fail "an unmarked guest left an interval"
echo "PASS: the instruction-count plugin agrees with -icount"
