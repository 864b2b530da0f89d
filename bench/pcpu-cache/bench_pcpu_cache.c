/* pcpu-cache microbenchmarks: hit, miss and mixed workloads, 1 and 2
 * threads, the per-CPU cache against the global baseline, in one run.
 * One iteration is one map plus its release.  Thread i plays CPU i and
 * uses its own pages, so both caches see the same work.
 *
 * Thread i is pinned to the i-th CPU the process may use.  Each benchmark
 * also runs once more with one thread on the second CPU ("<name>/cpu1"):
 * the two one-thread figures show whether the two CPUs are equally fast
 * for that code at the time, which a 2-thread ratio silently depends on. */
#include <stdio.h>

#include <vmk_bench.h>

#include "pcpu_bench_env.h"

/* Thin typed wrappers; once the loop below is inlined with a constant
 * table the compiler calls the library directly. */
static int pb_pcpu_map(void *c, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	return pcpu_cache_map(c, cpu, mpn, va);
}

static int pb_pcpu_release(void *c, unsigned cpu, uintptr_t va)
{
	return pcpu_cache_release(c, cpu, va);
}

static void pb_pcpu_stats(const void *c, unsigned cpu, struct pcpu_stats *out)
{
	pcpu_cache_stats(c, cpu, out);
}

static int pb_global_map(void *c, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	return pcpu_global_map(c, cpu, mpn, va);
}

static int pb_global_release(void *c, unsigned cpu, uintptr_t va)
{
	return pcpu_global_release(c, cpu, va);
}

static void pb_global_stats(const void *c, unsigned cpu, struct pcpu_stats *out)
{
	pcpu_global_stats(c, cpu, out);
}

static const struct pb_api pb_pcpu_api = {
	pb_pcpu_map, pb_pcpu_release, pb_pcpu_stats, &pb_pcpu
};
static const struct pb_api pb_global_api = {
	pb_global_map, pb_global_release, pb_global_stats, &pb_global
};

/* Map and release every hot page once so the hit loop starts warm. */
static __attribute__((always_inline)) inline int
pb_warm(const struct pb_api *a, unsigned cpu)
{
	uintptr_t va;
	unsigned i;

	for (i = 0; i < PB_HOT; i++) {
		if (a->map(a->cache, cpu, pb_page(cpu, i), &va))
			return -1;
		a->release(a->cache, cpu, va);
	}
	return 0;
}

static __attribute__((always_inline)) inline void
pb_loop(vmk_bench_state *s, const struct pb_api *a, enum pb_workload w)
{
	unsigned cpu = (unsigned)vmk_bench_thread_index(s);
	const uint64_t *seq = pb_seq[w];
	struct pcpu_stats before, after;
	uint64_t base = pb_page(cpu, 0);
	unsigned i = 0;
	uintptr_t va;

	if (cpu >= PB_CPUS || pb_warm(a, cpu)) {
		vmk_bench_skip(s, "setup failed");
		while (vmk_bench_keep_running(s))
			; /* meet the other thread at the start and stop barriers */
		return;
	}
	a->stats(a->cache, cpu, &before);
	while (vmk_bench_keep_running(s)) {
		if (a->map(a->cache, cpu, base + seq[i++ & (PB_SEQ - 1)], &va)) {
			vmk_bench_skip(s, "map failed");
			break;
		}
		a->release(a->cache, cpu, va);
	}
	a->stats(a->cache, cpu, &after);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
	/* Shows that each workload is what it claims (global: both threads'
	 * counters together). */
	vmk_bench_counter(s, "hit_ratio",
			  (double)(after.hits - before.hits) /
			  (double)(after.hits - before.hits + after.misses - before.misses + 1e-9),
			  0);
}

#define PB_BENCH(impl, w)                                            \
	static void pb_##impl##_##w(vmk_bench_state *s, void *arg)     \
	{                                                              \
		(void)arg;                                             \
		pb_loop(s, &pb_##impl##_api, PB_##w);                   \
	}

PB_BENCH(pcpu, HIT)
PB_BENCH(pcpu, MISS)
PB_BENCH(pcpu, MIXED)
PB_BENCH(global, HIT)
PB_BENCH(global, MISS)
PB_BENCH(global, MIXED)

/* Control: work that shares nothing at all (a register-only xorshift chain;
 * the escape at the end keeps every step).  Its 2-thread/1-thread ratio is what this
 * machine gives any perfectly scalable code at that moment, the ceiling for
 * the per-CPU cache's ratio. */
static void pb_control(vmk_bench_state *s, void *arg)
{
	uint64_t x = 88172645463325252ull + (uint64_t)vmk_bench_thread_index(s);
	int k;

	(void)arg;
	while (vmk_bench_keep_running(s)) {
		for (k = 0; k < 8; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
	}
	vmk_bench_escape(&x);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
}

static const struct {
	const char *name;
	vmk_bench_fn fn;
} pb_benches[] = {
	{ "pcpu/hit", pb_pcpu_HIT },       { "global/hit", pb_global_HIT },
	{ "pcpu/miss", pb_pcpu_MISS },     { "global/miss", pb_global_MISS },
	{ "pcpu/mixed", pb_pcpu_MIXED },   { "global/mixed", pb_global_MIXED },
	{ "control/alu", pb_control },
};

static void pb_register(void)
{
	unsigned i, t;

	if (pb_env_init())
		return; /* nothing registered: the run reports no benchmarks */
	for (i = 0; i < sizeof(pb_benches) / sizeof(pb_benches[0]); i++) {
		/* One thread on CPU 0, two threads on CPUs 0 and 1. */
		for (t = 1; t <= PB_CPUS; t++) {
			struct vmk_bench_opts o = { .threads = (int)t, .use_real_time = 1,
						    .pin = 1, .first_cpu = 0 };

			vmk_bench_add(pb_benches[i].name, pb_benches[i].fn, NULL, &o);
		}
		/* One thread on CPU 1 (it still plays CPU 0 of the cache). */
		{
			struct vmk_bench_opts o = { .threads = 1, .use_real_time = 1,
						    .pin = 1, .first_cpu = 1 };
			char name[64];

			snprintf(name, sizeof(name), "%s/cpu1", pb_benches[i].name);
			vmk_bench_add(name, pb_benches[i].fn, NULL, &o);
		}
	}
}

VMK_BENCH_MAIN(pb_register)
