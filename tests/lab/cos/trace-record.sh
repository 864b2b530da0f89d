#!/bin/sh
# Record a vmkernel trace while the COS works, a known number of exits
# happen (1000 CPUID exits and 500 null hypercalls) and a VM runs (300 world
# switches by yield, plus any preemptions).  The host then checks the trace
# with babeltrace2 (tests/lab/check-trace.py).  Usage: DIR [MODE]
set -e
dir=${1:-/results/trace}
mode=${2:-overwrite}
rm -rf "$dir"
modprobe vmkload
vmk load --mem 32M
id=$(vmk vm create --image /lib/vmk/guests/vmk-guest.elf --mem 4M --cmdline switches=300)
vmk trace record -o "$dir" --seconds 4 --mode "$mode" &
rec=$!
sleep 1
vmk bench --op cpuid -n 1000
vmk bench --op hypercall -n 500
vmk vm start "$id"
wait $rec
vmk vm info "$id" --json > "$dir/vm.json"
vmk vm destroy "$id"
vmk trace status
vmk unload
echo "$(nproc)" > "$dir/ncpus"
echo "PASS: trace recorded in $dir"
