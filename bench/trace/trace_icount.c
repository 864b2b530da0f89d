/* Driver for callgrind: each function below emits N events of one kind and
 * nothing else, so its inclusive instruction count / N is the per-event
 * cost (minus icount_loop, the loop alone).  bench/trace/icount runs it.
 *
 *   trace_icount [N]    prints "ust_enabled=0|1" for the record */
#include <stdio.h>
#include <stdlib.h>

#include "trace_bench_cases.h"

/* noipa: identical bodies must stay separate functions (no ICF) so that
 * callgrind can tell the cases apart. */
#define NOINLINE __attribute__((noinline, noipa))

NOINLINE void icount_loop(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" : : "r"(i));
}

NOINLINE void icount_vmk_disabled(struct trace_writer *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_vmk_exit(w, i);
}

NOINLINE void icount_vmk_overwrite(struct trace_writer *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_vmk_exit(w, i);
}

NOINLINE void icount_vmk_dropnew_full(struct trace_writer *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_vmk_exit(w, i);
}

/* Not an icount_ function: filling the ring is not what is measured. */
NOINLINE static void fill(struct trace_writer *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_vmk_exit(w, i);
}

NOINLINE void icount_ust_enabled(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_ust_exit(i);
}

NOINLINE void icount_ust_disabled(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_ust_exit_off(i);
}

int main(int argc, char **argv)
{
	static struct trace_ring_cons cons;
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	void *mem = aligned_alloc(64, trace_ring_bytes(BENCH_SLOTS));
	struct trace_writer w;

	if (!mem || bench_writer(&w, mem, TRACE_MODE_OVERWRITE, &cons, 0))
		return 1;
	icount_loop(n);
	icount_vmk_disabled(&w, n);
	trace_set_enabled(&w, TRACE_EV_ALL);
	icount_vmk_overwrite(&w, n);
	if (bench_writer(&w, mem, TRACE_MODE_DROP_NEW, &cons, TRACE_EV_ALL))
		return 1;
	fill(&w, BENCH_SLOTS);
	icount_vmk_dropnew_full(&w, n);
	icount_ust_enabled(n);
	icount_ust_disabled(n);
	printf("n=%llu ust_enabled=%d\n", (unsigned long long)n,
	       lttng_ust_tracepoint_enabled(vmk_bench, vm_exit) ? 1 : 0);
	free(mem);
	return 0;
}
