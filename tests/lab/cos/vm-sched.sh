#!/bin/sh
# The vmkernel's own CPUs and its scheduler (issue 4, items 1, 5 and 7):
# CPU 1 is given to the vmkernel, CPU-bound VMs are scheduled there with
# shares, reservations and limits, and over a measured window each VM's CPU
# time (the vmkernel's accounting) must be within 5% of its entitlement.
# Then the CPU comes back to the COS and the vmkernel unloads.
# Usage: vm-sched.sh [WINDOW_SECONDS]
set -e
window=${1:-8}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; vmk log | tail -20; exit 1; }
. /lib/vmk/tests/lib.sh
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs"
modprobe vmkload
vmk load --mem 96M > /dev/null

expect "CPU 0 stays with the COS" vmk cpu give 0
expect "not the vmkernel's" vmk cpu take 1
expect "no CPU is the vmkernel's" vmk vm create --image $G --mem 4M --cmdline spin --shares 10
[ -z "$(vmk vm list)" ] || { vmk vm list; fail "the failed create left a VM behind"; }
expect "reserve above --limit" vmk vm create --image $G --mem 4M --cmdline spin --reserve 50 --limit 10
[ -z "$(vmk vm list)" ] || { vmk vm list; fail "the refused create left a VM behind"; }
vmk cpu give 1
[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 0 ] || fail "cpu1 still online for Linux"
vmk cpu list | grep -qx "cpu1 vmkernel" || fail "cpu1 is not the vmkernel's"
expect "not a COS CPU" vmk cpu give 1

run_ns() { vmk vm info "$1" --json | sed 's/.*"run_ns": \([0-9]*\).*/\1/'; }

# check NAME ID:EXPECTED_PPM...: CPU time of each VM over the window,
# as a share of the CPU, within 5% of its entitlement.
check() {
  name=$1; shift
  sleep 1   # let the scheduler settle
  for p in "$@"; do id=${p%%:*}; eval "a$id=$(run_ns "$id")"; done
  sleep "$window"
  total=0
  for p in "$@"; do id=${p%%:*}; eval "d$id=\$(( \$(run_ns $id) - a$id ))"; eval "total=\$((total + d$id))"; done
  [ "$total" -gt 0 ] || fail "$name: no VM ran"
  for p in "$@"; do
    id=${p%%:*}; want=${p#*:}; eval "d=\$d$id"
    got=$((d * 1000000 / total))
    err=$(( (got - want) * 1000 / want )); [ $err -lt 0 ] && err=$((-err))
    echo "$name: vm$id got $got ppm of the CPU time, entitled to $want (off by $err per mille)"
    [ $err -le 50 ] || fail "$name: vm$id off by more than 5%"
  done
  echo "$name: total $total ns of VM time in a ${window} s window"
}

stop_all() { for id in "$@"; do vmk vm stop "$id"; vmk vm destroy "$id"; done; }

# Shares 1:2:3.
a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 2000)
c=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 3000)
expect "VMs are scheduled" vmk cpu take 1
expect "running or already scheduled" vmk vm schedule "$a"
check shares "$a:166667" "$b:333333" "$c:500000"
vmk vm info "$a"
stop_all "$a" "$b" "$c"

# A limit caps a VM below its shares: 20% against equal shares.
a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000 --limit 20)
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
check limit "$a:200000" "$b:800000"
stop_all "$a" "$b"

# A reservation lifts a VM above its shares: 60% though it has 1 share in 1001.
a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1 --reserve 60)
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
check reservation "$a:600000" "$b:400000"
stop_all "$a" "$b"

# A VM that halts on its one-shot timer is blocked until it fires (the
# timer wakes it, the VMM injects the interrupt) while a spinner has the
# CPU: 200 periods of 2 ms, each halt ended by exactly one interrupt, never
# early, and the sleeper uses little of the CPU.
khz=$(vmk bench --op loop -n 1 --json | sed 's/.*"tsc_khz": \([0-9]*\).*/\1/')
t=$(vmk vm create --image $G --mem 4M --cmdline timer=200,us=2000 --shares 1000)
s=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
i=0; until vmk vm info "$t" | grep -q stopped; do i=$((i + 1)); [ $i -lt 300 ] || fail "timer guest never ended"; sleep 0.1; done
vmk vm console "$t" > /tmp/timer.out
cat /tmp/timer.out
grep -q "vmk-guest: PASS" /tmp/timer.out || fail "timer guest failed"
per=$(sed -n 's/.* timer interrupts, \([0-9]*\) TSC ticks per period/\1/p' /tmp/timer.out)
[ "$per" -ge $((2 * khz)) ] || fail "timer fired early: $per TSC ticks per 2 ms period ($khz kHz)"
[ "$per" -le $((4 * khz)) ] || fail "timer late: $per TSC ticks per 2 ms period ($khz kHz)"
ran=$(run_ns "$t")
[ "$ran" -lt 100000000 ] || fail "the sleeping VM used $ran ns of CPU in 400+ ms"
echo "timer: $per TSC ticks per 2 ms period ($khz kHz), the sleeper ran $ran ns"
stop_all "$s"
vmk vm destroy "$t"

# A yield passes the CPU on: beside a spinner of equal shares on the same
# CPU, each yield of a guest that yields 300 times (and more: switches=300)
# gives the spinner the CPU, as the scheduler counts (without the pass-over
# the yielder, having used less CPU time, would be picked again: 0).
s=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
y=$(vmk vm create --image $G --mem 4M --cmdline switches=300 --shares 1000)
i=0; until vmk vm info "$y" | grep -q stopped; do i=$((i + 1)); [ $i -lt 600 ] || fail "yielding guest never ended"; sleep 0.1; done
vmk vm console "$y" | grep -q "vmk-guest: PASS" || fail "yielding guest failed"
yields=$(vmk vm info "$y" --json | sed 's/.*"yields": \([0-9]*\).*/\1/')
echo "yield: $yields yields gave the CPU to the spinner"
[ "$yields" -ge 300 ] || fail "yield: only $yields of 300+ yields gave the CPU away"
stop_all "$s"
vmk vm destroy "$y"

# A guest that finishes leaves the scheduler by itself.
p=$(vmk vm create --image $G --mem 4M --cmdline pass --shares 1000)
i=0; until vmk vm info "$p" | grep -q "stopped"; do i=$((i + 1)); [ $i -lt 100 ] || fail "pass guest never ended"; sleep 0.1; done
vmk vm info "$p" | grep -q "wrote the exit port" || fail "pass guest did not report"
vmk vm console "$p" | grep -q "vmk-guest: PASS" || fail "no PASS on its console"
vmk vm destroy "$p"

vmk status
vmk cpu take 1
[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] || fail "cpu1 not back online"
# The COS uses CPU 1 again.
taskset 2 sh -c 'i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done; echo ran-on-cpu1'
ticks=$(vmk status --json | grep '"cpu": 1,' | sed 's/.*"timer_ticks": \([0-9]*\),.*/\1/')
echo "cpu1: $ticks vmkernel timer ticks while given"
[ "$ticks" -gt $((window * 3 * 500)) ] || fail "too few timer ticks: $ticks"
# Give and take again: the cycle repeats.
vmk cpu give 1 && vmk cpu take 1
vmk unload
# Linux has its machine back: SVM on both CPUs (CPU 1 was identified again
# while the vmkernel hid SVM from it) and kvm-amd runs a guest on CPU 1.
[ "$(grep -c '\bsvm\b' /proc/cpuinfo)" = 2 ] || fail "SVM missing from /proc/cpuinfo after unload"
modprobe kvm-amd || fail "kvm-amd does not load after give/take/unload"
taskset 2 kvm-guest --image $G --cmdline pass || fail "KVM guest on CPU 1 after give/take"
rmmod kvm-amd kvm
echo "vm-sched: PASS"
