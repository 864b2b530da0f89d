/* Slot set: layout, insertion with clock eviction, removal. */
#include "pcpu_set.h"

/* Twice as many chains as slots keeps chains about one entry long. */
static uint32_t pcpu_set_nbuckets(unsigned nslots)
{
	uint32_t n = 2;

	while (n < 2u * nslots)
		n <<= 1;
	return n;
}

size_t pcpu_set_mem_size(unsigned nslots)
{
	return pcpu_align64(nslots * sizeof(struct pcpu_slot)) +
	       pcpu_align64(pcpu_set_nbuckets(nslots) * sizeof(uint16_t));
}

void pcpu_set_init(struct pcpu_set *s, unsigned nslots, void *mem)
{
	uint32_t nb = pcpu_set_nbuckets(nslots);
	uint32_t i;

	s->slot = mem;
	s->bucket = (uint16_t *)((char *)mem +
				 pcpu_align64(nslots * sizeof(struct pcpu_slot)));
	s->nslots = nslots;
	s->bucket_mask = nb - 1;
	s->hand = 0;
	s->busy = 0;
	for (i = 0; i < nslots; i++) {
		s->slot[i].mpn = PCPU_MPN_NONE;
		s->slot[i].refs = 0;
		s->slot[i].next = PCPU_NIL;
		s->slot[i].used = 0;
		s->slot[i].pad = 0;
	}
	for (i = 0; i < nb; i++)
		s->bucket[i] = PCPU_NIL;
}

static void pcpu_set_link(struct pcpu_set *s, uint32_t i)
{
	uint16_t *head = &s->bucket[pcpu_hash(s, s->slot[i].mpn)];

	s->slot[i].next = *head;
	*head = (uint16_t)i;
}

static void pcpu_set_unlink(struct pcpu_set *s, uint32_t i)
{
	uint16_t *link = &s->bucket[pcpu_hash(s, s->slot[i].mpn)];

	while (*link != i)
		link = &s->slot[*link].next;
	*link = s->slot[i].next;
	s->slot[i].next = PCPU_NIL;
}

/* Clock: referenced slots are skipped, a slot hit since the hand last passed
 * gets a second chance.  The caller has checked busy < nslots, so one sweep
 * clears every used bit at worst and the second finds a victim. */
static uint32_t pcpu_set_victim(struct pcpu_set *s)
{
	for (;;) {
		uint32_t i = s->hand;
		struct pcpu_slot *sl = &s->slot[i];

		s->hand = (i + 1 == s->nslots) ? 0 : i + 1;
		if (sl->refs)
			continue;
		if (!sl->used)
			return i;
		sl->used = 0;
	}
}

int pcpu_set_insert(struct pcpu_set *s, uint64_t mpn, uint64_t *old)
{
	uint32_t i;
	struct pcpu_slot *sl;

	if (s->busy == s->nslots)
		return VMK_ENOSPC;
	i = pcpu_set_victim(s);
	sl = &s->slot[i];
	*old = sl->mpn;
	if (sl->mpn != PCPU_MPN_NONE)
		pcpu_set_unlink(s, i);
	sl->mpn = mpn;
	sl->refs = 1;
	/* Not marked used: a page touched once (a scan) goes before pages that
	 * were hit again, so streaming does not flush the hot set. */
	sl->used = 0;
	pcpu_set_link(s, i);
	s->busy++;
	return (int)i;
}

int pcpu_set_remove(struct pcpu_set *s, uint64_t mpn)
{
	uint32_t i = pcpu_set_find(s, mpn);

	if (i == PCPU_NIL)
		return VMK_ENOENT;
	if (s->slot[i].refs)
		return VMK_EBUSY;
	pcpu_set_unlink(s, i);
	s->slot[i].mpn = PCPU_MPN_NONE;
	s->slot[i].used = 0;
	return (int)i;
}

void pcpu_stats_read(const struct pcpu_stats *in, struct pcpu_stats *out)
{
	out->hits = __atomic_load_n(&in->hits, __ATOMIC_RELAXED);
	out->misses = __atomic_load_n(&in->misses, __ATOMIC_RELAXED);
	out->evictions = __atomic_load_n(&in->evictions, __ATOMIC_RELAXED);
	out->full = __atomic_load_n(&in->full, __ATOMIC_RELAXED);
	out->bad_release = __atomic_load_n(&in->bad_release, __ATOMIC_RELAXED);
}
