#!/bin/sh
# asm-offsets.sh OUT.h CC FLAGS... SOURCE: compile SOURCE to assembly and turn
# its "->SYM VALUE" markers into #defines.
set -e
out=$1; shift
"$@" -S -o "$out.s"
{
  echo "/* Generated from $(basename "$(eval echo \${$#})") by asm-offsets.sh: do not edit. */"
  echo "#pragma once"
  sed -n 's/.*->\([A-Z0-9_]*\) \$*\([0-9]*\).*/#define \1 \2/p' "$out.s"
} > "$out.tmp"
rm -f "$out.s"
grep -q '#define' "$out.tmp" || { echo "asm-offsets.sh: no offsets found" >&2; exit 1; }
mv "$out.tmp" "$out"
