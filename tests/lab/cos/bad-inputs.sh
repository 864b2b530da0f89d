#!/bin/sh
# Bad inputs to the loader, each with a clear error and the COS unharmed.
set -e
fail() { echo "FAIL: $*"; exit 1; }
. /lib/vmk/tests/lib.sh
img=/lib/vmk/vmkernel.img
size=$(stat -c %s $img)
modprobe vmkload

cp $img /tmp/corrupt.img
# One byte in the middle changed: 0xff, or 0x00 where it was 0xff already
# (a build at e6ee83a had 0xff there, and the "corrupt" image loaded).
printf '\377' | dd of=/tmp/corrupt.img bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s $img /tmp/corrupt.img &&
  printf '\000' | dd of=/tmp/corrupt.img bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s $img /tmp/corrupt.img && fail "could not corrupt the copy"
expect 'checksum' vmk load --image /tmp/corrupt.img
cp $img /tmp/abi.img
printf '\007' | dd of=/tmp/abi.img bs=1 seek=8 conv=notrunc 2>/dev/null
expect 'ABI version' vmk load --image /tmp/abi.img
head -c $((size - 100)) $img > /tmp/trunc.img
expect 'truncated' vmk load --image /tmp/trunc.img
head -c 40 $img > /tmp/tiny.img
expect 'size 40 is not between' vmk load --image /tmp/tiny.img
: > /tmp/empty.img
expect 'not a regular file of 1 byte' vmk load --image /tmp/empty.img
expect 'No such file' vmk load --image /nonexistent.img
expect 'bad --mem' vmk load --mem 12Q
expect 'over the .* MiB limit' vmk load --mem 64G
expect 'not loaded' vmk unload
expect 'not loaded' vmk status
expect 'unknown command' vmk frobnicate

vmk load
expect 'already loaded' vmk load
# CPU hot-unplug while loaded is refused; the CPU stays online.
if [ -e /sys/devices/system/cpu/cpu1/online ]; then
  if echo 0 > /sys/devices/system/cpu/cpu1/online 2>/tmp/out; then
    fail "cpu1 went offline under the vmkernel"
  fi
  echo "ok: cpu1 offline refused: $(cat /tmp/out)"
  [ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] || fail "cpu1 not online"
fi
rmmod vmkload 2>/tmp/out && fail "vmkload.ko removed while the vmkernel runs"
echo "ok: rmmod refused while loaded"
vmk unload
if [ -e /sys/devices/system/cpu/cpu1/online ]; then
  echo 0 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 offline after unload"
  echo 1 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 back online"
fi
# Nothing failed half-way: a clean load still works, and the module unloads.
vmk load && vmk unload
rmmod vmkload
echo "PASS: every bad input refused with a clear error"
