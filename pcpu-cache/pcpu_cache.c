/* The per-CPU cache: each CPU owns a window, a slot set and its stats, so
 * the map and release paths take no lock, write no shared cache line and
 * flush only the calling CPU's TLB. */
#include "pcpu_set.h"

static uintptr_t pcpu_cpu_bytes(unsigned ncpus)
{
	return pcpu_align64(ncpus * sizeof(struct pcpu_cpu));
}

size_t pcpu_cache_mem_size(unsigned ncpus, unsigned nslots)
{
	/* 63 spare bytes: @mem need not be aligned. */
	return 63 + pcpu_cpu_bytes(ncpus) + ncpus * pcpu_set_mem_size(nslots);
}

static int pcpu_cache_check_args(unsigned ncpus, unsigned nslots,
				 uintptr_t base, void *mem, size_t len)
{
	uintptr_t span = (uintptr_t)ncpus * nslots * PCPU_PAGE_SIZE;

	if (ncpus == 0 || ncpus > PCPU_CPUS_MAX || nslots == 0 ||
	    nslots > PCPU_SLOTS_MAX || (base & (PCPU_PAGE_SIZE - 1)))
		return VMK_EINVAL;
	if (base + (span - 1) < base)
		return VMK_ERANGE;
	if (!mem || len < pcpu_cache_mem_size(ncpus, nslots))
		return VMK_ENOMEM;
	return 0;
}

int pcpu_cache_init(struct pcpu_cache *c, const struct pcpu_map_ops *ops,
		    unsigned ncpus, unsigned nslots, uintptr_t window_base,
		    void *mem, size_t len)
{
	char *p;
	unsigned i;
	int err;

	if (!ops || !ops->install || !ops->flush)
		return VMK_EINVAL;
	err = pcpu_cache_check_args(ncpus, nslots, window_base, mem, len);
	if (err)
		return err;
	p = (char *)pcpu_align64((uintptr_t)mem);
	c->ops = *ops;
	c->cpu = (struct pcpu_cpu *)p;
	c->base = window_base;
	c->window_bytes = (uintptr_t)nslots * PCPU_PAGE_SIZE;
	c->ncpus = ncpus;
	c->nslots = nslots;
	p += pcpu_cpu_bytes(ncpus);
	for (i = 0; i < ncpus; i++) {
		struct pcpu_cpu *pc = &c->cpu[i];

		pcpu_set_init(&pc->set, nslots, p);
		p += pcpu_set_mem_size(nslots);
		pc->window = window_base + i * c->window_bytes;
		pc->stats = (struct pcpu_stats){ 0 };
	}
	return 0;
}

static uintptr_t pcpu_slot_va(const struct pcpu_cpu *pc, uint32_t i)
{
	return pc->window + ((uintptr_t)i << PCPU_PAGE_SHIFT);
}

/* Out of line: the hit path should stay small enough to inline well. */
static __attribute__((noinline)) int
pcpu_cache_miss(struct pcpu_cache *c, struct pcpu_cpu *pc, unsigned cpu,
		uint64_t mpn, uintptr_t *va)
{
	uint64_t old;
	int i = pcpu_set_insert(&pc->set, mpn, &old);

	if (i < 0) {
		pcpu_stat_inc(&pc->stats.full);
		return i;
	}
	*va = pcpu_slot_va(pc, (uint32_t)i);
	c->ops.install(c->ops.ctx, cpu, *va, mpn);
	pcpu_stat_inc(&pc->stats.misses);
	/* x86 caches no not-present entries: only a slot that held a page can
	 * have a stale translation, and only in this CPU's TLB. */
	if (old != PCPU_MPN_NONE) {
		c->ops.flush(c->ops.ctx, cpu, *va);
		pcpu_stat_inc(&pc->stats.evictions);
	}
	return 0;
}

int pcpu_cache_map(struct pcpu_cache *c, unsigned cpu, uint64_t mpn, uintptr_t *va)
{
	struct pcpu_cpu *pc;
	uint32_t i;
	int err;

	if (cpu >= c->ncpus || mpn > PCPU_MPN_MAX)
		return VMK_EINVAL;
	pc = &c->cpu[cpu];
	i = pcpu_set_find(&pc->set, mpn);
	if (i == PCPU_NIL)
		return pcpu_cache_miss(c, pc, cpu, mpn, va);
	err = pcpu_set_get(&pc->set, i);
	if (err)
		return err;
	pcpu_stat_inc(&pc->stats.hits);
	*va = pcpu_slot_va(pc, i);
	return 0;
}

/* A release outside the caller's window: another CPU's mapping (EPERM: it
 * must not touch that CPU's refcounts) or no mapping at all (ERANGE). */
static __attribute__((noinline)) int
pcpu_cache_bad_window(struct pcpu_cache *c, struct pcpu_cpu *pc, uintptr_t va)
{
	pcpu_stat_inc(&pc->stats.bad_release);
	if (va - c->base < c->ncpus * c->window_bytes)
		return VMK_EPERM;
	return VMK_ERANGE;
}

int pcpu_cache_release(struct pcpu_cache *c, unsigned cpu, uintptr_t va)
{
	struct pcpu_cpu *pc;
	uintptr_t off;
	int err;

	if (cpu >= c->ncpus)
		return VMK_EINVAL;
	pc = &c->cpu[cpu];
	off = va - pc->window;
	if (off >= c->window_bytes)
		return pcpu_cache_bad_window(c, pc, va);
	/* The PTE stays: the next map of this page is a hit. */
	err = pcpu_set_put(&pc->set, (uint32_t)(off >> PCPU_PAGE_SHIFT));
	if (err)
		pcpu_stat_inc(&pc->stats.bad_release);
	return err;
}

int pcpu_cache_invalidate(struct pcpu_cache *c, unsigned cpu, uint64_t mpn)
{
	struct pcpu_cpu *pc;
	uintptr_t va;
	int i;

	if (cpu >= c->ncpus || mpn > PCPU_MPN_MAX)
		return VMK_EINVAL;
	pc = &c->cpu[cpu];
	i = pcpu_set_remove(&pc->set, mpn);
	if (i == VMK_ENOENT)
		return 0;
	if (i < 0)
		return i;
	va = pcpu_slot_va(pc, (uint32_t)i);
	c->ops.install(c->ops.ctx, cpu, va, PCPU_MPN_NONE);
	c->ops.flush(c->ops.ctx, cpu, va);
	return 0;
}

void pcpu_cache_stats(const struct pcpu_cache *c, unsigned cpu, struct pcpu_stats *out)
{
	if (cpu >= c->ncpus) {
		*out = (struct pcpu_stats){ 0 };
		return;
	}
	pcpu_stats_read(&c->cpu[cpu].stats, out);
}
