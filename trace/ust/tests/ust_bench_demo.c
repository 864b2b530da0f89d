/* A bench-shim program with known benchmarks, for ust_session_test: one
 * with two arguments that runs, one that skips itself. */
#include <stddef.h>
#include "vmk_bench.h"

static void bm_ust_demo_loop(vmk_bench_state *s, void *arg)
{
	int64_t acc = vmk_bench_arg(s, 0) * vmk_bench_arg(s, 1);

	(void)arg;
	while (vmk_bench_keep_running(s)) {
		acc++;
		vmk_bench_escape(&acc);
	}
	vmk_bench_set_items(s, vmk_bench_iterations(s));
}

static void bm_ust_demo_skip(vmk_bench_state *s, void *arg)
{
	(void)arg;
	vmk_bench_skip(s, "skipped on purpose");
	while (vmk_bench_keep_running(s))
		;
}

static void register_all(void)
{
	struct vmk_bench_opts o = { .args = { 3, 5 }, .nargs = 2 };

	vmk_bench_add("ust_demo_loop", bm_ust_demo_loop, NULL, &o);
	vmk_bench_add("ust_demo_skip", bm_ust_demo_skip, NULL, NULL);
}

VMK_BENCH_MAIN(register_all)
