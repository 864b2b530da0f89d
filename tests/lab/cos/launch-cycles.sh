#!/bin/sh
# Load and unload the vmkernel N times while a checked COS workload runs
# throughout; every cycle also checks the status hypercall.  The same script
# takes N=1000 for a soak:  scripts/lab -- sh /lib/vmk/tests/launch-cycles.sh 1000
set -e
n=${1:-20}
fail() { echo "FAIL: $*"; touch /tmp/workload.stop; exit 1; }
modprobe vmkload
rm -f /tmp/workload.stop /tmp/workload.result
sh /lib/vmk/tests/workload.sh &
wl=$!
sleep 1
i=0
while [ $i -lt "$n" ]; do
  i=$((i + 1))
  vmk load > /dev/null || fail "load $i"
  [ "$(vmk status --json | grep -c '"cpu":')" -eq "$(nproc)" ] || fail "status $i"
  sleep 0.2
  vmk unload > /dev/null || fail "unload $i"
  [ -e /tmp/workload.result ] && fail "workload stopped early: $(cat /tmp/workload.result)"
  [ $((i % 10)) -eq 0 ] && echo "cycle $i of $n"
done
touch /tmp/workload.stop
wait $wl || true
result=$(cat /tmp/workload.result 2>/dev/null || echo "FAIL no result")
echo "workload: $result"
case $result in ok*) ;; *) fail "workload: $result" ;; esac
[ "$(dmesg | grep -c 'vmkernel unloaded, memory returned')" -eq "$n" ] ||
  fail "not every unload returned the vmkernel's memory"
vmk probe | awk 'NR > 1 && $5 != "off" {exit 1}' || fail "SVME still on after unload"
rmmod vmkload
echo "PASS: $n load/unload cycles with the workload intact"
