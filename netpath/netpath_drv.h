/* netpath driver side: what a VM's NIC driver runs (and the tests and
 * benchmarks, hosted).  It owns the ring memory and the buffers; the
 * vmkernel only borrows them between publish and release. */
#ifndef VMK_NETPATH_DRV_H
#define VMK_NETPATH_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmk/err.h>

#include "netpath_abi.h"
#include "ring_core.h"

enum netpath_queue { NETPATH_Q_TX = 0, NETPATH_Q_RX = 1 };

/* The one request of the patent: a hypercall in a VM, a call when hosted. */
typedef void (*netpath_doorbell_fn)(void *ctx, enum netpath_queue q);

struct netpath_drv_stats {
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_doorbells;
	uint64_t tx_done;
	uint64_t rx_posted;
	uint64_t rx_doorbells;
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_errors;     /* buffers returned with NETPATH_DESC_F_ERR */
};

struct netpath_drv {
	struct ring tx;
	struct ring rx;
	uint32_t tx_format;     /* NETPATH_FMT_DESC or NETPATH_FMT_WORD */
	size_t tx_mem_len;      /* the TX ring's memory, as given to init */
	uint32_t tx_fill;       /* slots filled, not yet published */
	uint32_t rx_fill;
	netpath_doorbell_fn doorbell;
	void *ctx;
	struct netpath_drv_stats st;
};

/* A received frame (or a posted buffer returned unused). */
struct netpath_rx_done {
	uint16_t id;
	uint16_t flags;
	uint32_t len;
};

/* Formats both rings (64-byte aligned memory of ring_mem_size(n, 16)). */
int netpath_drv_init(struct netpath_drv *d, void *tx_mem, size_t tx_len, uint32_t tx_slots,
		     void *rx_mem, size_t rx_len, uint32_t rx_slots,
		     netpath_doorbell_fn doorbell, void *ctx);

/* Makes the TX ring a word ring (NETPATH_FMT_WORD, 8-byte slots) or a
 * descriptor ring again, formatting it anew: only before anything was queued
 * on it, and the back end must be told the same (netpath_queue_cfg.format).
 * The ring memory given to netpath_drv_init is large enough for either.
 * VMK_EINVAL for an unknown format, VMK_EBUSY once TX was used. */
int netpath_drv_set_tx_format(struct netpath_drv *d, uint32_t format);

/* Asymmetric wake ordering on both rings (ring_core.h): @fence makes the
 * vmkernel's CPU take a full barrier when the driver arms.  Only if the back
 * end is set up the same way (netpath_be_cfg.remote_fence). */
static inline void netpath_drv_set_remote_fence(struct netpath_drv *d, ring_fence_fn fence,
						void *ctx)
{
	ring_set_remote_fence(&d->tx, fence, ctx);
	ring_set_remote_fence(&d->rx, fence, ctx);
}

/* Fill the next free slot; not yet visible to the vmkernel. */
static inline int netpath_drv_put(struct ring *r, uint32_t *fill, uint64_t gpa,
				  uint32_t len, uint16_t flags, uint16_t id)
{
	if (*fill >= ring_prod_space(r))
		return VMK_ENOSPC;
	struct netpath_desc *s = ring_prod_slot(r, (*fill)++);
	s->gpa = gpa;
	s->len = len;
	s->flags = flags;
	s->id = id;
	return VMK_OK;
}

/* Queue up to @n frames on a word ring, each given as the word its slot
 * will hold (netpath_txw_make); returns how many fit.  Not checked here
 * (the vmkernel checks every word).  0 on a descriptor ring, and add_burst
 * (below) 0 on a word ring. */
uint32_t netpath_drv_tx_add_words(struct netpath_drv *d, const netpath_txw *words, uint32_t n);

/* Queue one frame (or, with NETPATH_DESC_F_INDIRECT, a segment table);
 * VMK_ENOSPC when the ring is full: reclaim, then retry.  Inline: it is the
 * driver's per-frame cost. */
static inline int netpath_drv_tx_add(struct netpath_drv *d, uint64_t gpa, uint32_t len,
				     uint16_t flags, uint16_t id)
{
	if (d->tx_format == NETPATH_FMT_WORD) {
		/* No flags, no cookie: the frame's id is its ring index.  The
		 * word path queues and counts it. */
		const netpath_txw w = netpath_txw_make(gpa, len);
		if (flags || w == 0)
			return VMK_EINVAL;
		return netpath_drv_tx_add_words(d, &w, 1) ? VMK_OK : VMK_ENOSPC;
	}
	int err = netpath_drv_put(&d->tx, &d->tx_fill, gpa, len, flags, id);
	if (err == VMK_OK) {
		d->st.tx_packets++;
		d->st.tx_bytes += len;
	}
	return err;
}
/* Queue up to @n frames in one call, each described as its descriptor will
 * read (gpa, len, flags, id); returns how many fit (fewer when the ring is
 * full: reclaim, then queue the rest).  Indices, mask and counters are
 * handled once per call instead of once per frame. */
uint32_t netpath_drv_tx_add_burst(struct netpath_drv *d, const struct netpath_desc *frames,
				  uint32_t n);
/* Publish everything queued; at most one doorbell.  True if it rang. */
bool netpath_drv_tx_kick(struct netpath_drv *d);
/* Frames the vmkernel is done with; their ids go to @ids (may be NULL): a
 * word ring's are ring indices (low 16 bits). */
uint32_t netpath_drv_tx_reclaim(struct netpath_drv *d, uint16_t *ids, uint32_t max);
/* Ask for an interrupt at the next TX completion; false if one is there. */
bool netpath_drv_tx_arm(struct netpath_drv *d);

/* Post one empty buffer of @cap bytes. */
int netpath_drv_rx_post(struct netpath_drv *d, uint64_t gpa, uint32_t cap, uint16_t id);
bool netpath_drv_rx_kick(struct netpath_drv *d);
/* Filled (or returned) buffers, in posting order. */
uint32_t netpath_drv_rx_poll(struct netpath_drv *d, struct netpath_rx_done *out, uint32_t max);
/* Ask for an interrupt at the next received frame; false if one is there. */
bool netpath_drv_rx_arm(struct netpath_drv *d);

#endif
