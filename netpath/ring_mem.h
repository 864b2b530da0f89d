/* ring_mem: translate guest-physical ranges to host pointers through a
 * bounds-checked region table that the caller owns (the vmkernel's view of a
 * VM's memory; hosted, a buffer the test owns).  Shared by every ring user:
 * a descriptor's address and length are guest-controlled, so nothing may be
 * dereferenced that this has not approved. */
#ifndef VMK_RING_MEM_H
#define VMK_RING_MEM_H

#include <stdint.h>

struct ring_region {
	uint64_t gpa;    /* first guest-physical byte */
	uint64_t len;    /* bytes */
	void *hva;       /* where the back end sees that byte */
};

struct ring_memmap {
	const struct ring_region *regions;
	uint32_t nregions;
};

static inline void *ring_region_try(const struct ring_region *r, uint64_t gpa,
				    uint64_t len)
{
	/* Subtractions only, in an order that cannot wrap. */
	if (gpa < r->gpa)
		return (void *)0;
	uint64_t off = gpa - r->gpa;
	if (off > r->len || len > r->len - off)
		return (void *)0;
	return (uint8_t *)r->hva + off;
}

/* Host pointer for [gpa, gpa + len) if it lies wholly inside one region,
 * else NULL.  Overflow-safe for any 64-bit gpa and len.  Inline: it runs for
 * every descriptor, and a VM has a handful of regions with the hit usually
 * in the first (all of low RAM). */
static inline void *ring_mem_translate(const struct ring_memmap *m, uint64_t gpa,
				       uint64_t len)
{
	for (uint32_t i = 0; i < m->nregions; i++) {
		void *p = ring_region_try(&m->regions[i], gpa, len);
		if (p)
			return p;
	}
	return (void *)0;
}

#endif
