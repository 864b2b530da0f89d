/* pcpu-cache: map machine pages into a small window of virtual slots, with a
 * separate window, index and clock for each physical CPU (per-CPU cache), or
 * one shared, lock-protected set of slots (the global baseline).
 *
 * CPU identity is an explicit argument (@cpu) on every call, not a handle or
 * thread-local lookup: the vmkernel already knows its CPU number from its
 * per-CPU data, the library then needs no OS service, and a hosted test can
 * play several CPUs from one thread (e.g. to release on the wrong CPU).
 * The caller guarantees that calls for one @cpu never run concurrently: in
 * the vmkernel that means "only on that CPU, not from an interrupt handler
 * that may nest inside another pcpu_ call"; hosted, one thread per cpu index.
 *
 * A mapping (an address returned by map) is valid until it is released, and
 * for the per-CPU cache only on the CPU that made it.  Every call returns 0 or
 * a negative VMK_E* code from <vmk/err.h>.
 */
#ifndef PCPU_CACHE_H
#define PCPU_CACHE_H

#include <vmk/err.h>
#include <vmk/types.h>

#include "pcpu_lock.h"

#define PCPU_PAGE_SHIFT 12
#define PCPU_PAGE_SIZE ((uintptr_t)1 << PCPU_PAGE_SHIFT)
/* x86-64 physical addresses have at most 52 bits. */
#define PCPU_MPN_MAX ((UINT64_C(1) << 40) - 1)
/* Marks an empty slot, and asks install() for a not-present entry. */
#define PCPU_MPN_NONE UINT64_MAX
/* Slot indices are 16 bits so that a hash chain link costs 2 bytes; the
 * all-ones index ends a chain. */
#define PCPU_SLOTS_MAX 0xfffeu
#define PCPU_CPUS_MAX 256u

/* How a slot becomes a mapping.  In the vmkernel install() writes the PTE of
 * @va in the window and flush() is invlpg; hosted, a fake page table. */
struct pcpu_map_ops {
	/* Point @va at machine page @mpn (PCPU_MPN_NONE: not present).  @cpu is
	 * the CPU making the call. */
	void (*install)(void *ctx, unsigned cpu, uintptr_t va, uint64_t mpn);
	/* Drop @cpu's TLB entry for @va.  The per-CPU cache only ever asks for
	 * the calling CPU; the global one asks for every CPU (a shootdown). */
	void (*flush)(void *ctx, unsigned cpu, uintptr_t va);
	void *ctx;
};

struct pcpu_stats {
	uint64_t hits;        /* map found the page already in a slot */
	uint64_t misses;      /* map had to take a slot */
	uint64_t evictions;   /* ... and that slot held another page */
	uint64_t full;        /* map failed: every slot referenced (ENOSPC) */
	uint64_t bad_release; /* double, foreign-CPU or out-of-window release */
};

struct pcpu_slot {
	uint64_t mpn;   /* PCPU_MPN_NONE when empty */
	uint32_t refs;  /* live mappings; the slot cannot be evicted while > 0 */
	uint16_t next;  /* next slot in the same hash chain */
	uint8_t used;   /* clock bit: hit since the hand last passed */
	uint8_t pad;
};

/* Slots plus the index that finds them by machine page. */
struct pcpu_set {
	struct pcpu_slot *slot;
	uint16_t *bucket;     /* hash chain heads */
	uint32_t nslots;
	uint32_t bucket_mask;
	uint32_t hand;        /* clock hand */
	uint32_t busy;        /* slots with refs > 0 */
};

/* One CPU's cache; a whole number of cache lines so that two CPUs never
 * share one. */
struct pcpu_cpu {
	/* set: touched only by the owning CPU, no lock. */
	_Alignas(64) struct pcpu_set set;
	uintptr_t window;         /* read-only after init */
	/* stats: written only by the owning CPU (relaxed atomic stores), read
	 * by anyone (e.g. `vmk status`) without a lock. */
	struct pcpu_stats stats;
};

struct pcpu_cache {
	struct pcpu_map_ops ops;
	struct pcpu_cpu *cpu;     /* [ncpus], carved from init's memory */
	uintptr_t base;           /* window of cpu i: base + i * window_bytes */
	uintptr_t window_bytes;
	uint32_t ncpus;
	uint32_t nslots;          /* per CPU */
};

/* The baseline: one set of slots shared by every CPU under one lock. */
struct pcpu_global {
	struct pcpu_map_ops ops;
	struct pcpu_spinlock lock;
	struct pcpu_set set;      /* under lock */
	struct pcpu_stats stats;  /* under lock for writes; racy reads are fine */
	uintptr_t base;
	uintptr_t window_bytes;
	uint32_t ncpus;
};

/* Bytes of memory init needs (the library allocates nothing). */
size_t pcpu_cache_mem_size(unsigned ncpus, unsigned nslots);
int pcpu_cache_init(struct pcpu_cache *c, const struct pcpu_map_ops *ops,
		    unsigned ncpus, unsigned nslots, uintptr_t window_base,
		    void *mem, size_t len);
/* Map @mpn for @cpu: *va is where the page is, valid until released. */
int pcpu_cache_map(struct pcpu_cache *c, unsigned cpu, uint64_t mpn, uintptr_t *va);
/* Drop one reference; @va may point anywhere inside the mapped page. */
int pcpu_cache_release(struct pcpu_cache *c, unsigned cpu, uintptr_t va);
/* Forget @mpn on @cpu only (e.g. before the page is reused); EBUSY while
 * mapped.  Other CPUs need their own call (an IPI, owned by smp/). */
int pcpu_cache_invalidate(struct pcpu_cache *c, unsigned cpu, uint64_t mpn);
void pcpu_cache_stats(const struct pcpu_cache *c, unsigned cpu, struct pcpu_stats *out);

/* The same operations on the baseline.  @cpu selects nothing there (one
 * window for all) except who asks; any CPU may release any mapping. */
size_t pcpu_global_mem_size(unsigned nslots);
int pcpu_global_init(struct pcpu_global *g, const struct pcpu_map_ops *ops,
		     unsigned ncpus, unsigned nslots, uintptr_t window_base,
		     void *mem, size_t len);
int pcpu_global_map(struct pcpu_global *g, unsigned cpu, uint64_t mpn, uintptr_t *va);
int pcpu_global_release(struct pcpu_global *g, unsigned cpu, uintptr_t va);
int pcpu_global_invalidate(struct pcpu_global *g, unsigned cpu, uint64_t mpn);
void pcpu_global_stats(const struct pcpu_global *g, unsigned cpu, struct pcpu_stats *out);

/* The shared interface, so that a caller (a test, a benchmark, the vmkernel
 * choosing at boot) is written once for both caches. */
struct pcpu_iface {
	const char *name;
	int (*map)(void *cache, unsigned cpu, uint64_t mpn, uintptr_t *va);
	int (*release)(void *cache, unsigned cpu, uintptr_t va);
	int (*invalidate)(void *cache, unsigned cpu, uint64_t mpn);
	void (*stats)(const void *cache, unsigned cpu, struct pcpu_stats *out);
};

extern const struct pcpu_iface pcpu_cache_iface;
extern const struct pcpu_iface pcpu_global_iface;

#endif
