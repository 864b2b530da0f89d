/* Adapters from the shared interface's void * to each cache's own type
 * (calling through a mismatched function pointer type would be undefined). */
#include "pcpu_cache.h"

static int pcpu_if_cache_map(void *c, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	return pcpu_cache_map(c, cpu, mpn, va);
}

static int pcpu_if_cache_release(void *c, unsigned cpu, uintptr_t va)
{
	return pcpu_cache_release(c, cpu, va);
}

static int pcpu_if_cache_invalidate(void *c, unsigned cpu, uint64_t mpn)
{
	return pcpu_cache_invalidate(c, cpu, mpn);
}

static void pcpu_if_cache_stats(const void *c, unsigned cpu, struct pcpu_stats *out)
{
	pcpu_cache_stats(c, cpu, out);
}

static int pcpu_if_global_map(void *g, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	return pcpu_global_map(g, cpu, mpn, va);
}

static int pcpu_if_global_release(void *g, unsigned cpu, uintptr_t va)
{
	return pcpu_global_release(g, cpu, va);
}

static int pcpu_if_global_invalidate(void *g, unsigned cpu, uint64_t mpn)
{
	return pcpu_global_invalidate(g, cpu, mpn);
}

static void pcpu_if_global_stats(const void *g, unsigned cpu, struct pcpu_stats *out)
{
	pcpu_global_stats(g, cpu, out);
}

const struct pcpu_iface pcpu_cache_iface = {
	.name = "pcpu",
	.map = pcpu_if_cache_map,
	.release = pcpu_if_cache_release,
	.invalidate = pcpu_if_cache_invalidate,
	.stats = pcpu_if_cache_stats,
};

const struct pcpu_iface pcpu_global_iface = {
	.name = "global",
	.map = pcpu_if_global_map,
	.release = pcpu_if_global_release,
	.invalidate = pcpu_if_global_invalidate,
	.stats = pcpu_if_global_stats,
};
