#include "pcpu_fix.h"

#include <stdlib.h>

int pcpu_fix_is_global(const struct pcpu_fix *f)
{
	return f->api == &pcpu_global_iface;
}

static int pcpu_fix_init_cache(struct pcpu_fix *f)
{
	struct pcpu_map_ops ops = pcpu_fake_pt_ops(&f->pt);
	size_t len;

	if (pcpu_fix_is_global(f)) {
		len = pcpu_global_mem_size(f->nslots);
		f->mem = malloc(len);
		f->cache = &f->g;
		return pcpu_global_init(&f->g, &ops, f->ncpus, f->nslots,
					PCPU_FIX_BASE, f->mem, len);
	}
	len = pcpu_cache_mem_size(f->ncpus, f->nslots);
	f->mem = malloc(len);
	f->cache = &f->pc;
	return pcpu_cache_init(&f->pc, &ops, f->ncpus, f->nslots,
			       PCPU_FIX_BASE, f->mem, len);
}

struct pcpu_fix *pcpu_fix_open(const struct pcpu_fix_param *p)
{
	struct pcpu_fix *f = calloc(1, sizeof(*f));
	int global = p->api == &pcpu_global_iface;

	assert_non_null(f);
	f->api = p->api;
	f->ncpus = p->ncpus;
	f->nslots = p->nslots;
	pcpu_fake_pt_init(&f->pt, PCPU_FIX_BASE, p->ncpus,
			  global ? p->nslots : p->ncpus * p->nslots,
			  global ? 0 : p->nslots);
	assert_int_equal(pcpu_fix_init_cache(f), VMK_OK);
	return f;
}

void pcpu_fix_close(struct pcpu_fix *f)
{
	free(f->mem);
	free(f);
}

int pcpu_fix_setup(void **state)
{
	*state = pcpu_fix_open(*state);
	return 0;
}

int pcpu_fix_teardown(void **state)
{
	struct pcpu_fix *f = *state;

	/* Every test must leave the windows consistent. */
	assert_int_equal(pcpu_fake_pt_violations(&f->pt), 0);
	pcpu_fix_close(f);
	return 0;
}

uintptr_t pcpu_fix_map(struct pcpu_fix *f, unsigned cpu, uint64_t mpn)
{
	uintptr_t va = 0;

	assert_int_equal(f->api->map(f->cache, cpu, mpn, &va), VMK_OK);
	assert_int_equal(va & (PCPU_PAGE_SIZE - 1), 0);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, va), mpn);
	return va;
}

void pcpu_fix_release(struct pcpu_fix *f, unsigned cpu, uintptr_t va)
{
	assert_int_equal(f->api->release(f->cache, cpu, va), VMK_OK);
}

uintptr_t pcpu_fix_touch(struct pcpu_fix *f, unsigned cpu, uint64_t mpn)
{
	uintptr_t va = pcpu_fix_map(f, cpu, mpn);

	pcpu_fix_release(f, cpu, va);
	return va;
}

struct pcpu_stats pcpu_fix_stats(struct pcpu_fix *f, unsigned cpu)
{
	struct pcpu_stats s;

	f->api->stats(f->cache, cpu, &s);
	return s;
}
