/* ring_core: the generic single-producer/single-consumer descriptor ring that
 * netpath (and storpath) instantiate with their own slot types.
 *
 * Layout in shared memory: a 256-byte header (struct ring_shared) followed by
 * a power-of-two array of fixed-size slots.  Indices are free-running 32-bit
 * counters; a slot is index & (nslots - 1).  Each header cache line holds one
 * field written by one side only.
 *
 * In-place completion: the consumer may write results back into a slot
 * before it releases it; the producer learns completions from the release
 * index `cons` and reads those slots back before reclaiming them.  A ring
 * with out-of-order completion (storpath) instantiates two rings instead.
 *
 * Notification suppression is event-index style: each side publishes the
 * peer index value at which it wants to be woken (`cons_wake`: "ring my
 * doorbell when prod reaches this"; `prod_wake`: "interrupt me when cons
 * reaches this").  A side that polls simply does not re-arm, so its peer
 * sends nothing.  Publishing a batch costs one check, hence at most one
 * notification per batch.  A disarmed value is hit again only after 2^32
 * indices, which costs one spurious (harmless) notification.
 *
 * Hostility: every endpoint keeps its own indices privately and never reads
 * them back from shared memory; the peer's index is loaded once per poll and
 * rejected (counted in bad_index) unless it is within the ring.  Both sides
 * validate, so a driver need not trust the vmkernel either.
 *
 * Memory ordering: poll = acquire load of the peer's index.  Publishing and
 * arming must order "store mine" before "load the peer's" (a store-load
 * pair: both sides could otherwise miss each other and sleep forever).  Two
 * ways, chosen per ring by the set-up path that attaches both endpoints:
 *
 *   fenced (default)  publish, release and arm store with a sequentially
 *                     consistent exchange, a full barrier (on x86 cheaper
 *                     than a plain store and a fence).  Per batch, the
 *                     publishing CPU waits until all its earlier stores (the
 *                     batch's slots) are visible.
 *   asymmetric        publish and release use a plain release store; the
 *                     side that arms pays instead: after its fenced store of
 *                     the wake value it calls remote_fence, which returns
 *                     only once the peer's CPU has executed a full barrier
 *                     (hosted: membarrier(2); vmkernel: an IPI, or knowing
 *                     the peer is not running), then polls.  Either the
 *                     peer's index store came before that barrier, and the
 *                     poll sees it, or its load of the wake value comes
 *                     after, and sees the new value.  Arming is rare (a side
 *                     about to sleep) and costly; batches cost no barrier.
 *                     Both endpoints of a ring must be in this mode.
 *
 * Plain C with GCC __atomic builtins: compiles hosted and freestanding. */
#ifndef VMK_RING_CORE_H
#define VMK_RING_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_LAYOUT_VERSION 1u
#define RING_SLOTS_OFFSET 256u
/* Keeps every legal index distance far below 2^31, so modular comparisons
 * stay unambiguous. */
#define RING_MAX_SLOTS 32768u

/* Four lines, one per field: an index is written on every batch, a wake
 * value only when its owner arms.  Apart, the peer's check of a wake value
 * hits a line that stays shared in its cache instead of pulling the line
 * the owner just wrote its index into. */
struct ring_shared {
	uint32_t prod;        /* +0   producer: slots [.., prod) are published */
	uint8_t rsvd_004[60];
	uint32_t prod_wake;   /* +64  producer: notify me when cons reaches this */
	uint8_t rsvd_044[60];
	uint32_t cons;        /* +128 consumer: slots [.., cons) are released */
	uint8_t rsvd_084[60];
	uint32_t cons_wake;   /* +192 consumer: notify me when prod reaches this */
	uint8_t rsvd_0c4[60];
};
_Static_assert(sizeof(struct ring_shared) == RING_SLOTS_OFFSET, "ring header size");
_Static_assert(offsetof(struct ring_shared, prod_wake) == 64, "prod_wake offset");
_Static_assert(offsetof(struct ring_shared, cons) == 128, "cons offset");
_Static_assert(offsetof(struct ring_shared, cons_wake) == 192, "cons_wake offset");
/* The ring memory is 64-byte aligned (ring_attach checks it), so slots start
 * on a cache line: no slot shares a line with an index. */
#define RING_CACHE_LINE 64u
_Static_assert(RING_SLOTS_OFFSET % RING_CACHE_LINE == 0, "slots start on a line");

/* Makes the peer's CPU execute a full memory barrier before returning. */
typedef void (*ring_fence_fn)(void *ctx);

/* One endpoint's private view.  Never shared: the peer cannot corrupt it. */
struct ring {
	struct ring_shared *sh;
	uint8_t *slots;
	uint32_t mask;        /* nslots - 1 */
	uint32_t slot_size;
	uint32_t head;        /* producer: published up to; consumer: read up to */
	uint32_t tail;        /* producer: reclaimed up to; consumer: released up to */
	uint32_t peer;        /* last validated snapshot of the peer's index */
	uint64_t bad_index;   /* peer index snapshots rejected as corrupt */
	ring_fence_fn remote_fence;   /* NULL: fenced ordering; else asymmetric */
	void *fence_ctx;
};

/* Read or write one shared field exactly once: the compiler may neither
 * re-load it (double fetch) nor tear it. */
#define RING_READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define RING_WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Bytes of shared memory a ring of @nslots slots of @slot_size needs. */
static inline size_t ring_mem_size(uint32_t nslots, uint32_t slot_size)
{
	return RING_SLOTS_OFFSET + (size_t)nslots * slot_size;
}

/* Zero the shared header; done once by whoever allocates the ring. */
int ring_format(void *mem, size_t mem_len, uint32_t nslots, uint32_t slot_size);
/* Attach one endpoint.  Parameters come from the trusted set-up path, never
 * from the shared header.  Each side initialises only its own line. */
int ring_attach_producer(struct ring *r, void *mem, size_t mem_len,
			 uint32_t nslots, uint32_t slot_size);
int ring_attach_consumer(struct ring *r, void *mem, size_t mem_len,
			 uint32_t nslots, uint32_t slot_size);

static inline uint32_t ring_nslots(const struct ring *r) { return r->mask + 1; }

static inline void *ring_slot(const struct ring *r, uint32_t idx)
{
	return r->slots + (size_t)(idx & r->mask) * r->slot_size;
}

/* True if moving an index from @old to @new passes @wake (old < wake <= new,
 * modulo 2^32). */
static inline bool ring_wake_crossed(uint32_t old, uint32_t new_idx, uint32_t wake)
{
	return (uint32_t)(new_idx - wake) < (uint32_t)(new_idx - old);
}

/* ---- producer ---- */

/* Free slots the producer may fill at ring_prod_slot(r, 0..space-1). */
static inline uint32_t ring_prod_space(const struct ring *r)
{
	return ring_nslots(r) - (r->head - r->tail);
}
static inline void *ring_prod_slot(const struct ring *r, uint32_t i)
{
	return ring_slot(r, r->head + i);
}
/* A store that no later load can pass (and that releases earlier stores). */
static inline void ring_store_fenced(uint32_t *p, uint32_t v)
{
	(void)__atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

/* Publish or release an index, then (the caller) load the peer's wake value.
 * Asymmetric: a release store, and a compiler barrier so that the load
 * stays after the store in the instruction stream (the CPU may still let it
 * pass; the peer's remote fence, taken between any two instructions, covers
 * that). */
static inline void ring_store_index(const struct ring *r, uint32_t *p, uint32_t v)
{
	if (r->remote_fence) {
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} else {
		ring_store_fenced(p, v);
	}
}

/* Asymmetric ordering for this endpoint (see the header comment); the
 * trusted set-up path calls it on both endpoints of a ring, before use. */
static inline void ring_set_remote_fence(struct ring *r, ring_fence_fn fence, void *ctx)
{
	r->remote_fence = fence;
	r->fence_ctx = ctx;
}

/* True if @seen <= @idx <= @hi, all as distances from one base (each at
 * most RING_MAX_SLOTS): one unsigned compare, since idx < seen wraps high. */
static inline bool ring_idx_sane(uint32_t idx, uint32_t seen, uint32_t hi)
{
	return (uint32_t)(idx - seen) <= (uint32_t)(hi - seen);
}

/* Snapshot cons once; returns how many published slots the consumer has
 * released beyond tail (readable at ring_slot(r, tail + i)).  The consumer
 * can only release what was published, and never go back before what it
 * already released; anything else is counted and ignored.  Inline, like
 * the rest of the per-batch calls: they are most of a small batch's cost. */
static inline uint32_t ring_prod_poll_done(struct ring *r)
{
	uint32_t done = __atomic_load_n(&r->sh->cons, __ATOMIC_ACQUIRE) - r->tail;
	uint32_t seen = r->peer - r->tail;
	if (!ring_idx_sane(done, seen, r->head - r->tail)) {
		r->bad_index++;
		return seen;
	}
	r->peer = r->tail + done;
	return done;
}
/* Give @n released slots back to the free space (n <= last poll_done). */
static inline void ring_prod_reclaim(struct ring *r, uint32_t n)
{
	uint32_t done = r->peer - r->tail;
	r->tail += n < done ? n : done;
}
/* Publish @n filled slots with one release store; true if the consumer
 * asked to be notified (ring its doorbell once for the whole batch). */
static inline bool ring_prod_publish(struct ring *r, uint32_t n)
{
	/* Locals: the store into shared memory could alias *r for the compiler. */
	struct ring_shared *const sh = r->sh;
	const uint32_t old = r->head;
	if (n > ring_prod_space(r))
		n = ring_prod_space(r);
	const uint32_t head = old + n;
	r->head = head;
	/* Store prod before loading cons_wake: pairs with ring_cons_arm. */
	ring_store_index(r, &sh->prod, head);
	return ring_wake_crossed(old, head, RING_READ_ONCE(sh->cons_wake));
}
/* Ask to be notified once @count more slots beyond those already seen by
 * poll_done are released.  True if that has not happened yet (safe to
 * sleep); false if it already did (poll again instead). */
bool ring_prod_arm(struct ring *r, uint32_t count);

/* ---- consumer ---- */

/* Snapshot prod once; returns how many published slots are unread.  A
 * producer index beyond the ring, or behind what was already seen, is
 * corrupt: counted, the last good snapshot kept, nothing new read. */
static inline uint32_t ring_cons_poll(struct ring *r)
{
	uint32_t fill = __atomic_load_n(&r->sh->prod, __ATOMIC_ACQUIRE) - r->tail;
	uint32_t seen = r->peer - r->tail;   /* >= head - tail */
	if (!ring_idx_sane(fill, seen, r->mask + 1)) {
		r->bad_index++;
		return r->peer - r->head;
	}
	r->peer = r->tail + fill;
	return r->peer - r->head;
}
static inline void *ring_cons_slot(const struct ring *r, uint32_t i)
{
	return ring_slot(r, r->head + i);
}
/* Mark @n slots read (n <= last poll); they stay owned until released. */
static inline void ring_cons_consume(struct ring *r, uint32_t n)
{
	uint32_t avail = r->peer - r->head;
	r->head += n < avail ? n : avail;
}
/* Hand @n read slots back (n <= read - released); one release store; true
 * if the producer asked to be notified (raise its interrupt once). */
static inline bool ring_cons_release(struct ring *r, uint32_t n)
{
	struct ring_shared *const sh = r->sh;   /* as in ring_prod_publish */
	const uint32_t old = r->tail;
	const uint32_t held = r->head - old;
	const uint32_t tail = old + (n < held ? n : held);
	r->tail = tail;
	/* Store cons before loading prod_wake: pairs with ring_prod_arm. */
	ring_store_index(r, &sh->cons, tail);
	return ring_wake_crossed(old, tail, RING_READ_ONCE(sh->prod_wake));
}
/* Ask for a doorbell once @count slots beyond head are published.  True if
 * fewer are there now (safe to sleep), false if they already are. */
bool ring_cons_arm(struct ring *r, uint32_t count);


#endif
