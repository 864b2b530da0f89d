/* A small driver for callgrind: N map+release pairs on one path (hit or
 * miss) of one cache, inside pcpu_cg_measure(), which the run script names in
 * --toggle-collect so that only those instructions are counted.
 *   pcpu_cg_driver pcpu|global hit|miss N
 * Exits non-zero if the path taken was not the one asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcpu_bench_env.h"

static __attribute__((noinline)) int
pcpu_cg_run_pcpu(const uint64_t *seq, unsigned long n)
{
	unsigned long i;
	uintptr_t va;

	for (i = 0; i < n; i++) {
		if (pcpu_cache_map(&pb_pcpu, 0, pb_page(0, seq[i & (PB_SEQ - 1)]), &va))
			return -1;
		pcpu_cache_release(&pb_pcpu, 0, va);
	}
	return 0;
}

static __attribute__((noinline)) int
pcpu_cg_run_global(const uint64_t *seq, unsigned long n)
{
	unsigned long i;
	uintptr_t va;

	for (i = 0; i < n; i++) {
		if (pcpu_global_map(&pb_global, 0, pb_page(0, seq[i & (PB_SEQ - 1)]), &va))
			return -1;
		pcpu_global_release(&pb_global, 0, va);
	}
	return 0;
}

static int pcpu_cg_run(int global, const uint64_t *seq, unsigned long n)
{
	return global ? pcpu_cg_run_global(seq, n) : pcpu_cg_run_pcpu(seq, n);
}

/* The one function callgrind collects in (the warm-up is not counted). */
__attribute__((noinline)) int pcpu_cg_measure(int global, const uint64_t *seq,
					      unsigned long n)
{
	return pcpu_cg_run(global, seq, n);
}

static void pcpu_cg_stats(int global, struct pcpu_stats *s)
{
	if (global)
		pcpu_global_stats(&pb_global, 0, s);
	else
		pcpu_cache_stats(&pb_pcpu, 0, s);
}

int main(int argc, char **argv)
{
	struct pcpu_stats before, after;
	unsigned long n;
	int global, miss;

	if (argc != 4 || pb_env_init()) {
		fprintf(stderr, "usage: %s pcpu|global hit|miss N\n", argv[0]);
		return 2;
	}
	global = !strcmp(argv[1], "global");
	miss = !strcmp(argv[2], "miss");
	n = strtoul(argv[3], NULL, 0);
	/* Warm up outside the collected function: fills the hit set, and
	 * takes the miss scan past the first lap so that every miss evicts. */
	if (pcpu_cg_run(global, pb_seq[miss ? PB_MISS : PB_HIT], PB_SEQ))
		return 1;
	pcpu_cg_stats(global, &before);
	if (pcpu_cg_measure(global, pb_seq[miss ? PB_MISS : PB_HIT], n))
		return 1;
	pcpu_cg_stats(global, &after);
	printf("%s %s n=%lu hits=%llu misses=%llu evictions=%llu\n", argv[1], argv[2], n,
	       (unsigned long long)(after.hits - before.hits),
	       (unsigned long long)(after.misses - before.misses),
	       (unsigned long long)(after.evictions - before.evictions));
	if (miss)
		return after.misses - before.misses == n &&
		       after.evictions - before.evictions == n ? 0 : 1;
	return after.hits - before.hits == n ? 0 : 1;
}
