#!/bin/sh
# In the COS, on a boot with 2 CPUs: a world switch between two VMs on one
# CPU.  vmk: CPU 1 is given to the vmkernel and two bench guests with equal
# shares run there under its scheduler, each yielding (VMMCALL
# VMK_GHC_YIELD) in a loop: a yield ends the VM's turn and the system world
# picks the other VM.  KVM: kvm-guest --vms 2 (one thread, yield-port) pinned
# to CPU 1 on this same boot, for a same-machine wall-time comparison.
#
# The two vmk VMs cannot start at the same instant (each `vmk vm schedule`
# is a COS process, tens of ms apart in the lab), so they play two roles:
# the partner P (bench=yield, n = 10^7: some ten minutes of yields, it does not end by
# itself; a larger n would lengthen its untimed empty loop) is
# scheduled first and keeps yielding; the measured VM M (bench=yield, n = N)
# is scheduled once P runs, so M's whole timed loop alternates with P.  P
# must still be running when M stops (checked); then the COS stops P.  M
# must report pass and end by the exit port, P must end "stopped by the COS".
# (A fixed head start for P, n = 2N + 40000, ran out under single-threaded
# TCG, where the COS starting the trace recorder shares a host thread with
# CPU 1.)  The scheduler's decisions on
# CPU 1 are counted by a trace session (event vmk_sched_decision only, which
# is logged when the pick differs from the world that ran): strict
# alternation is two decisions per yield of M.
#
# Prints per repeat
#   vm-bench: side=vmk rep=R op=yield-2vms n=N tsc=T empty=E   (M's line)
#   vm-switch: rep=R m_yields=.. m_switches=.. m_run_ns=.. p_yields=..
#     p_switches=.. p_run_ns=.. sched_decisions=.. trace_lost=..
#     p_running_at_m_end=1 both_passed=1
#   vm-bench: side=vmk rep=R op=yield-alone n=N ...  (one VM alone on CPU 1)
# and, before any of that (KVM first), per repeat
#   vm-bench: side=kvm rep=R op=yield-port-2vms n=... (both VMs' lines)
# then the COS's TSC rate; stops with FAIL on any error.  Each vmk step
# also prints "vm-switch-step: rep=R WHAT" as it starts, so that a boot
# stopped by the lab's time limit shows in its last console lines where
# it was (one CI run hung somewhere after the KVM side, 2026-11-26).
#
# With INSNFILE (the boot runs under scripts/lab --insncount, which writes
# that file in /results), the measured guests bracket their loops with the
# plugin's markers (",mark"; the partners do not), and after each of them
#   vm-insns: side=S rep=R op=OP n=N insns=T empty=E
# gives the instructions CPU 1 executed in its timed loop (T) and in its
# empty loop (E): the guest, the vmkernel or KVM, and the other VM.
#   Usage: vm-switch.sh [N] [REPEATS] [INSNFILE]
set -e
n=${1:-10000}
reps=${2:-3}
insnfile=${3:-}
mark=
[ -z "$insnfile" ] || mark=,mark
G=/lib/vmk/guests/vmk-guest.elf
T=/tmp/vm-switch-trace
fail() { echo "FAIL: $*"; vmk log 2>/dev/null | tail -20; exit 1; }
. /lib/vmk/tests/lib.sh
[ "$(nproc)" -ge 2 ] || fail "needs a boot with 2 CPUs (got $(nproc))"

# insns SIDE OP: the three intervals a marked guest left on vCPU 1 since the
# last call (empty loop, one warm-up round trip, timed loop).
insns() {
  [ -n "$insnfile" ] || return 0
  insn_new "$insnfile" "^interval vcpu=1 " 3 "$1 $2 on vCPU 1"
  e=$(sed -n "1s/.*insns=\([0-9]*\).*/\1/p" /tmp/iv_new)
  t=$(sed -n "3s/.*insns=\([0-9]*\).*/\1/p" /tmp/iv_new)
  echo "vm-insns: side=$1 rep=$r op=$2 n=$n insns=$t empty=$e"
}

step() { echo "vm-switch-step: rep=$r $*"; }
field() { sed -n "s/.*\"$2\": \([0-9-]*\).*/\1/p" "$1"; }
info() { vmk vm info "$1" --json > "$2" || fail "vmk vm info $1"; }
# running PID: a background job is still running.  One that has ended but
# is not yet reaped is a zombie, which kill -0 still finds: look at its
# state instead.
running() { [ -r /proc/$1/stat ] && ! grep -q ') Z ' /proc/$1/stat 2>/dev/null; }

# start_trace: a recorder of scheduler decisions, in the background.  The
# vmkernel formats a CPU's ring at that CPU's next exit; the recorder gives
# up if CPU 1 has not done so yet, so try again (P is yielding there).
start_trace() {
  for try in 1 2 3 4 5; do
    rm -rf $T
    vmk trace record -o $T --seconds 3600 --events vmk_sched_decision > $T.out 2>&1 &
    tpid=$!
    i=0
    while running $tpid; do
      grep -q "^trace: recording" $T.out && return 0
      i=$((i + 1)); [ $i -le 100 ] || fail "trace recorder not ready in 10 s"
      sleep 0.1
    done
    wait $tpid || true
  done
  cat $T.out; fail "vmk trace record did not start"
}

# stop_trace: SIGINT the recorder and wait for it, at most 60 s (within
# the lab's time limit, so that a recorder that does not end is reported
# with its output and the vmkernel's log instead of a silent time-out).
stop_trace() {
  kill -INT $tpid
  i=0
  while running $tpid; do
    i=$((i + 1))
    [ $i -le 600 ] || { cat $T.out; fail "vmk trace record did not end within 60 s of SIGINT"; }
    sleep 0.1
  done
  wait $tpid || { cat $T.out; fail "vmk trace record failed"; }
}

# KVM first, as before vmkload restored the CPU features Linux loses when a
# CPU is taken back (kvm-amd then refused to load; see bench/README.md).
modprobe kvm-amd || fail "modprobe kvm-amd"
r=1
while [ "$r" -le "$reps" ]; do
  # Two VMs, one thread, pinned to CPU 1.
  taskset 2 kvm-guest --image $G --vms 2 --cmdline "bench=yield-port,n=$n$mark" \
    --cmdline-others "bench=yield-port,n=$n" > /tmp/kvm.out 2>&1 ||
    { cat /tmp/kvm.out; fail "kvm-guest --vms 2"; }
  sed -n "s/^vmk-bench: op=yield-port /vm-bench: side=kvm rep=$r op=yield-port-2vms /p" /tmp/kvm.out
  insns kvm yield-port-2vms
  r=$((r + 1))
done
rmmod kvm-amd kvm

modprobe vmkload
r=1
while [ "$r" -le "$reps" ]; do
  step "vmk load"
  vmk load --mem 64M > /dev/null
  step "vmk cpu give 1"
  vmk cpu give 1 > /dev/null
  step "creating two VMs, scheduling P"
  p=$(vmk vm create --image $G --mem 8M --cmdline "bench=yield,n=10000000") ||
    fail "vmk vm create (partner)"
  m=$(vmk vm create --image $G --mem 8M --cmdline "bench=yield,n=$n$mark") ||
    fail "vmk vm create (measured)"
  vmk vm schedule "$p" --shares 1000
  step "trace recorder starting"
  start_trace
  step "M scheduled, waiting for it to stop"
  vmk vm schedule "$m" --shares 1000
  wait_stopped "$m" 600
  step "M stopped; vmk vm info"
  info "$p" /tmp/p.json
  info "$m" /tmp/m.json
  step "stopping the trace recorder"
  stop_trace
  grep -q '"state": "stopped"' /tmp/p.json &&
    fail "the partner VM stopped before the measured one"
  step "vmk vm stop P"
  vmk vm stop "$p" || fail "vmk vm stop (partner)"
  step "waiting for P to stop"
  wait_stopped "$p" 60
  info "$p" /tmp/p.json
  vmk vm info "$p" | grep -q "stopped by the COS" || { vmk vm info "$p"; fail "vm$p did not end by vmk vm stop"; }
  vmk vm info "$m" | grep -q "wrote the exit port" || { vmk vm info "$m"; fail "vm$m did not end by the exit port"; }
  vmk vm console "$m" > /tmp/con$m
  grep -q "vmk-guest: PASS" /tmp/con$m || { cat /tmp/con$m; fail "vm$m did not pass"; }
  sed -n "s/^vmk-bench: op=yield /vm-bench: side=vmk rep=$r op=yield-2vms /p" /tmp/con$m
  insns vmk yield-2vms
  dec=$(sed -n 's/.*"vmk_sched_decision": \([0-9]*\).*/\1/p' $T/summary.json)
  lost=$(field $T/summary.json lost)
  [ -n "$dec" ] || { cat $T/summary.json; fail "no scheduler decisions in the trace"; }
  echo "vm-switch: rep=$r m_yields=$(field /tmp/m.json vmmcall) m_switches=$(field /tmp/m.json switches)" \
       "m_run_ns=$(field /tmp/m.json run_ns) p_yields=$(field /tmp/p.json vmmcall)" \
       "p_switches=$(field /tmp/p.json switches) p_run_ns=$(field /tmp/p.json run_ns)" \
       "sched_decisions=$dec trace_lost=$lost p_running_at_m_end=1 m_passed=1"
  vmk vm destroy "$p"; vmk vm destroy "$m"
  # One VM alone on CPU 1: each yield goes to the system world and the
  # scheduler picks the same VM again (VM -> system world -> same VM).
  step "one VM alone"
  s=$(vmk vm create --image $G --mem 8M --cmdline "bench=yield,n=$n$mark" --shares 1000) ||
    fail "vmk vm create (alone)"
  wait_stopped "$s" 600
  vmk vm console "$s" > /tmp/con$s
  grep -q "vmk-guest: PASS" /tmp/con$s || { cat /tmp/con$s; fail "vm$s (alone) did not pass"; }
  sed -n "s/^vmk-bench: op=yield /vm-bench: side=vmk rep=$r op=yield-alone /p" /tmp/con$s
  insns vmk yield-alone
  vmk vm destroy "$s"
  step "vmk cpu take 1, vmk unload"
  vmk cpu take 1 > /dev/null
  vmk unload > /dev/null
  r=$((r + 1))
done
vmk bench --op loop -n 1 --json | sed 's/.*"tsc_khz": \([0-9]*\).*/vm-bench: tsc_khz=\1/'
