#!/bin/sh
# kvm-guest --vcpus, the KVM baseline of the SMP benchmarks (issue 5): the
# bench guest on KVM's in-kernel local APICs -- INIT/SIPI start-up, the locked
# shared counter and IPIs with 1, 2, 4 and 8 vCPUs, vCPUs the guest never
# starts (their threads must still stop with the VM), IPI round trips --
# then kvm-guest without --vcpus as before, and bad usage of --vcpus
# (status 2).  Not apictimer: its exact count of periodic interrupts did not
# hold under KVM here (11..17 seen: KVM's timer runs on the host's time, the
# nested guest is slow, ticks land before the guest masks the timer); the
# guest now accepts extra periodic ticks, but has not been run here since.
set -e
G=/lib/vmk/guests/vmk-guest.elf
fail() { echo "FAIL: $*"; exit 1; }
. /lib/vmk/tests/lib.sh
modprobe kvm-amd || fail "modprobe kvm-amd"

# run PATTERN ARGS...: kvm-guest ARGS must pass within 120 s (each takes
# about 1 s; a guest that loses an IPI halts for good), its console say
# PATTERN.
# With hang_retry=1, a run that hangs is tried once more: KVM in this lab
# loses a wake-up now and then (about 1 bench=ipi run in 45), the QEMU 7.2
# gap vmk works around (an interrupt exit between STI and HLT: VMRUN does
# not restore the interrupt shadow; vmkernel/README.md).  Not ours to fix.
run() {
  pat=$1; shift
  rc=0; timeout 120 kvm-guest --image $G "$@" > /tmp/kvm.out 2>&1 || rc=$?
  cat /tmp/kvm.out
  if [ "$rc" -eq 143 ] && [ "${hang_retry:-0}" = 1 ]; then
    echo "kvm-smp: kvm-guest $* hung (the QEMU 7.2 STI-shadow gap); once more"
    rc=0; timeout 120 kvm-guest --image $G "$@" > /tmp/kvm.out 2>&1 || rc=$?
    cat /tmp/kvm.out
  fi
  [ "$rc" -ne 143 ] || fail "kvm-guest $*: still running after 120 s"
  [ "$rc" -eq 0 ] || fail "kvm-guest $*: status $rc"
  grep -q "^vmk-guest: PASS" /tmp/kvm.out || fail "kvm-guest $*: no PASS"
  grep -q "$pat" /tmp/kvm.out || fail "kvm-guest $*: no '$pat'"
}
# smp V N [VCPUS]: smp=V,n=N on VCPUS (default V) vCPUs.
smp() {
  run "smp: $1 vCPUs, counter $(($1 * $2)) of $(($1 * $2)), per-vCPU work right, APs whose IPI came $(($1 - 1)) of $(($1 - 1))" \
    --vcpus "${3:-$1}" --cmdline "smp=$1,n=$2"
}
smp 1 20000
smp 2 20000
smp 4 20000
smp 8 2000
smp 2 2000 4
# dups-ok: QEMU 7.2 now and then delivers an interrupt KVM injected through
# EVENTINJ a second time (CI saw pongs=302 for 301 pings; vmkernel/README.md):
# at least every ping and pong, none spurious.
hang_retry=1 run "op=ipi n=300 .* pongs=30[1-9] pings=30[1-9] spurious=0" --vcpus 2 --cmdline bench=ipi,n=300,dups-ok
run "vm1: wrote the exit port, exit status 1" --cmdline pass

# bad PATTERN ARGS...: refused with PATTERN and status 2.
bad() {
  pat=$1; shift
  expect "$pat" kvm-guest --image $G "$@"
  rc=0; kvm-guest --image $G "$@" > /dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "kvm-guest $*: status $rc, not 2"
}
bad "vcpus must be 1..8" --vcpus 0
bad "vcpus must be 1..8" --vcpus 9
bad "vcpus wants a number, not 'two'" --vcpus two
bad "vcpus runs one VM: not with --vms 2" --vcpus 2 --vms 2
rmmod kvm-amd kvm
echo "kvm-smp: PASS"
