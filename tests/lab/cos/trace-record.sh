#!/bin/sh
# Record a vmkernel trace while the COS works and a known number of exits
# happen: 1000 CPUID exits and 500 null hypercalls.  The host then checks the
# trace with babeltrace2 (tests/lab/check-trace.py).  Usage: DIR [MODE]
set -e
dir=${1:-/results/trace}
mode=${2:-overwrite}
rm -rf "$dir"
modprobe vmkload
vmk load
vmk trace record -o "$dir" --seconds 3 --mode "$mode" &
rec=$!
sleep 1
vmk bench --op cpuid -n 1000
vmk bench --op hypercall -n 500
wait $rec
vmk trace status
vmk unload
echo "$(nproc)" > "$dir/ncpus"
echo "PASS: trace recorded in $dir"
