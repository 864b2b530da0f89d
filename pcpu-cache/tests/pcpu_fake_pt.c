#include "pcpu_fake_pt.h"

#include <string.h>

void pcpu_fake_pt_init(struct pcpu_fake_pt *pt, uintptr_t base, unsigned ncpus,
		       unsigned npages, unsigned window_pages)
{
	unsigned i;

	memset(pt, 0, sizeof(*pt));
	pt->base = base;
	pt->ncpus = ncpus;
	pt->npages = npages;
	pt->window_pages = window_pages;
	for (i = 0; i < PCPU_FAKE_MAX_PAGES; i++)
		pt->pte[i] = PCPU_MPN_NONE;
}

static void pcpu_fake_violation(struct pcpu_fake_pt *pt)
{
	__atomic_add_fetch(&pt->violations, 1, __ATOMIC_RELAXED);
}

/* Index of @va's entry, or -1 (and a violation) if outside the windows. */
static long pcpu_fake_index(struct pcpu_fake_pt *pt, uintptr_t va)
{
	uintptr_t i = (va - pt->base) >> PCPU_PAGE_SHIFT;

	if (va < pt->base || i >= pt->npages || pt->npages > PCPU_FAKE_MAX_PAGES) {
		pcpu_fake_violation(pt);
		return -1;
	}
	return (long)i;
}

/* A per-CPU cache may touch only the calling CPU's own window. */
static void pcpu_fake_check_window(struct pcpu_fake_pt *pt, unsigned cpu, long i)
{
	if (cpu >= pt->ncpus || cpu >= PCPU_FAKE_MAX_CPUS)
		pcpu_fake_violation(pt);
	else if (pt->window_pages && (unsigned long)i / pt->window_pages != cpu)
		pcpu_fake_violation(pt);
	else if (pt->check_owner && !pthread_equal(pthread_self(), pt->owner[cpu]))
		pcpu_fake_violation(pt);
}

static void pcpu_fake_install(void *ctx, unsigned cpu, uintptr_t va, uint64_t mpn)
{
	struct pcpu_fake_pt *pt = ctx;
	long i = pcpu_fake_index(pt, va);

	if (i < 0)
		return;
	pcpu_fake_check_window(pt, cpu, i);
	__atomic_store_n(&pt->pte[i], mpn, __ATOMIC_RELAXED);
	if (cpu < PCPU_FAKE_MAX_CPUS) {
		pt->installs[cpu]++;
		pt->last_install_va[cpu] = va;
		pt->last_install_mpn[cpu] = mpn;
	}
}

static void pcpu_fake_flush(void *ctx, unsigned cpu, uintptr_t va)
{
	struct pcpu_fake_pt *pt = ctx;
	long i = pcpu_fake_index(pt, va);

	if (i < 0)
		return;
	/* The global cache flushes every CPU from one thread: only a per-CPU
	 * flush is bound to its window and thread. */
	if (pt->window_pages)
		pcpu_fake_check_window(pt, cpu, i);
	if (cpu < PCPU_FAKE_MAX_CPUS) {
		pt->flushes[cpu]++;
		pt->last_flush_va[cpu] = va;
	}
}

struct pcpu_map_ops pcpu_fake_pt_ops(struct pcpu_fake_pt *pt)
{
	return (struct pcpu_map_ops){
		.install = pcpu_fake_install,
		.flush = pcpu_fake_flush,
		.ctx = pt,
	};
}

uint64_t pcpu_fake_pt_lookup(struct pcpu_fake_pt *pt, uintptr_t va)
{
	uintptr_t i = (va - pt->base) >> PCPU_PAGE_SHIFT;

	if (va < pt->base || i >= pt->npages)
		return PCPU_MPN_NONE;
	return __atomic_load_n(&pt->pte[i], __ATOMIC_RELAXED);
}

unsigned long pcpu_fake_pt_violations(struct pcpu_fake_pt *pt)
{
	return __atomic_load_n(&pt->violations, __ATOMIC_RELAXED);
}
