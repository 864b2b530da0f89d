#!/bin/sh
# In the COS: exit round trips of the vmkernel and of KVM on this very boot,
# one JSON object per line on stdout.  Usage: exits.sh ITERATIONS REPEATS
set -e
n=${1:-10000}
reps=${2:-3}
modprobe vmkload
r=1
while [ $r -le "$reps" ]; do
  vmk load > /dev/null
  for op in loop cpuid hypercall; do
    echo "{\"side\": \"vmkernel\", \"rep\": $r, \"result\": $(vmk bench --op $op -n $n --json)}"
  done
  vmk unload > /dev/null
  modprobe kvm-amd
  for op in loop cpuid vmmcall; do
    echo "{\"side\": \"kvm\", \"rep\": $r, \"result\": $(kvm-exit --op $op -n $n --json)}"
  done
  rmmod kvm-amd kvm
  r=$((r + 1))
done
# The COS's TSC rate, to turn ticks into nanoseconds.
echo "{\"side\": \"cos\", \"result\": $(vmk bench --op loop -n 1 --json)}"
