/* Cost of one trace event, vmk rings against LTTng-UST, in one run:
 *
 *   trace/vmk_disabled         event bit off: the one-branch path
 *   trace/vmk_overwrite        enabled, overwrite mode, nobody reading
 *   trace/vmk_dropnew_full     enabled, drop-new mode, ring full: refused
 *   trace/ust_enabled          LTTng-UST tracepoint, enabled in a session
 *                              (counter ust_enabled says whether it was)
 *   trace/ust_disabled         LTTng-UST tracepoint never enabled
 *   trace/loop_baseline        the loop alone, to subtract
 *
 * bench/trace/run sets up the LTTng session around this binary. */
#include <stdlib.h>

#include "vmk_bench.h"
#include "trace_bench_cases.h"

static void *bench_ring_mem(void)
{
	return aligned_alloc(64, trace_ring_bytes(BENCH_SLOTS));
}

static void bm_vmk(vmk_bench_state *s, enum trace_mode mode, uint64_t mask,
		   unsigned prefill)
{
	static struct trace_ring_cons cons;
	struct trace_writer w;
	void *mem = bench_ring_mem();
	uint64_t i = 0;

	if (!mem || bench_writer(&w, mem, mode, &cons, mask)) {
		vmk_bench_skip(s, "ring setup failed");
		free(mem);
		return;
	}
	cons.tail = 0;
	for (unsigned k = 0; k < prefill; k++)
		bench_vmk_exit(&w, k);
	while (vmk_bench_keep_running(s))
		bench_vmk_exit(&w, i++);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
	vmk_bench_escape(&w);
	free(mem);
}

static void bm_vmk_disabled(vmk_bench_state *s, void *arg)
{
	(void)arg;
	bm_vmk(s, TRACE_MODE_OVERWRITE, 0, 0);
}

static void bm_vmk_overwrite(vmk_bench_state *s, void *arg)
{
	(void)arg;
	bm_vmk(s, TRACE_MODE_OVERWRITE, TRACE_EV_ALL, 0);
}

static void bm_vmk_dropnew_full(vmk_bench_state *s, void *arg)
{
	(void)arg;
	bm_vmk(s, TRACE_MODE_DROP_NEW, TRACE_EV_ALL, BENCH_SLOTS);
}

static void bm_ust_enabled(vmk_bench_state *s, void *arg)
{
	uint64_t i = 0;

	(void)arg;
	while (vmk_bench_keep_running(s))
		bench_ust_exit(i++);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
	vmk_bench_counter(s, "ust_enabled",
			  lttng_ust_tracepoint_enabled(vmk_bench, vm_exit) ? 1 : 0, 0);
}

static void bm_ust_disabled(vmk_bench_state *s, void *arg)
{
	uint64_t i = 0;

	(void)arg;
	while (vmk_bench_keep_running(s))
		bench_ust_exit_off(i++);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
}

static void bm_loop_baseline(vmk_bench_state *s, void *arg)
{
	uint64_t i = 0;

	(void)arg;
	while (vmk_bench_keep_running(s)) {
		i++;
		__asm__ volatile("" : "+r"(i));
	}
	vmk_bench_set_items(s, vmk_bench_iterations(s));
}

static void register_all(void)
{
	vmk_bench_add("trace/vmk_disabled", bm_vmk_disabled, NULL, NULL);
	vmk_bench_add("trace/vmk_overwrite", bm_vmk_overwrite, NULL, NULL);
	vmk_bench_add("trace/vmk_dropnew_full", bm_vmk_dropnew_full, NULL, NULL);
	vmk_bench_add("trace/ust_enabled", bm_ust_enabled, NULL, NULL);
	vmk_bench_add("trace/ust_disabled", bm_ust_disabled, NULL, NULL);
	vmk_bench_add("trace/loop_baseline", bm_loop_baseline, NULL, NULL);
}

VMK_BENCH_MAIN(register_all)
