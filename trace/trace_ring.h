/* Per-CPU trace rings: one writer (the CPU that owns the ring), one reader on
 * any other CPU, no locks.
 *
 * Memory, all provided by the caller so that the vmkernel can place it where
 * it can be mapped into the COS:
 *
 *   ring memory   trace_ring_bytes(N) bytes, 64-byte aligned: a header line
 *                 (struct trace_ring_hdr) and N records.  Written only by the
 *                 writer; the reader needs only a read-only mapping of it.
 *   consumer line struct trace_ring_cons, written only by the reader.  The
 *                 writer reads it in drop-new mode to know what is free; in
 *                 overwrite mode it is never read and may be absent.
 *   writer state  struct trace_writer, private to the owning CPU.
 *   reader state  struct trace_reader, private to the reader.
 *
 * Modes, fixed per session:
 *   TRACE_MODE_OVERWRITE  the writer never waits and never fails; the oldest
 *                         unread records are overwritten.  The reader counts
 *                         each record it could not read intact as lost.
 *   TRACE_MODE_DROP_NEW   when all N slots are unread, new events are refused
 *                         and counted by the writer (in the header and, as a running
 *                         total, in every record written after).
 * In both, delivered + lost == written exactly, once the reader has drained
 * a stopped writer.
 */
#ifndef VMK_TRACE_RING_H
#define VMK_TRACE_RING_H

#include "vmk_trace.h"

enum trace_mode {
	TRACE_MODE_OVERWRITE = 0,
	TRACE_MODE_DROP_NEW = 1,
};

#define TRACE_RING_MIN_SLOTS 2u

/* rdtsc through the compiler builtin: no inline asm, no header, so this
 * stays usable freestanding.  Not serializing, on purpose: ordering on one
 * CPU comes from the ring, and a fence would cost more than the event. */
static inline uint64_t trace_tsc(void)
{
	return __builtin_ia32_rdtsc();
}

/* Line 0 of the ring memory.  After trace_writer_init only head and dropped
 * change, and only the writer stores them.
 *
 * Record numbers of a session start at base, which the writer takes from the
 * consumer line's tail: the reader-owned tail need not be reset between
 * sessions (the writer cannot write it), and a stale tail never looks like
 * a full ring. */
struct trace_ring_hdr {
	uint32_t magic;          /* VMK_TRACE_RING_MAGIC */
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t record_size;    /* sizeof(struct trace_record) */
	uint32_t nr_slots;       /* power of two */
	uint32_t cpu;
	uint32_t mode;           /* enum trace_mode */
	uint64_t head;           /* number of the next record (release) */
	uint64_t dropped;        /* events refused since init (drop-new) */
	uint64_t base;           /* number of this session's first record */
	uint64_t reserved[2];
};
_Static_assert(sizeof(struct trace_ring_hdr) == 64, "header is one line");

/* Written by the reader only, on its own cache line. */
struct trace_ring_cons {
	uint64_t tail;           /* records the reader is done with (release) */
	uint64_t reserved[7];
};
_Static_assert(sizeof(struct trace_ring_cons) == 64, "consumer is one line");

/* Writer-private.  enabled is first: the disabled-event check is a load at
 * offset 0 of a pointer the caller already holds. */
struct trace_writer {
	uint64_t enabled;        /* TRACE_EV_BIT mask; relaxed stores by control */
	struct trace_ring_hdr *hdr;
	struct trace_record *slots;
	const struct trace_ring_cons *cons;
	uint64_t head;           /* private copy of hdr->head */
	uint64_t dropped;        /* private copy of hdr->dropped */
	uint32_t mask;           /* nr_slots - 1 */
	uint32_t mode;
	uint16_t cpu;
	uint32_t world;          /* set by trace_set_world on world switch */
};

/* Reader-private.  It never writes to the ring memory. */
struct trace_reader {
	const struct trace_ring_hdr *hdr;
	const struct trace_record *slots;
	struct trace_ring_cons *cons;  /* NULL allowed in overwrite mode */
	uint64_t pos;            /* next record number to read */
	uint64_t delivered;
	uint64_t overwritten;    /* records lost to the writer lapping us */
	uint64_t dropped;        /* drops accounted for so far */
	uint64_t pending_lost;   /* lost since the last record delivered */
	uint32_t mask;
	uint32_t mode;
};

/* Bytes of ring memory for @nr_slots records (header included). */
static inline size_t trace_ring_bytes(uint32_t nr_slots)
{
	return sizeof(struct trace_ring_hdr) +
	       (size_t)nr_slots * sizeof(struct trace_record);
}

/* Formats @mem (trace_ring_bytes(nr_slots) bytes, 64-byte aligned) and sets
 * up @w, starting a session.  @cons is required in drop-new mode.  Events
 * start disabled.
 * Returns 0, VMK_EINVAL or VMK_ERANGE. */
int trace_writer_init(struct trace_writer *w, void *mem, size_t bytes,
		      uint32_t nr_slots, uint16_t cpu, enum trace_mode mode,
		      const struct trace_ring_cons *cons);

/* Which events this writer records.  May be called from another CPU. */
static inline void trace_set_enabled(struct trace_writer *w, uint64_t mask)
{
	__atomic_store_n(&w->enabled, mask & TRACE_EV_ALL, __ATOMIC_RELAXED);
}

static inline void trace_set_world(struct trace_writer *w, uint32_t world)
{
	w->world = world;
}

/* Writes one record stamped with the TSC (read after the slot is claimed,
 * so a refused event does not read it).  Out of line on purpose: only
 * enabled events pay for it.  Writer CPU only; trace_emit.h wraps it. */
void trace_ring_emit(struct trace_writer *w, uint16_t id,
		     uint64_t p0, uint64_t p1, uint64_t p2, uint64_t p3);

/* The same with the timestamp given: replay, tests, other clocks. */
void trace_ring_write(struct trace_writer *w, uint64_t tsc, uint16_t id,
		      uint64_t p0, uint64_t p1, uint64_t p2, uint64_t p3);

/* Checks @mem's header (magic, version, geometry) and sets up @r to read
 * the session from its first record (or from where a previous reader with
 * the same consumer line stopped); records already overwritten count as
 * lost.  A resuming reader's drop count starts from the session's start, so
 * drops its predecessor reported are reported again: exact accounting needs
 * one reader per session.  Returns 0, VMK_EINVAL,
 * VMK_EVERSION or VMK_ERANGE. */
int trace_reader_init(struct trace_reader *r, const void *mem, size_t bytes,
		      struct trace_ring_cons *cons);

/* Copies the next intact record into @out.  Returns 1 with a record, 0 when
 * nothing more is complete.  *@lost_before gets the number of events lost
 * between the previous record returned and this one (0 when returning 0;
 * call trace_reader_take_lost at the end for losses after the last one). */
int trace_reader_next(struct trace_reader *r, struct trace_record *out,
		      uint64_t *lost_before);

/* Losses seen but not yet reported with a record (e.g. the writer refused
 * events after the last record).  Reports each loss once. */
uint64_t trace_reader_take_lost(struct trace_reader *r);

/* Events the writer has written or refused this session, as seen now. */
uint64_t trace_reader_written(const struct trace_reader *r);

#endif
