/* Per-CPU trace rings: see trace_ring.h for the memory and the modes.
 *
 * Ordering, per slot, is a sequence lock with one writer:
 *   writer: seq = 0; release fence; fields (relaxed); seq = n + 1 (release);
 *           hdr->head = n + 1 (release)
 *   reader: seq == n + 1 (acquire); fields (relaxed); acquire fence;
 *           seq still n + 1 -> intact, else the writer reused the slot.
 * Every shared field is accessed through __atomic builtins, so the protocol is
 * free of data races in the C11 model and compiles to plain moves on x86;
 * the builtins need no library, which keeps this file freestanding.
 */
#include "trace_ring.h"

#include <vmk/err.h>

#define LD_RELAXED(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define LD_ACQUIRE(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST_RELAXED(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ST_RELEASE(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Tests build this file with TRACE_RING_TEST_HOOK to let the writer run in the
 * middle of a reader's copy, which threads alone would hit only by luck. */
#ifdef TRACE_RING_TEST_HOOK
void trace_ring_test_hook(const struct trace_reader *r);
#define TRACE_TEST_HOOK(r) trace_ring_test_hook(r)
#else
#define TRACE_TEST_HOOK(r) ((void)(r))
#endif

static int trace_is_pow2(uint32_t n)
{
	return n >= TRACE_RING_MIN_SLOTS && (n & (n - 1)) == 0;
}

static int trace_geometry_ok(const void *mem, size_t bytes, uint32_t nr_slots)
{
	if (!mem || ((uintptr_t)mem & 63) || !trace_is_pow2(nr_slots))
		return VMK_EINVAL;
	if (bytes < trace_ring_bytes(nr_slots))
		return VMK_ERANGE;
	return 0;
}

static void trace_hdr_format(struct trace_ring_hdr *h, uint32_t nr_slots,
			     uint16_t cpu, enum trace_mode mode, uint64_t base)
{
	h->version_major = VMK_TRACE_VERSION_MAJOR;
	h->version_minor = VMK_TRACE_VERSION_MINOR;
	h->record_size = sizeof(struct trace_record);
	h->nr_slots = nr_slots;
	h->cpu = cpu;
	h->mode = mode;
	ST_RELAXED(&h->head, base);
	ST_RELAXED(&h->dropped, 0);
	ST_RELAXED(&h->base, base);
	for (unsigned i = 0; i < 2; i++)
		h->reserved[i] = 0;
	/* magic last: a reader that sees it sees a formatted header. */
	ST_RELEASE(&h->magic, VMK_TRACE_RING_MAGIC);
}

int trace_writer_init(struct trace_writer *w, void *mem, size_t bytes,
		      uint32_t nr_slots, uint16_t cpu, enum trace_mode mode,
		      const struct trace_ring_cons *cons)
{
	int err = trace_geometry_ok(mem, bytes, nr_slots);

	if (err)
		return err;
	if (mode != TRACE_MODE_OVERWRITE && mode != TRACE_MODE_DROP_NEW)
		return VMK_EINVAL;
	if (mode == TRACE_MODE_DROP_NEW && !cons)
		return VMK_EINVAL;
	w->enabled = 0;
	w->hdr = mem;
	w->slots = (struct trace_record *)(w->hdr + 1);
	w->cons = cons;
	w->head = cons ? LD_ACQUIRE(&cons->tail) : 0;
	w->dropped = 0;
	w->mask = nr_slots - 1;
	w->mode = mode;
	w->cpu = cpu;
	w->world = 0;
	/* seq 0 never matches a record number + 1: empty slots read as lost,
	 * never as records, whatever the memory held before. */
	for (uint32_t i = 0; i < nr_slots; i++)
		ST_RELAXED(&w->slots[i].seq, 0);
	trace_hdr_format(w->hdr, nr_slots, cpu, mode, w->head);
	return 0;
}

/* Drop-new only.  Acquire pairs with the reader's release of tail: the
 * reader's copy of a slot is finished before we may reuse the slot. */
static int trace_ring_full(const struct trace_writer *w)
{
	uint64_t tail = LD_ACQUIRE(&w->cons->tail);

	return w->head - tail > w->mask;
}

static void trace_ring_refuse(struct trace_writer *w)
{
	w->dropped++;
	ST_RELEASE(&w->hdr->dropped, w->dropped);
}

/* always_inline: two callers make gcc keep it out of line, and the call
 * would be a tenth of an enabled event. */
static inline __attribute__((always_inline))
void trace_slot_fill(struct trace_writer *w, struct trace_record *s,
		     uint64_t tsc, uint16_t id, uint64_t p0,
		     uint64_t p1, uint64_t p2, uint64_t p3)
{
	ST_RELAXED(&s->tsc, tsc);
	ST_RELAXED(&s->id, id);
	ST_RELAXED(&s->cpu, w->cpu);
	ST_RELAXED(&s->world, w->world);
	ST_RELAXED(&s->dropped_total, w->dropped);
	/* Spelled out: gcc does not unroll a loop of atomic stores. */
	ST_RELAXED(&s->payload[0], p0);
	ST_RELAXED(&s->payload[1], p1);
	ST_RELAXED(&s->payload[2], p2);
	ST_RELAXED(&s->payload[3], p3);
}

/* The slot for the next record, marked busy; NULL if refused. */
static inline struct trace_record *trace_ring_claim(struct trace_writer *w)
{
	struct trace_record *s = &w->slots[w->head & w->mask];

	if (w->mode == TRACE_MODE_DROP_NEW && trace_ring_full(w)) {
		trace_ring_refuse(w);
		return NULL;
	}
	ST_RELAXED(&s->seq, 0);
	/* The busy mark must be visible before any field changes. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return s;
}

static inline void trace_ring_publish(struct trace_writer *w,
				      struct trace_record *s)
{
	uint64_t n = w->head + 1;

	ST_RELEASE(&s->seq, n);
	w->head = n;
	ST_RELEASE(&w->hdr->head, n);
}

void trace_ring_write(struct trace_writer *w, uint64_t tsc, uint16_t id,
		      uint64_t p0, uint64_t p1, uint64_t p2, uint64_t p3)
{
	struct trace_record *s = trace_ring_claim(w);

	if (!s)
		return;
	trace_slot_fill(w, s, tsc, id, p0, p1, p2, p3);
	trace_ring_publish(w, s);
}

/* Same, stamped now: the clock is read only once the slot is ours, so a
 * refused event does not pay for it. */
void trace_ring_emit(struct trace_writer *w, uint16_t id,
		     uint64_t p0, uint64_t p1, uint64_t p2, uint64_t p3)
{
	struct trace_record *s = trace_ring_claim(w);

	if (!s)
		return;
	trace_slot_fill(w, s, trace_tsc(), id, p0, p1, p2, p3);
	trace_ring_publish(w, s);
}

static int trace_hdr_ok(const struct trace_ring_hdr *h, size_t bytes)
{
	if (LD_ACQUIRE(&h->magic) != VMK_TRACE_RING_MAGIC)
		return VMK_EINVAL;
	if (h->version_major != VMK_TRACE_VERSION_MAJOR ||
	    h->version_minor > VMK_TRACE_VERSION_MINOR ||
	    h->record_size != sizeof(struct trace_record))
		return VMK_EVERSION;
	if (h->mode != TRACE_MODE_OVERWRITE && h->mode != TRACE_MODE_DROP_NEW)
		return VMK_EINVAL;
	return trace_geometry_ok(h, bytes, h->nr_slots);
}

/* Account from the session's first record, so that records overwritten
 * before we attached count as lost too; or resume where a previous reader
 * of this session stopped. */
static uint64_t trace_reader_start(const struct trace_ring_hdr *h,
				   const struct trace_ring_cons *cons)
{
	uint64_t base = LD_ACQUIRE(&h->base);
	uint64_t tail = cons ? LD_ACQUIRE(&cons->tail) : base;

	return tail > base && tail <= LD_ACQUIRE(&h->head) ? tail : base;
}

int trace_reader_init(struct trace_reader *r, const void *mem, size_t bytes,
		      struct trace_ring_cons *cons)
{
	const struct trace_ring_hdr *h = mem;
	int err;

	if (!mem || bytes < sizeof(*h))
		return VMK_EINVAL;
	err = trace_hdr_ok(h, bytes);
	if (err)
		return err;
	if (h->mode == TRACE_MODE_DROP_NEW && !cons)
		return VMK_EINVAL;
	r->hdr = h;
	r->slots = (const struct trace_record *)(h + 1);
	r->cons = cons;
	r->pos = trace_reader_start(h, cons);
	r->delivered = 0;
	r->overwritten = 0;
	r->dropped = 0;
	r->pending_lost = 0;
	r->mask = h->nr_slots - 1;
	r->mode = h->mode;
	return 0;
}

/* Records older than head - N are gone in overwrite mode: skip and count
 * them without touching their slots. */
static void trace_reader_skip(struct trace_reader *r, uint64_t head)
{
	uint64_t oldest = head > r->mask ? head - r->mask - 1 : 0;

	if (r->pos < oldest) {
		r->overwritten += oldest - r->pos;
		r->pending_lost += oldest - r->pos;
		r->pos = oldest;
	}
}

static void trace_slot_copy(const struct trace_record *s,
			    struct trace_record *out)
{
	out->tsc = LD_RELAXED(&s->tsc);
	out->id = LD_RELAXED(&s->id);
	out->cpu = LD_RELAXED(&s->cpu);
	out->world = LD_RELAXED(&s->world);
	out->dropped_total = LD_RELAXED(&s->dropped_total);
	for (unsigned i = 0; i < 4; i++)
		out->payload[i] = LD_RELAXED(&s->payload[i]);
}

/* 1 if record r->pos was copied intact into @out. */
static int trace_reader_copy(const struct trace_reader *r,
			     struct trace_record *out)
{
	const struct trace_record *s = &r->slots[r->pos & r->mask];
	uint64_t want = r->pos + 1;

	if (LD_ACQUIRE(&s->seq) != want)
		return 0;
	trace_slot_copy(s, out);
	TRACE_TEST_HOOK(r);
	/* Order the field loads before the second look at seq. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (LD_RELAXED(&s->seq) != want)
		return 0;
	out->seq = want;
	return 1;
}

/* Drops the writer counted before this record and we had not yet seen. */
static void trace_reader_place_drops(struct trace_reader *r,
				     const struct trace_record *rec)
{
	if (rec->dropped_total > r->dropped) {
		r->pending_lost += rec->dropped_total - r->dropped;
		r->dropped = rec->dropped_total;
	}
}

static void trace_reader_advance(struct trace_reader *r)
{
	r->pos++;
	/* Release: our copy of the slot is complete before the writer may
	 * reuse it (drop-new mode reads tail with acquire). */
	if (r->cons)
		ST_RELEASE(&r->cons->tail, r->pos);
}

int trace_reader_next(struct trace_reader *r, struct trace_record *out,
		      uint64_t *lost_before)
{
	uint64_t head = LD_ACQUIRE(&r->hdr->head);

	for (;;) {
		trace_reader_skip(r, head);
		if (r->pos >= head)
			break;
		if (trace_reader_copy(r, out)) {
			trace_reader_advance(r);
			trace_reader_place_drops(r, out);
			*lost_before = r->pending_lost;
			r->pending_lost = 0;
			r->delivered++;
			return 1;
		}
		/* Lapped while copying: this record is lost, and the writer
		 * may be far ahead by now. */
		trace_reader_advance(r);
		r->overwritten++;
		r->pending_lost++;
		head = LD_ACQUIRE(&r->hdr->head);
	}
	*lost_before = 0;
	return 0;
}

/* Header drops are taken only when every record written before them has
 * been read (head == pos, with dropped loaded first): otherwise they belong
 * after records still unread, whose dropped_total will place them. */
uint64_t trace_reader_take_lost(struct trace_reader *r)
{
	uint64_t dropped = LD_ACQUIRE(&r->hdr->dropped);
	uint64_t lost;

	if (dropped > r->dropped && LD_ACQUIRE(&r->hdr->head) == r->pos) {
		r->pending_lost += dropped - r->dropped;
		r->dropped = dropped;
	}
	lost = r->pending_lost;
	r->pending_lost = 0;
	return lost;
}

uint64_t trace_reader_written(const struct trace_reader *r)
{
	return LD_ACQUIRE(&r->hdr->head) - LD_ACQUIRE(&r->hdr->base) +
	       LD_ACQUIRE(&r->hdr->dropped);
}
