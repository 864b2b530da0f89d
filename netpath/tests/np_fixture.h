/* Test fixture: one block of "guest memory" owned by the test, holding both
 * rings and the packet buffers, described to the back end by a one-entry
 * region table, exactly as the vmkernel would describe a VM.  The TX ring is
 * a descriptor ring (np_new, np_new_slots) or a word ring (np_new_words):
 * both sides are set up with the same format. */
#ifndef NP_FIXTURE_H
#define NP_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "netpath_be.h"
#include "netpath_drv.h"

#define NP_GPA_BASE 0x40000000ull
#define NP_MEM_SIZE (4u << 20)
#define NP_SLOTS 64u
#define NP_RING_BYTES 4096u        /* >= ring_mem_size(NP_SLOTS, 16), 64-aligned */
#define NP_TX_RING_OFF 0u
#define NP_RX_RING_OFF NP_RING_BYTES
#define NP_BUF_OFF (2 * NP_RING_BYTES)
#define NP_BUF_SIZE 2048u
#define NP_NBUFS ((NP_MEM_SIZE - NP_BUF_OFF) / NP_BUF_SIZE)

struct np {
	uint8_t *mem;
	struct ring_region region;
	struct netpath_be be;
	struct netpath_drv drv;
	uint8_t *bounce;
	unsigned doorbells[2];
};

static inline uint64_t np_buf_gpa(unsigned i) { return NP_GPA_BASE + NP_BUF_OFF + (uint64_t)i * NP_BUF_SIZE; }
static inline uint8_t *np_buf(struct np *f, unsigned i) { return f->mem + NP_BUF_OFF + (size_t)i * NP_BUF_SIZE; }
static inline uint8_t *np_at(struct np *f, uint64_t gpa) { return f->mem + (gpa - NP_GPA_BASE); }

static void np_doorbell(void *ctx, enum netpath_queue q)
{
	((struct np *)ctx)->doorbells[q]++;
}

/* The device set-up block, TX in @tx_format (NETPATH_FMT_*). */
static inline struct netpath_dev_cfg np_dev_cfg_fmt(uint32_t slots, uint32_t tx_format)
{
	struct netpath_dev_cfg dev = { .abi_version = NETPATH_ABI_VERSION };
	dev.tx = (struct netpath_queue_cfg){ NP_GPA_BASE + NP_TX_RING_OFF, slots, tx_format };
	dev.rx = (struct netpath_queue_cfg){ NP_GPA_BASE + NP_RX_RING_OFF, slots, NETPATH_FMT_DESC };
	return dev;
}

static inline struct netpath_dev_cfg np_dev_cfg(uint32_t slots)
{
	return np_dev_cfg_fmt(slots, NETPATH_FMT_DESC);
}

/* Both rings of @slots slots (at most 128: NP_RING_BYTES), TX in @tx_format
 * on both sides. */
static inline struct np *np_new_fmt(enum netpath_mode mode, uint32_t slots, uint32_t tx_format)
{
	struct np *f = calloc(1, sizeof(*f));
	f->mem = aligned_alloc(4096, NP_MEM_SIZE);
	memset(f->mem, 0, NP_MEM_SIZE);
	f->bounce = aligned_alloc(64, NETPATH_MAX_BURST * NP_BUF_SIZE);
	f->region = (struct ring_region){ NP_GPA_BASE, NP_MEM_SIZE, f->mem };
	if (netpath_drv_init(&f->drv, f->mem + NP_TX_RING_OFF, NP_RING_BYTES, slots,
			     f->mem + NP_RX_RING_OFF, NP_RING_BYTES, slots, np_doorbell, f))
		abort();
	if (netpath_drv_set_tx_format(&f->drv, tx_format))
		abort();
	struct netpath_be_cfg cfg = {
		.regions = &f->region, .nregions = 1, .dev = np_dev_cfg_fmt(slots, tx_format),
		.mode = mode, .bounce = f->bounce,
		.bounce_len = NETPATH_MAX_BURST * NP_BUF_SIZE,
	};
	if (netpath_be_init(&f->be, &cfg))
		abort();
	return f;
}

static inline struct np *np_new_slots(enum netpath_mode mode, uint32_t slots)
{
	return np_new_fmt(mode, slots, NETPATH_FMT_DESC);
}

static inline struct np *np_new(enum netpath_mode mode) { return np_new_slots(mode, NP_SLOTS); }

/* A TX word ring (NETPATH_FMT_WORD) on both sides. */
static inline struct np *np_new_words(enum netpath_mode mode, uint32_t slots)
{
	return np_new_fmt(mode, slots, NETPATH_FMT_WORD);
}

/* Re-attaches f's back end in @mode with its own region table (kept by the
 * caller while f is used), as a VM whose memory is in several pieces; same
 * ring sizes and TX format as the driver's. */
static inline int np_set_regions_mode(struct np *f, const struct ring_region *regs, uint32_t n,
				      enum netpath_mode mode)
{
	struct netpath_be_cfg cfg = {
		.regions = regs, .nregions = n,
		.dev = np_dev_cfg_fmt(ring_nslots(&f->drv.tx), f->drv.tx_format),
		.mode = mode, .bounce = f->bounce, .bounce_len = NETPATH_MAX_BURST * NP_BUF_SIZE,
	};
	return netpath_be_init(&f->be, &cfg);
}

/* The same in zero copy. */
static inline int np_set_regions(struct np *f, const struct ring_region *regs, uint32_t n)
{
	return np_set_regions_mode(f, regs, n, NETPATH_ZEROCOPY);
}

static inline void np_free(struct np *f)
{
	free(f->bounce);
	free(f->mem);
	free(f);
}

#endif
