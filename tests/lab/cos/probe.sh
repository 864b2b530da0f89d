#!/bin/sh
# In the COS: vmkload.ko loads, reports SVM and nested paging available and
# SVM not yet enabled on every online CPU, and unloads cleanly.
set -e
fail() { echo "FAIL: $*"; exit 1; }
ncpu=$(grep -c '^processor' /proc/cpuinfo)

modprobe vmkload
[ -c /dev/vmk ] || fail "/dev/vmk missing after modprobe"
dmesg | grep 'vmkload: cpu' > /tmp/report
cat /tmp/report
[ "$(wc -l < /tmp/report)" -eq "$ncpu" ] || fail "expected $ncpu CPU lines in dmesg"
[ "$(grep -c 'svm=yes npt=yes svme=off svm-locked=no' /tmp/report)" -eq "$ncpu" ] ||
  fail "not every CPU reports svm=yes npt=yes svme=off"

vmk probe --json > /tmp/probe.json
cat /tmp/probe.json
[ "$(grep -c '"svm": true, "npt": true, "svme": false' /tmp/probe.json)" -eq "$ncpu" ] ||
  fail "vmk probe --json does not report SVM+NPT and SVME off on $ncpu CPUs"
[ -d /results ] && cp /tmp/probe.json /results/probe-$ncpu.json

rmmod vmkload
[ ! -e /dev/vmk ] || fail "/dev/vmk still there after rmmod"
grep -q '^vmkload ' /proc/modules && fail "vmkload still listed in /proc/modules"
if vmk probe 2>/tmp/err; then fail "vmk probe succeeded without the module"; fi
grep -q 'is vmkload.ko loaded' /tmp/err || fail "vmk probe without module gave no clear error"
echo "PASS: probe on $ncpu CPUs"
