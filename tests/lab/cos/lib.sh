# Shared by the COS-side lab scripts (sourced).  The caller defines fail().

# expect PATTERN CMD...: CMD must fail and say PATTERN.
expect() {
  pat=$1; shift
  if "$@" > /tmp/out 2>&1; then cat /tmp/out; fail "'$*' succeeded"; fi
  grep -q "$pat" /tmp/out || { cat /tmp/out; fail "'$*' did not say '$pat'"; }
  echo "ok: $* -> $(head -n1 /tmp/out)"
}

# busy_start: a COS process that reads, copies and hashes data (busybox with
# glibc's memcpy: the vector registers are in use) until busy_stop.  fail()
# should touch /tmp/stop so that it ends with the script.
busy_start() {
  rm -f /tmp/stop
  ( while [ ! -e /tmp/stop ]; do head -c 1048576 /dev/urandom | sha256sum > /dev/null; done ) &
  busy_pid=$!
}
busy_stop() { touch /tmp/stop; wait "$busy_pid" 2>/dev/null || true; }

# wait_stopped ID SECONDS: the VM must stop within SECONDS.
wait_stopped() {
  i=0
  until vmk vm info "$1" | grep -q " stopped "; do
    i=$((i + 1)); [ $i -le $(($2 * 10)) ] || fail "vm$1 did not stop within $2 s"
    sleep 0.1
  done
}

# insn_new FILE PATTERN WANT WHAT: FILE is the lab's --insncount output
# (scripts/lab --insncount); exactly WANT lines matching PATTERN must have
# been added since the last call (WHAT names the step in the failure).
# Leaves those lines in /tmp/iv_new, in order.
insn_seen=0
insn_new() {
  [ -r "$1" ] || fail "insncount: $1 is not readable (boot without --insncount?)"
  grep "$2" "$1" > /tmp/iv || true
  insn_now=$(wc -l < /tmp/iv)
  [ "$insn_now" -eq $((insn_seen + $3)) ] ||
    fail "insncount: $((insn_now - insn_seen)) new intervals after $4 (want $3)"
  tail -n "$3" /tmp/iv > /tmp/iv_new
  insn_seen=$insn_now
}

# vmk_with_cpus MEM CPU...: the vmkernel loaded with MEM, the CPUs given.
vmk_with_cpus() {
  [ "$(nproc)" -ge "$#" ] || fail "needs $# CPUs"   # the COS keeps CPU 0
  modprobe vmkload
  vmk load --mem "$1" > /dev/null
  shift
  for c in "$@"; do vmk cpu give "$c"; done
}

# vm_field ID NAME: a field of `vmk vm info ID --json` (strings unquoted).
vm_field() { vmk vm info "$1" --json | sed "s/.*\"$2\": \"*\([^,\"]*\)\"*[,}].*/\1/"; }

# wait_end ID SECONDS: the VM must stop within SECONDS (else its console is
# printed and it is stopped); its console goes to /tmp/con.ID, printed with
# its info.  A VM with several vCPUs logs where each one was when it stops.
wait_end() {
  i=0
  while [ "$(vm_field "$1" state)" != stopped ]; do
    i=$((i + 1)); [ $i -le "$2" ] || { vmk vm console "$1"; vmk vm stop "$1"; sleep 1
                                     fail "vm$1 still running after $2 s"; }
    sleep 1
  done
  vmk vm console "$1" > /tmp/con.$1
  cat /tmp/con.$1
  vmk vm info "$1"
}

# wait_pass ID SECONDS: it must stop having reported pass.
wait_pass() {
  wait_end "$@"
  [ "$(vm_field "$1" exit_status)" = 1 ] || fail "vm$1 did not report pass"
  # How often the STI-shadow workaround ran depends on timing: only its presence.
  vmk vm info "$1" --json | grep -q '"shadow_hlts": [0-9][0-9]*, ' || fail "vm$1: no shadow_hlts"
  grep -q "^vmk-guest: PASS" /tmp/con.$1 || fail "vm$1: no PASS on its console"
}
