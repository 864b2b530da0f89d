#!/bin/sh
# COS side of bench/smp/run-shootdown: single-page TLB shootdowns from CPU 0
# (a COS CPU, in a hypercall) to the CPUs given to the vmkernel, idle in
# their system worlds; 0 given, then one more at a time up to all but
# CPU 0.  For each count K and repeat R, one line
#   shootdown-bench: cpus=C targets=K rep=R JSON
# (JSON: `vmk bench --op shootdown --json`) and, with INSNFILE (the boot
# runs under scripts/lab --insncount), the plugin's interval for that run:
#   shootdown-insns: cpus=C targets=K rep=R n=N insns=I all=A per=P0,P1,...
# Stops with FAIL on any error.   Usage: cos-shootdown.sh N REPEATS [INSNFILE]
set -e
n=${1:-2000}
reps=${2:-3}
insnfile=${3:-}
mark=
[ -z "$insnfile" ] || mark=--mark
fail() { echo "FAIL: $*"; vmk log 2>/dev/null | tail -20; exit 1; }
cpus=$(nproc)
. /lib/vmk/tests/lib.sh
insns() {
  [ -n "$insnfile" ] || return 0
  insn_new "$insnfile" "^interval " 1 "targets=$1 rep=$2"
  sed -n "s/.*insns=\([0-9]*\) all=\([0-9]*\) per=\([0-9,]*\).*/shootdown-insns: cpus=$cpus targets=$1 rep=$2 n=$n insns=\1 all=\2 per=\3/p" /tmp/iv_new
}
modprobe vmkload
vmk load --mem 64M > /dev/null
k=0
while :; do
  r=1
  while [ $r -le "$reps" ]; do
    taskset 1 vmk bench --op shootdown -n "$n" $mark --json > /tmp/sd || { cat /tmp/sd; fail "bench"; }
    echo "shootdown-bench: cpus=$cpus targets=$k rep=$r $(cat /tmp/sd)"
    insns $k $r
    r=$((r + 1))
  done
  k=$((k + 1))
  [ $k -lt "$cpus" ] || break
  vmk cpu give $k > /dev/null
done
while [ $k -gt 1 ]; do k=$((k - 1)); vmk cpu take $k > /dev/null; done
vmk unload
echo "shootdown-bench: done"
