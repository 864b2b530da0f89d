/* The slot set shared by both caches: a chained hash index from machine page
 * to slot, reference counts, and clock eviction.  It knows nothing of CPUs,
 * locks or page tables; the callers add those.  The hit path is inline here
 * because it is the whole cost of a cache hit. */
#ifndef PCPU_SET_H
#define PCPU_SET_H

#include "pcpu_cache.h"

#define PCPU_NIL 0xffffu

/* Fibonacci hashing: consecutive page numbers (the common pattern when a
 * buffer spans pages) land in different buckets. */
static inline uint32_t pcpu_hash(const struct pcpu_set *s, uint64_t mpn)
{
	return (uint32_t)((mpn * UINT64_C(0x9e3779b97f4a7c15)) >> 40) & s->bucket_mask;
}

/* Slot index holding @mpn, or PCPU_NIL. */
static inline uint32_t pcpu_set_find(const struct pcpu_set *s, uint64_t mpn)
{
	uint32_t i = s->bucket[pcpu_hash(s, mpn)];

	while (i != PCPU_NIL && s->slot[i].mpn != mpn)
		i = s->slot[i].next;
	return i;
}

/* Take one more reference on a cached slot. */
static inline int pcpu_set_get(struct pcpu_set *s, uint32_t i)
{
	struct pcpu_slot *sl = &s->slot[i];

	if (sl->refs == UINT32_MAX)
		return VMK_ERANGE;
	if (sl->refs++ == 0)
		s->busy++;
	sl->used = 1;
	return 0;
}

/* Drop one reference; ENOENT if the slot holds none (a double release). */
static inline int pcpu_set_put(struct pcpu_set *s, uint32_t i)
{
	struct pcpu_slot *sl = &s->slot[i];

	if (sl->refs == 0)
		return VMK_ENOENT;
	if (--sl->refs == 0)
		s->busy--;
	return 0;
}

/* Bytes of slot and bucket storage for @nslots, each part cache-line sized. */
size_t pcpu_set_mem_size(unsigned nslots);
/* Lay out an empty set in @mem (pcpu_set_mem_size(nslots) bytes, 64-aligned). */
void pcpu_set_init(struct pcpu_set *s, unsigned nslots, void *mem);
/* Give @mpn a slot with one reference, evicting an unreferenced one if need
 * be; returns the slot index, or ENOSPC when every slot is referenced.
 * *old is the page the slot held (PCPU_MPN_NONE if it was empty). */
int pcpu_set_insert(struct pcpu_set *s, uint64_t mpn, uint64_t *old);
/* Drop @mpn from the index and empty its slot: returns the slot index,
 * ENOENT if @mpn is not cached, or EBUSY while it is referenced. */
int pcpu_set_remove(struct pcpu_set *s, uint64_t mpn);

/* Stats are written by one writer at a time but may be read concurrently;
 * relaxed atomics keep that race-free at the cost of a plain add. */
static inline void pcpu_stat_inc(uint64_t *p)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

void pcpu_stats_read(const struct pcpu_stats *in, struct pcpu_stats *out);

static inline uintptr_t pcpu_align64(uintptr_t x)
{
	return (x + 63) & ~(uintptr_t)63;
}

#endif
