#!/bin/sh
# COS workload that checks its own results, for running while the vmkernel
# comes and goes: disk writes read back by checksum, process creation,
# timers, and TCP over loopback.  Runs until /tmp/workload.stop exists, then
# writes its verdict to /tmp/workload.result ("ok N" or "FAIL why").
dev=${1:-/dev/sda}
fail() { echo "FAIL $*" > /tmp/workload.result; exit 1; }
mkdir -p /tmp/www
head -c 65536 /dev/urandom > /tmp/www/blob
want_net=$(md5sum < /tmp/www/blob)
httpd -p 127.0.0.1:8080 -h /tmp/www || fail "httpd did not start"
rounds=0
while [ ! -e /tmp/workload.stop ]; do
  rounds=$((rounds + 1))
  off=$((rounds % 64))
  # Disk: 256 KiB at a moving offset, written, flushed, dropped, read back.
  head -c 262144 /dev/urandom > /tmp/w.bin
  dd if=/tmp/w.bin of="$dev" bs=4096 seek=$((off * 64)) conv=fsync 2>/dev/null ||
    fail "disk write round $rounds"
  echo 3 > /proc/sys/vm/drop_caches
  dd if="$dev" bs=4096 skip=$((off * 64)) count=64 2>/dev/null > /tmp/r.bin ||
    fail "disk read round $rounds"
  [ "$(md5sum < /tmp/w.bin)" = "$(md5sum < /tmp/r.bin)" ] || fail "disk data differs round $rounds"
  # Processes: 20 children, each must report.
  n=0
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    n=$((n + $(sh -c 'echo 1')))
  done
  [ $n -eq 20 ] || fail "process creation round $rounds ($n of 20)"
  # Timers: a 50 ms sleep must take at least 50 ms of monotonic time.
  t0=$(cut -d' ' -f1 /proc/uptime)
  usleep 50000
  t1=$(cut -d' ' -f1 /proc/uptime)
  [ "$(echo "$t1 $t0" | awk '{print ($1 - $2 >= 0.04)}')" = 1 ] || fail "timer round $rounds ($t0 -> $t1)"
  # Network: the blob over TCP on loopback.
  [ "$(wget -q -O - http://127.0.0.1:8080/blob | md5sum)" = "$want_net" ] ||
    fail "loopback transfer round $rounds"
done
killall httpd 2>/dev/null
echo "ok $rounds" > /tmp/workload.result
