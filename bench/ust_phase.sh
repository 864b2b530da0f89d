# Sourced by bench/*/run.  ust_phase PHASE begin|end [DETAIL] emits a
# vmk_tool:runner_phase event (trace/ust) with the runner's name, so an
# LTTng session enabling vmk_tool:* shows the runner's phases beside the
# benchmark programs' own vmk_tool:bench_* events.  Uses $VMK_UST_PHASE or
# vmk-ust-phase under the runner's $build; does nothing when neither exists
# (configured without LTTng-UST).  Never fails the runner.
ust_phase_runner=bench/$(basename "$(cd "$(dirname "$0")" && pwd)")
ust_phase() {
	local tool=${VMK_UST_PHASE:-${build:-}/trace/ust/vmk-ust-phase}
	[ -x "$tool" ] || return 0
	"$tool" "$ust_phase_runner" "$@" || true
}
