/* ring_mem: see ring_mem.h. */
#include "ring_mem.h"

#include <stddef.h>

static void *ring_region_try(const struct ring_region *r, uint64_t gpa, uint64_t len)
{
	/* Subtractions only, in an order that cannot wrap. */
	if (gpa < r->gpa)
		return NULL;
	uint64_t off = gpa - r->gpa;
	if (off > r->len || len > r->len - off)
		return NULL;
	return (uint8_t *)r->hva + off;
}

void *ring_mem_translate(const struct ring_memmap *m, uint64_t gpa, uint64_t len)
{
	/* Linear: a VM has a handful of regions, and the hit is usually the
	 * first one (all of low RAM). */
	for (uint32_t i = 0; i < m->nregions; i++) {
		void *p = ring_region_try(&m->regions[i], gpa, len);
		if (p)
			return p;
	}
	return NULL;
}
