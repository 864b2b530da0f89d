# Shared by the COS-side lab scripts (sourced).  The caller defines fail().

# expect PATTERN CMD...: CMD must fail and say PATTERN.
expect() {
  pat=$1; shift
  if "$@" > /tmp/out 2>&1; then cat /tmp/out; fail "'$*' succeeded"; fi
  grep -q "$pat" /tmp/out || { cat /tmp/out; fail "'$*' did not say '$pat'"; }
  echo "ok: $* -> $(head -n1 /tmp/out)"
}
