#!/bin/sh
# The vmkernel's scheduler across two CPUs it owns (issue 4, item 5): three
# equal CPU-bound VMs on two owned CPUs are each entitled to 2/3 of a CPU,
# which only migration gives them (no placement fits).  Each VM's CPU time
# over the window (the vmkernel's accounting, against the COS's clock) must
# be within 5% of its entitlement; then shares 1:1:2 on the same two CPUs.
# The two clocks differ: under QEMU TCG the TSC the vmkernel charges with
# runs about 2% fast against the COS's uptime, which shows as every VM
# getting ~2% more than entitled.  Usage: vm-sched-smp.sh [WINDOW]
set -e
window=${1:-8}
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; vmk log | tail -20; exit 1; }
[ "$(nproc)" -ge 3 ] || fail "needs 3 CPUs"
modprobe vmkload
vmk load --mem 96M > /dev/null
vmk cpu give 1
vmk cpu give 2
vmk cpu list

run_ns() { vmk vm info "$1" --json | sed 's/.*"run_ns": \([0-9]*\).*/\1/'; }
migr() { vmk vm info "$1" --json | sed 's/.*"migrations": \([0-9]*\).*/\1/'; }

# The COS's clock in ns, from /proc/uptime (10 ms resolution: 0.1% of 8 s).
now_ns() { read -r u _ < /proc/uptime; echo $(( ${u%.*} * 1000000000 + 1${u#*.} * 10000000 - 1000000000 )); }

# check NAME ID:EXPECTED_PPM...: each VM's CPU time per second of the
# window, against its entitlement in parts per million of one CPU.
check() {
  name=$1; shift
  sleep 2
  for p in "$@"; do id=${p%%:*}; eval "a$id=$(run_ns "$id")"; done
  t0=$(now_ns)
  sleep "$window"
  t1=$(now_ns)
  el=$((t1 - t0))
  for p in "$@"; do
    id=${p%%:*}; want=${p#*:}
    eval "d=\$(( \$(run_ns $id) - a$id ))"
    got=$((d * 1000000 / el))
    err=$(( (got - want) * 1000 / want )); [ $err -lt 0 ] && err=$((-err))
    echo "$name: vm$id got $got ppm of a CPU, entitled to $want (off by $err per mille, $(migr "$id") migrations)"
    [ $err -le 50 ] || fail "$name: vm$id off by more than 5%"
  done
}

a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
c=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
check "three on two" "$a:666667" "$b:666667" "$c:666667"
m=$(( $(migr "$a") + $(migr "$b") + $(migr "$c") ))
[ "$m" -gt 0 ] || fail "no VM migrated: equal shares of two CPUs need it"
stop_all() { for id in "$@"; do vmk vm stop "$id"; done; sleep 1; for id in "$@"; do vmk vm destroy "$id"; done; }
stop_all "$a" "$b" "$c"

# Shares 1:1:2 of two CPUs: half a CPU, half a CPU, a whole one.
a=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
b=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 1000)
c=$(vmk vm create --image $G --mem 4M --cmdline spin --shares 2000)
check "shares 1:1:2 on two" "$a:500000" "$b:500000" "$c:1000000"
stop_all "$a" "$b" "$c"
vmk status | tail -4
vmk cpu take 2
vmk cpu take 1
vmk unload
echo "vm-sched-smp: PASS"
