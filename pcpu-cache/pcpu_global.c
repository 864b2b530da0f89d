/* The global baseline: one window and one slot set for all CPUs under one
 * spinlock.  Every map and release takes the lock (its cache line moves
 * between CPUs), and an eviction must flush every CPU's TLB because any CPU
 * may hold the old translation.  These are the costs the per-CPU cache
 * avoids; the baseline exists to measure them. */
#include "pcpu_set.h"

size_t pcpu_global_mem_size(unsigned nslots)
{
	return 63 + pcpu_set_mem_size(nslots);
}

int pcpu_global_init(struct pcpu_global *g, const struct pcpu_map_ops *ops,
		     unsigned ncpus, unsigned nslots, uintptr_t window_base,
		     void *mem, size_t len)
{
	uintptr_t span = (uintptr_t)nslots * PCPU_PAGE_SIZE;

	if (ncpus == 0 || ncpus > PCPU_CPUS_MAX || nslots == 0 ||
	    nslots > PCPU_SLOTS_MAX || (window_base & (PCPU_PAGE_SIZE - 1)) ||
	    !ops || !ops->install || !ops->flush)
		return VMK_EINVAL;
	if (window_base + (span - 1) < window_base)
		return VMK_ERANGE;
	if (!mem || len < pcpu_global_mem_size(nslots))
		return VMK_ENOMEM;
	g->ops = *ops;
	g->lock.locked = 0;
	pcpu_set_init(&g->set, nslots, (void *)pcpu_align64((uintptr_t)mem));
	g->stats = (struct pcpu_stats){ 0 };
	g->base = window_base;
	g->window_bytes = span;
	g->ncpus = ncpus;
	return 0;
}

static uintptr_t pcpu_global_va(const struct pcpu_global *g, uint32_t i)
{
	return g->base + ((uintptr_t)i << PCPU_PAGE_SHIFT);
}

/* In the vmkernel this is a local invlpg plus an IPI to every other CPU. */
static void pcpu_global_shootdown(struct pcpu_global *g, uintptr_t va)
{
	unsigned c;

	for (c = 0; c < g->ncpus; c++)
		g->ops.flush(g->ops.ctx, c, va);
}

/* Called with the lock held: the PTE must be written before another CPU can
 * find the page in the index and use the address. */
static int pcpu_global_miss(struct pcpu_global *g, unsigned cpu, uint64_t mpn,
			    uintptr_t *va)
{
	uint64_t old;
	int i = pcpu_set_insert(&g->set, mpn, &old);

	if (i < 0) {
		pcpu_stat_inc(&g->stats.full);
		return i;
	}
	*va = pcpu_global_va(g, (uint32_t)i);
	g->ops.install(g->ops.ctx, cpu, *va, mpn);
	pcpu_stat_inc(&g->stats.misses);
	if (old != PCPU_MPN_NONE) {
		pcpu_global_shootdown(g, *va);
		pcpu_stat_inc(&g->stats.evictions);
	}
	return 0;
}

int pcpu_global_map(struct pcpu_global *g, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	uint32_t i;
	int err;

	if (cpu >= g->ncpus || mpn > PCPU_MPN_MAX)
		return VMK_EINVAL;
	pcpu_spin_lock(&g->lock);
	i = pcpu_set_find(&g->set, mpn);
	if (i == PCPU_NIL) {
		err = pcpu_global_miss(g, cpu, mpn, va);
	} else {
		err = pcpu_set_get(&g->set, i);
		if (!err) {
			pcpu_stat_inc(&g->stats.hits);
			*va = pcpu_global_va(g, i);
		}
	}
	pcpu_spin_unlock(&g->lock);
	return err;
}

int pcpu_global_release(struct pcpu_global *g, unsigned cpu, uintptr_t va)
{
	uintptr_t off = va - g->base;
	int err;

	if (cpu >= g->ncpus)
		return VMK_EINVAL;
	pcpu_spin_lock(&g->lock);
	if (off >= g->window_bytes)
		err = VMK_ERANGE;
	else
		err = pcpu_set_put(&g->set, (uint32_t)(off >> PCPU_PAGE_SHIFT));
	if (err)
		pcpu_stat_inc(&g->stats.bad_release);
	pcpu_spin_unlock(&g->lock);
	return err;
}

int pcpu_global_invalidate(struct pcpu_global *g, unsigned cpu, uint64_t mpn)
{
	int i;

	if (cpu >= g->ncpus || mpn > PCPU_MPN_MAX)
		return VMK_EINVAL;
	pcpu_spin_lock(&g->lock);
	i = pcpu_set_remove(&g->set, mpn);
	if (i >= 0) {
		uintptr_t va = pcpu_global_va(g, (uint32_t)i);

		g->ops.install(g->ops.ctx, cpu, va, PCPU_MPN_NONE);
		pcpu_global_shootdown(g, va);
	}
	pcpu_spin_unlock(&g->lock);
	if (i == VMK_ENOENT)
		return 0;
	return i < 0 ? i : 0;
}

void pcpu_global_stats(const struct pcpu_global *g, unsigned cpu, struct pcpu_stats *out)
{
	(void)cpu; /* one cache, one set of counters */
	pcpu_stats_read(&g->stats, out);
}
