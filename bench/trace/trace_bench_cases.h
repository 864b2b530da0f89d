/* The event each benchmark emits, one place for the ns benchmark and the
 * callgrind driver: a VM exit with arguments that change every iteration, so
 * neither tracer can fold them into constants. */
#ifndef VMK_TRACE_BENCH_CASES_H
#define VMK_TRACE_BENCH_CASES_H

#include "trace_emit.h"
#include "trace_bench_tp.h"

#define BENCH_RIP 0xffffffff81000000ull

static inline void bench_vmk_exit(struct trace_writer *w, uint64_t i)
{
	trace_vm_exit(w, (uint32_t)i & 7, 0x7b, BENCH_RIP + i, i, ~i);
}

static inline void bench_ust_exit(uint64_t i)
{
	lttng_ust_tracepoint(vmk_bench, vm_exit, (uint32_t)i & 7, 0x7b,
			     BENCH_RIP + i, i, ~i);
}

static inline void bench_ust_exit_off(uint64_t i)
{
	lttng_ust_tracepoint(vmk_bench, vm_exit_off, (uint32_t)i & 7, 0x7b,
			     BENCH_RIP + i, i, ~i);
}

/* Ring big enough that the writer streams through memory like a real
 * session rather than staying in L1. */
#define BENCH_SLOTS 4096u

/* Sets up @w over @mem (trace_ring_bytes(BENCH_SLOTS), 64-aligned). */
static inline int bench_writer(struct trace_writer *w, void *mem,
			       enum trace_mode mode,
			       const struct trace_ring_cons *cons, uint64_t mask)
{
	int err = trace_writer_init(w, mem, trace_ring_bytes(BENCH_SLOTS),
				    BENCH_SLOTS, 0, mode, cons);
	trace_set_enabled(w, mask);
	return err;
}

#endif
