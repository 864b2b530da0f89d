/* netpath back end: the vmkernel side of a netpath device.
 *
 * It treats both rings as hostile: indices are snapshotted once per poll
 * and validated by ring_core, each descriptor field is read exactly once into
 * a private copy, and every address goes through the VM's region table.  A
 * malformed descriptor is dropped and counted by kind; it never makes the
 * back end touch memory outside the VM.
 *
 * Zero copy (the default): a TX frame is handed to the caller as pointers
 * into guest memory, valid until netpath_be_tx_complete(); an RX buffer is
 * handed out as a pointer into guest memory for the device to fill.  Because
 * the guest can still write those buffers, the back end never makes a
 * decision from payload bytes it has handed out; whoever must (a filter)
 * uses copy mode.  Copy mode (the patent's transmit buffer) copies each TX
 * frame into host memory and each received frame into the guest buffer, and
 * counts every copy. */
#ifndef VMK_NETPATH_BE_H
#define VMK_NETPATH_BE_H

#include <stdbool.h>
#include <stdint.h>

#include "netpath_abi.h"
#include "ring_core.h"
#include "ring_mem.h"

#define NETPATH_MAX_BURST 64u     /* frames one tx_burst call returns */
#define NETPATH_RX_PENDING 64u    /* RX buffers taken and not yet committed */

enum netpath_mode {
	NETPATH_ZEROCOPY = 0,
	NETPATH_COPY = 1,
};

/* Why a descriptor was dropped. */
enum netpath_bad {
	NETPATH_BAD_ADDR,      /* range not inside guest memory (or misaligned table) */
	NETPATH_BAD_LEN,       /* zero, above NETPATH_MAX_FRAME, or bad table size */
	NETPATH_BAD_FLAGS,     /* flag bits not defined for this ring */
	NETPATH_BAD_INDEX,     /* ring index beyond the ring (snapshot rejected) */
	NETPATH_BAD_NEXT,      /* chain `next` beyond its table */
	NETPATH_BAD_LOOP,      /* chain revisits an entry */
	NETPATH_BAD_OVERLONG,  /* chain longer than NETPATH_MAX_SEGS or frame */
	NETPATH_BAD_KINDS
};

struct netpath_qstats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;        /* descriptors/frames dropped, any reason */
	uint64_t irqs;         /* notifications the driver asked for and got */
	uint64_t copies;       /* payload copies (copy mode only) */
	uint64_t copy_bytes;
	uint64_t too_big;      /* frames that did not fit the other side's buffer */
	uint64_t malformed[NETPATH_BAD_KINDS];
};

struct netpath_iov {
	void *base;
	uint32_t len;
};

/* A TX frame as handed to the device: segment 0 inline (off, len), any
 * others in more[].  Laid out like a descriptor, gpa translated into off
 * and flags replaced by nmore (0, as flags are, for a plain frame): the
 * common one-segment frame is stored as the descriptor's len/flags/id word
 * as fetched, and the offset the burst validated.  Segment 0's host address
 * is netpath_pkt_base(be, p) = the back end's window (its first region's
 * host address) + off: the burst stores the offset it already computed for
 * the range check, and whoever uses the frame adds the window, which on x86
 * is an addressing mode (base + index), not an instruction.  off is taken
 * modulo 2^64, so any host address (another region, a bounce slot) has
 * one. */
struct netpath_pkt {
	uintptr_t off;       /* +0  segment 0, from the window: netpath_pkt_base() */
	uint32_t len;        /* +8  segment 0's bytes: the frame's if nmore == 0 */
	uint16_t nmore;      /* +12 segments after segment 0, in more[0..nmore) */
	uint16_t id;         /* +14 the descriptor's id */
	struct netpath_iov more[NETPATH_MAX_SEGS - 1];
};

/* The frame's bytes, all segments. */
static inline uint32_t netpath_pkt_len(const struct netpath_pkt *p)
{
	uint32_t len = p->len;
	for (uint32_t i = 0; i < p->nmore; i++)
		len += p->more[i].len;
	return len;
}

struct netpath_be_cfg {
	const struct ring_region *regions;  /* the VM's memory; trusted */
	uint32_t nregions;
	struct netpath_dev_cfg dev;         /* from the guest; validated */
	enum netpath_mode mode;
	void *bounce;                       /* copy mode: host TX buffers */
	uint32_t bounce_len;                /* split into NETPATH_MAX_BURST slots */
	/* Asymmetric wake ordering on both rings (ring_core.h): how to make the
	 * driver's CPU take a full barrier when the back end arms.  NULL:
	 * fenced rings.  The driver must be set up the same way. */
	ring_fence_fn remote_fence;
	void *fence_ctx;
};

struct netpath_be {
	struct ring_memmap mem;
	struct ring_region r0;                  /* mem.regions[0]: the fast path */
	uint64_t r0_len_lim;                    /* NETPATH_MAX_FRAME, or 0 (no fast
						 * path) if r0 is smaller than that */
	bool tx_zc_batch;                       /* zero copy and r0_len_lim: TX
						 * takes netpath_zc_pass */
	bool tx_words;                          /* TX is a word ring (NETPATH_FMT_WORD) */
	uintptr_t tx_window;                    /* r0's host address: netpath_pkt.off
						 * is from here */
	struct ring tx;
	struct ring rx;
	enum netpath_mode mode;
	uint8_t *bounce;
	uint32_t bounce_slot;
	uint32_t rx_avail;                      /* cached RX snapshot */
	uint32_t rx_pend_idx[NETPATH_RX_PENDING];  /* ring index of each taken buffer */
	uint32_t rx_pend_cap[NETPATH_RX_PENDING];
	uint32_t rx_pend_first;
	uint32_t rx_npend;
	struct netpath_qstats txs;
	struct netpath_qstats rxs;
};

/* Segment 0 of a frame that @be handed out: host address. */
static inline void *netpath_pkt_base(const struct netpath_be *be, const struct netpath_pkt *p)
{
	return (void *)(be->tx_window + p->off);
}

/* Segment @i (0 <= i <= p->nmore) of a frame that @be handed out. */
static inline struct netpath_iov netpath_pkt_seg(const struct netpath_be *be,
						 const struct netpath_pkt *p, uint32_t i)
{
	return i ? p->more[i - 1] : (struct netpath_iov){ netpath_pkt_base(be, p), p->len };
}

/* Asymmetric wake ordering on both rings (ring_core.h), as
 * netpath_be_cfg.remote_fence sets it at init. */
static inline void netpath_be_set_remote_fence(struct netpath_be *be, ring_fence_fn fence,
					       void *ctx)
{
	ring_set_remote_fence(&be->tx, fence, ctx);
	ring_set_remote_fence(&be->rx, fence, ctx);
}

int netpath_be_init(struct netpath_be *be, const struct netpath_be_cfg *cfg);

/* Up to @max (<= NETPATH_MAX_BURST) valid TX frames.  The producer's index
 * is polled (one snapshot) only if the last snapshot holds fewer than @max
 * unread slots. */
uint32_t netpath_be_tx_burst(struct netpath_be *be, struct netpath_pkt *pkts,
			     uint32_t max);
/* The device is done with every frame burst so far: release their slots.
 * True if the driver asked for a TX-completion interrupt.  Inline, like the
 * ring core's per-batch calls: one call per batch. */
static inline bool netpath_be_tx_complete(struct netpath_be *be)
{
	/* Every slot read and not yet released: the ring's own indices. */
	const uint32_t n = be->tx.head - be->tx.tail;
	if (n == 0)
		return false;
	const bool irq = ring_cons_release(&be->tx, n);
	be->txs.irqs += irq;
	return irq;
}

/* Next posted RX buffer (zero copy: a pointer into guest memory).  VMK_EAGAIN
 * if none is posted, VMK_ENOSPC if NETPATH_RX_PENDING are outstanding. */
int netpath_be_rx_take(struct netpath_be *be, struct netpath_iov *buf);
/* The oldest taken buffer now holds a @len-byte frame. */
void netpath_be_rx_commit(struct netpath_be *be, uint32_t len);
/* Copy mode: take, copy @frame in, commit. */
int netpath_be_rx_deliver(struct netpath_be *be, const void *frame, uint32_t len);
/* Hand committed buffers back in one release.  True if the driver asked for
 * an RX interrupt (the VMM raises it). */
bool netpath_be_rx_publish(struct netpath_be *be);

/* Counters, with the ring core's corrupt-index count folded in. */
void netpath_be_stats(const struct netpath_be *be, struct netpath_qstats *tx,
		      struct netpath_qstats *rx);

#endif
