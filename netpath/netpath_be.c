/* netpath back end: see netpath_be.h. */
#include "netpath_be.h"

#include <vmk/err.h>

/* Every guest-written field is loaded exactly once into a private copy, so
 * the guest cannot change a value between its check and its use. */
static inline struct netpath_desc netpath_desc_fetch(const struct netpath_desc *d)
{
	struct netpath_desc c;
	c.gpa = RING_READ_ONCE(d->gpa);
	c.len = RING_READ_ONCE(d->len);
	c.flags = RING_READ_ONCE(d->flags);
	c.id = RING_READ_ONCE(d->id);
	return c;
}

static inline struct netpath_seg netpath_seg_fetch(const struct netpath_seg *s)
{
	struct netpath_seg c;
	c.gpa = RING_READ_ONCE(s->gpa);
	c.len = RING_READ_ONCE(s->len);
	c.flags = RING_READ_ONCE(s->flags);
	c.next = RING_READ_ONCE(s->next);
	return c;
}

static int netpath_bad(struct netpath_qstats *st, enum netpath_bad why)
{
	st->malformed[why]++;
	st->drops++;
	return VMK_EINVAL;
}

/* Inlined into the per-descriptor loop: it is most of the per-frame cost. */
static inline __attribute__((always_inline))
int netpath_map(const struct ring_memmap *m, struct netpath_qstats *st,
		uint64_t gpa, uint32_t len, struct netpath_iov *iov)
{
	if (len == 0 || len > NETPATH_MAX_FRAME)
		return netpath_bad(st, NETPATH_BAD_LEN);
	iov->base = ring_mem_translate(m, gpa, len);
	if (!iov->base)
		return netpath_bad(st, NETPATH_BAD_ADDR);
	iov->len = len;
	return VMK_OK;
}

/* @words: the ring may be a word ring (TX) if the guest asks for one. */
static int netpath_attach(const struct netpath_be *be, struct ring *r,
			  const struct netpath_queue_cfg *q, bool words)
{
	if (q->nslots == 0 || q->nslots > RING_MAX_SLOTS)
		return VMK_EINVAL;
	if (q->format != NETPATH_FMT_DESC && !(words && q->format == NETPATH_FMT_WORD))
		return VMK_EINVAL;
	const uint32_t slot = netpath_slot_size(q->format);
	size_t size = ring_mem_size(q->nslots, slot);
	void *mem = ring_mem_translate(&be->mem, q->ring_gpa, size);
	if (!mem)
		return VMK_EFAULT;
	return ring_attach_consumer(r, mem, size, q->nslots, slot);
}

int netpath_be_init(struct netpath_be *be, const struct netpath_be_cfg *cfg)
{
	*be = (struct netpath_be){ 0 };
	if (cfg->dev.abi_version != NETPATH_ABI_VERSION)
		return VMK_EVERSION;
	be->mem.regions = cfg->regions;
	be->mem.nregions = cfg->nregions;
	if (cfg->nregions)
		be->r0 = cfg->regions[0];
	/* The fast paths' range check (off <= r0.len - len) cannot wrap only
	 * if every legal len fits r0; a smaller r0 always takes the slow path. */
	be->r0_len_lim = be->r0.len >= NETPATH_MAX_FRAME ? NETPATH_MAX_FRAME : 0;
	be->tx_window = (uintptr_t)be->r0.hva;
	be->mode = cfg->mode;
	be->tx_zc_batch = be->mode != NETPATH_COPY && be->r0_len_lim;
	if (be->mode == NETPATH_COPY) {
		be->bounce = cfg->bounce;
		be->bounce_slot = cfg->bounce_len / NETPATH_MAX_BURST;
		if (!be->bounce || be->bounce_slot == 0)
			return VMK_EINVAL;
	}
	int err = netpath_attach(be, &be->tx, &cfg->dev.tx, true);
	if (err == VMK_OK)
		err = netpath_attach(be, &be->rx, &cfg->dev.rx, false);
	if (err)
		return err;
	be->tx_words = cfg->dev.tx.format == NETPATH_FMT_WORD;
	netpath_be_set_remote_fence(be, cfg->remote_fence, cfg->fence_ctx);
	return VMK_OK;
}

/* ---- TX ---- */

/* Follows an indirect table with a visited set: a chain that comes back to
 * an entry is a loop, whatever its length; one that is merely long stops at
 * NETPATH_MAX_SEGS. */
static int netpath_walk(struct netpath_be *be, const struct netpath_seg *tab,
			uint32_t entries, struct netpath_pkt *p)
{
	struct netpath_qstats *st = &be->txs;
	uint64_t seen = 0;
	uint32_t idx = 0, total = 0;

	for (uint32_t k = 0;; k++) {
		if (seen & (1ull << idx))
			return netpath_bad(st, NETPATH_BAD_LOOP);
		if (k == NETPATH_MAX_SEGS)
			return netpath_bad(st, NETPATH_BAD_OVERLONG);
		seen |= 1ull << idx;
		struct netpath_seg s = netpath_seg_fetch(&tab[idx]);
		if (s.flags & ~NETPATH_SEG_F_NEXT)
			return netpath_bad(st, NETPATH_BAD_FLAGS);
		struct netpath_iov iov;
		if (netpath_map(&be->mem, st, s.gpa, s.len, &iov))
			return VMK_EINVAL;
		total += s.len;
		if (total > NETPATH_MAX_FRAME)
			return netpath_bad(st, NETPATH_BAD_OVERLONG);
		if (k == 0) {
			p->off = (uintptr_t)iov.base - be->tx_window;
			p->len = iov.len;
		} else {
			p->more[k - 1] = iov;
		}
		if (!(s.flags & NETPATH_SEG_F_NEXT)) {
			p->nmore = (uint16_t)k;
			return VMK_OK;
		}
		if (s.next >= entries)
			return netpath_bad(st, NETPATH_BAD_NEXT);
		idx = s.next;
	}
}

static int netpath_parse_indirect(struct netpath_be *be, const struct netpath_desc *c,
				  struct netpath_pkt *p)
{
	const uint32_t esz = sizeof(struct netpath_seg);
	if (c->len == 0 || c->len % esz || c->len > NETPATH_MAX_INDIRECT * esz)
		return netpath_bad(&be->txs, NETPATH_BAD_LEN);
	/* Aligned, so each field load is a single access. */
	const struct netpath_seg *tab = ring_mem_translate(&be->mem, c->gpa, c->len);
	if (!tab || ((uintptr_t)tab & 7))
		return netpath_bad(&be->txs, NETPATH_BAD_ADDR);
	return netpath_walk(be, tab, c->len / esz, p);
}

/* Everything but the common case: flags, chains, bad lengths, frames
 * outside the first region.  Takes the already-fetched copy, never the slot. */
static __attribute__((noinline))
int netpath_parse_tx_slow(struct netpath_be *be, const struct netpath_desc *c,
			  struct netpath_pkt *p)
{
	p->id = c->id;
	if (c->flags & ~NETPATH_DESC_F_INDIRECT)
		return netpath_bad(&be->txs, NETPATH_BAD_FLAGS);
	if (c->flags & NETPATH_DESC_F_INDIRECT)
		return netpath_parse_indirect(be, c, p);
	struct netpath_iov iov;
	if (netpath_map(&be->mem, &be->txs, c->gpa, c->len, &iov))
		return VMK_EINVAL;
	p->off = (uintptr_t)iov.base - be->tx_window;
	p->len = iov.len;
	p->nmore = 0;
	return VMK_OK;
}

/* The fast paths read a descriptor as two 8-byte loads, gpa and the word
 * w = len | flags << 32 | id << 48, and store a one-segment frame as two
 * 8-byte stores, off and the word len | nmore << 32 | id << 48, which is w
 * itself once flags == 0 (nmore 0): same fields, same single fetch, fewer
 * instructions. */
typedef uint64_t __attribute__((may_alias, aligned(8))) netpath_u64a;
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "netpath fast path is little-endian");
_Static_assert(offsetof(struct netpath_desc, len) == 8 &&
	       offsetof(struct netpath_desc, id) == 14, "netpath_desc word layout");
_Static_assert(offsetof(struct netpath_pkt, off) == 0 &&
	       offsetof(struct netpath_pkt, len) == 8 &&
	       offsetof(struct netpath_pkt, nmore) == 12 &&
	       offsetof(struct netpath_pkt, id) == 14, "netpath_pkt word layout");
#define NETPATH_W_LENFLAGS 0x0000ffffffffffffull  /* len and flags of the word */
_Static_assert(NETPATH_MAX_FRAME == 1u << 16, "fast-path length check assumes 64 KiB");

/* The word of a netpath_pkt (or of a descriptor). */
static inline netpath_u64a *netpath_pkt_word(struct netpath_pkt *p)
{
	return (netpath_u64a *)&p->len;
}

/* The first region, in locals: stores into pkts[] cannot force reloads. */
struct netpath_geom {
	uint64_t r0_gpa;
	uint64_t r0_len;
	uint64_t len_lim;     /* be->r0_len_lim: 0 sends everything to the slow path */
};

static inline struct netpath_geom netpath_geom(const struct netpath_be *be)
{
	return (struct netpath_geom){ be->r0.gpa, be->r0.len, be->r0_len_lim };
}

/* One TX descriptor, from the values fetched from its slot (@gpa and the
 * word @w); it is never read again.  The common case inline: one segment
 * inside the first region (all of a VM's low RAM), with the same checks as
 * netpath_map + ring_mem_translate in fewer instructions:
 *   (w & LENFLAGS) - 1 < len_lim   flags == 0 and 1 <= len <= MAX_FRAME
 *                                  (len_lim is 0 if r0 < MAX_FRAME: slow path)
 *   off <= r0.len - len            inside r0; no wrap since len <= r0.len;
 *                                  `off` wraps high when gpa is below r0.
 * Anything else goes to the slow path as a private copy. */
static inline __attribute__((always_inline))
int netpath_parse_tx(struct netpath_be *be, struct netpath_geom g, uint64_t gpa, uint64_t w,
		     struct netpath_pkt *p)
{
	const uint32_t len = (uint32_t)w;
	const uint64_t off = gpa - g.r0_gpa;
	if (__builtin_expect((w & NETPATH_W_LENFLAGS) - 1 < g.len_lim &&
			     off <= g.r0_len - len, 1)) {
		/* flags == 0 here, so w is len | nmore 0 | id << 48. */
		*netpath_pkt_word(p) = w;
		p->off = off;   /* r0's host address is the window */
		return VMK_OK;
	}
	struct netpath_desc c = {
		.gpa = gpa, .len = len, .flags = (uint16_t)(w >> 32), .id = (uint16_t)(w >> 48),
	};
	return netpath_parse_tx_slow(be, &c, p);
}

/* One TX word (word format), from the value fetched from its slot: the
 * reserved bits must be clear; then it is a descriptor with that gpa and
 * len, no flags and id 0, through the same exact checks. */
static inline __attribute__((always_inline))
int netpath_parse_txw(struct netpath_be *be, struct netpath_geom g, netpath_txw w,
		      struct netpath_pkt *p)
{
	if (w & NETPATH_TXW_RSVD) {
		p->id = 0;
		return netpath_bad(&be->txs, NETPATH_BAD_FLAGS);
	}
	return netpath_parse_tx(be, g, w >> NETPATH_TXW_GPA_SHIFT, (uint16_t)w, p);
}

/* Copy mode: flatten the frame into host slot @k (the patent's transmit
 * buffer), so the device never sees guest memory. */
static __attribute__((noinline))
int netpath_copy_out(struct netpath_be *be, struct netpath_pkt *p, uint32_t k)
{
	const uint32_t len = netpath_pkt_len(p);
	if (len > be->bounce_slot) {
		be->txs.too_big++;
		be->txs.drops++;
		return VMK_ERANGE;
	}
	uint8_t *dst = be->bounce + (size_t)k * be->bounce_slot;
	uint32_t off = 0;
	for (uint32_t i = 0; i <= p->nmore; i++) {
		const struct netpath_iov s = netpath_pkt_seg(be, p, i);
		__builtin_memcpy(dst + off, s.base, s.len);
		off += s.len;
	}
	p->off = (uintptr_t)dst - be->tx_window;
	p->len = len;
	p->nmore = 0;
	be->txs.copies++;
	be->txs.copy_bytes += len;
	return VMK_OK;
}

/* Zero copy, batch-validated.  A run of contiguous slots is read in one
 * pass that makes no decision per descriptor: each descriptor is fetched
 * once (gpa, and the word w = len | flags << 32 | id << 48), translated as if
 * it were good and stored into its pkts[] entry, and its checks are folded
 * into two accumulators:
 *
 *   lf |= w - 1         bits 16..47 of (w - 1) are all clear exactly when
 *                       flags == 0 and 1 <= len <= NETPATH_MAX_FRAME (2^16):
 *                       len 0 borrows through them, len > 2^16 sets bit 16
 *                       or above, flags != 0 sets bits 32..47.  If they are
 *                       clear in lf, every len - 1 is a subset of the bits
 *                       of lf's low 16, so len <= (lf & 0xffff) + 1.
 *   hi = max(hi, off)   off = gpa - r0.gpa (wraps high below r0).
 *
 * One test per run: lf's bits 16..47 clear and hi <= r0.len - 1 - (lf &
 * 0xffff), i.e. every frame starts at or below hi and is at most
 * (lf & 0xffff) + 1 <= 2^16 <= r0.len bytes long, so it ends inside r0.
 * Exact for a run of equal lengths; otherwise stricter than the per-frame
 * test (off <= r0.len - len), and then only if the run's highest frame
 * starts within 64 KiB of r0's end.  (netpath_be_init enables this pass only
 * if r0.len >= NETPATH_MAX_FRAME, so nothing wraps.)
 *
 * If the test fails (rare: a hostile or unusual descriptor, or unequal
 * lengths at the very end of r0), netpath_zc_fixup re-examines that run one
 * entry at a time through netpath_parse_tx (the exact checks), from what the
 * pass stored in pkts[], which holds the fetched values exactly (w itself,
 * and off, from which gpa = off + r0.gpa): nothing is read from the ring
 * twice.  A frame's translation is off itself (netpath_pkt_base adds the
 * window, r0's host address), so it costs no instruction here.
 * For a good run, bytes is the sum of the words' low 32 bits (the lengths). */
#define NETPATH_W_LFBAD 0x0000ffffffff0000ull   /* bad len/flags bits of w - 1 */
#define NETPATH_W_LEN1 0x000000000000ffffull    /* len - 1 bits of w - 1 */
_Static_assert((uint64_t)NETPATH_MAX_BURST * NETPATH_MAX_FRAME <= UINT32_MAX,
	       "a burst's bytes fit the pass's 32-bit sum");

/* One descriptor of the pass (see above). */
static inline __attribute__((always_inline))
void netpath_zc_one(const struct netpath_desc *d, struct netpath_pkt *p, struct netpath_geom g,
		    uint64_t *lf, uint64_t *hi, uint32_t *sum)
{
	const uint64_t off = RING_READ_ONCE(d->gpa) - g.r0_gpa;
	const uint64_t w = RING_READ_ONCE(*(const netpath_u64a *)&d->len);
	*lf |= w - 1;
	*hi = off > *hi ? off : *hi;
	*sum += (uint32_t)w;
	/* Good: flags == 0, so w is len | nmore 0 | id << 48. */
	*netpath_pkt_word(p) = w;
	p->off = off;
}

/* What the pass folds a run into. */
struct netpath_zc_acc {
	uint64_t lf;
	uint64_t hi;
	uint32_t sum;      /* a good run's lengths: at most NETPATH_MAX_BURST * 2^16 */
};

static inline __attribute__((always_inline))
struct netpath_zc_acc netpath_zc_scan(const struct netpath_desc *d, uint32_t run,
				      struct netpath_pkt *p, struct netpath_geom g)
{
	struct netpath_zc_acc a = { 0, 0, 0 };
	/* A plain loop.  Blocks of 8 at constant offsets (a Duff's device)
	 * and GCC's own unrolling each ran fewer instructions and fewer Mpps:
	 * see netpath/README.md, "the pass, rolled".  run >= 1 for every
	 * caller; the loop does not depend on it. */
	for (uint32_t k = 0; k < run; k++)
		netpath_zc_one(d + k, p + k, g, &a.lf, &a.hi, &a.sum);
	return a;
}

/* The same pass over TX words (word format), on t = the word's low 24
 * bits (len and the reserved byte), which is also what the frame's entry
 * gets (len alone, nmore 0 and id 0 for a good word; the fix-up rebuilds
 * the word exactly from it and off).
 *   lf |= (t - 1) | t   bits 16..23 are all clear exactly when the
 *                       reserved byte is zero and len >= 1: t alone shows
 *                       the byte (t - 1 alone does not: len 0 borrows
 *                       through a byte of 0x01 and clears it), t - 1 shows
 *                       len 0 (it borrows to all ones).
 *   low 16 bits of lf   >= every len (len - 1 | len >= len), so the run's
 *                       test is the descriptors', with NETPATH_TXW_RSVD
 *                       for the bad bits; stricter on the length (up to
 *                       twice it), which matters only for a run with a
 *                       frame starting in r0's last 64 KiB (then the exact
 *                       fix-up decides).
 *   sum += t            the lengths, if the reserved bytes are zero (the
 *                       run's test); otherwise the run is re-counted. */
static inline __attribute__((always_inline))
void netpath_zcw_one(const netpath_txw *q, struct netpath_pkt *p, struct netpath_geom g,
		     uint64_t *lf, uint64_t *hi, uint32_t *sum)
{
	const netpath_txw w = RING_READ_ONCE(*q);
	const uint64_t off = (w >> NETPATH_TXW_GPA_SHIFT) - g.r0_gpa;
	const uint64_t t = w & (NETPATH_TXW_RSVD | NETPATH_TXW_LEN_MAX);
	*lf |= (t - 1) | t;
	*hi = off > *hi ? off : *hi;
	*sum += (uint32_t)t;
	*netpath_pkt_word(p) = t;
	p->off = off;
}

static inline __attribute__((always_inline))
struct netpath_zc_acc netpath_zcw_scan(const netpath_txw *q, uint32_t run,
				       struct netpath_pkt *p, struct netpath_geom g)
{
	struct netpath_zc_acc a = { 0, 0, 0 };
	for (uint32_t k = 0; k < run; k++)
		netpath_zcw_one(q + k, p + k, g, &a.lf, &a.hi, &a.sum);
	return a;
}

/* The run's one test (see above), against r0's length; @lfbad is
 * NETPATH_W_LFBAD for descriptors, NETPATH_TXW_RSVD for words. */
static inline bool netpath_zc_bad(struct netpath_zc_acc a, uint64_t r0_len, uint64_t lfbad)
{
	return (a.lf & lfbad) != 0 || a.hi > r0_len - 1 - (a.lf & NETPATH_W_LEN1);
}

/* The pass over @run slots from slot index @first, either format. */
static inline __attribute__((always_inline))
struct netpath_zc_acc netpath_be_scan(const struct netpath_be *be, uint32_t first, uint32_t run,
				      struct netpath_pkt *p, struct netpath_geom g, uint64_t *lfbad)
{
	if (be->tx_words) {
		*lfbad = NETPATH_TXW_RSVD;
		return netpath_zcw_scan((const netpath_txw *)be->tx.slots + first, run, p, g);
	}
	*lfbad = NETPATH_W_LFBAD;
	return netpath_zc_scan((const struct netpath_desc *)be->tx.slots + first, run, p, g);
}

/* Returns nonzero if any slot of the run failed; else *bytes. */
static inline __attribute__((always_inline))
uint64_t netpath_zc_pass(const struct netpath_be *be, uint32_t first, uint32_t run,
			 struct netpath_pkt *p, struct netpath_geom g, uint32_t *bytes)
{
	uint64_t lfbad;
	const struct netpath_zc_acc a = netpath_be_scan(be, first, run, p, g, &lfbad);
	*bytes = a.sum;
	return netpath_zc_bad(a, g.r0_len, lfbad);
}

/* A run that failed netpath_zc_pass: recover each descriptor's fetched
 * values from its pkts[] entry and give them to netpath_parse_tx, which
 * keeps the good ones (compacted in order) and hands the others to the slow
 * path (frames in other regions, indirect tables, or drops counted by kind).
 * Entry k is read before anything is written at pkts[n], n <= k.  Returns
 * the frames kept. */
static __attribute__((noinline))
uint32_t netpath_zc_fixup(struct netpath_be *be, struct netpath_pkt *p, uint32_t run,
			  struct netpath_geom g, uint64_t *bytes)
{
	uint32_t n = 0;
	uint64_t sum = 0;
	for (uint32_t k = 0; k < run; k++) {
		const uint64_t w = *netpath_pkt_word(&p[k]);
		const uint64_t gpa = p[k].off + g.r0_gpa;
		const int err = be->tx_words
			? netpath_parse_txw(be, g, gpa << NETPATH_TXW_GPA_SHIFT | w, &p[n])
			: netpath_parse_tx(be, g, gpa, w, &p[n]);
		if (err != VMK_OK)
			continue;
		sum += netpath_pkt_len(&p[n]);
		n++;
	}
	*bytes = sum;
	return n;
}

/* Copy mode, or an r0 below NETPATH_MAX_FRAME: every descriptor through
 * netpath_parse_tx.  Out of line, like the rest of what is not the
 * zero-copy common case. */
static __attribute__((noinline))
uint32_t netpath_tx_burst_generic(struct netpath_be *be, struct netpath_pkt *pkts,
				  uint32_t avail, uint32_t max)
{
	const struct netpath_geom g = netpath_geom(be);
	const uint32_t mask = be->tx.mask, head = be->tx.head;
	const bool copy = be->mode == NETPATH_COPY;
	uint32_t i, n = 0;
	uint64_t bytes = 0;
	for (i = 0; i < avail && n < max; i++) {
		struct netpath_pkt *p = &pkts[n];
		int err;
		if (be->tx_words) {
			const netpath_txw *q = (const netpath_txw *)be->tx.slots + ((head + i) & mask);
			err = netpath_parse_txw(be, g, RING_READ_ONCE(*q), p);
		} else {
			const struct netpath_desc *d =
				(const struct netpath_desc *)be->tx.slots + ((head + i) & mask);
			err = netpath_parse_tx(be, g, RING_READ_ONCE(d->gpa),
					       RING_READ_ONCE(*(const netpath_u64a *)&d->len), p);
		}
		if (err)
			continue;
		if (copy && netpath_copy_out(be, p, n))
			continue;
		bytes += netpath_pkt_len(p);
		n++;
	}
	ring_cons_consume(&be->tx, i);
	be->txs.packets += n;
	be->txs.bytes += bytes;
	return n;
}

/* Zero copy (r0 >= NETPATH_MAX_FRAME), everything but a burst that one pass
 * took whole (netpath_be_tx_burst): a run that failed the pass (@failed
 * slots from head, whose fetched values the pass left in pkts[]) goes to the
 * fix-up; then contiguous runs of slots (the ring wraps at most once per
 * burst) go through netpath_zc_pass until @max frames are stored or the last
 * poll's slots are read, so that a burst that dropped descriptors still
 * fills up if more are published. */
static __attribute__((noinline))
uint32_t netpath_tx_burst_zc_rest(struct netpath_be *be, struct netpath_pkt *pkts,
				  uint32_t max, uint32_t failed)
{
	const struct netpath_geom g = netpath_geom(be);
	const uint32_t mask = be->tx.mask, avail = be->tx.peer - be->tx.head;
	uint32_t read = failed, n = 0;
	uint64_t bytes = 0;
	if (failed)
		n = netpath_zc_fixup(be, pkts, failed, g, &bytes);
	while (read != avail && n < max) {
		const uint32_t first = (be->tx.head + read) & mask;
		uint32_t run = avail - read < max - n ? avail - read : max - n;
		if (run > mask + 1 - first)
			run = mask + 1 - first;
		uint32_t b;
		if (__builtin_expect(netpath_zc_pass(be, first, run, &pkts[n], g, &b) == 0, 1)) {
			n += run;
			bytes += b;
		} else {
			uint64_t fb;
			n += netpath_zc_fixup(be, &pkts[n], run, g, &fb);
			bytes += fb;
		}
		read += run;
	}
	ring_cons_consume(&be->tx, read);
	be->txs.packets += n;
	be->txs.bytes += bytes;
	return n;
}

/* The common case inline: zero copy, and what the burst takes lies in one
 * contiguous run that passes. */
uint32_t netpath_be_tx_burst(struct netpath_be *be, struct netpath_pkt *pkts,
			     uint32_t max)
{
	if (max > NETPATH_MAX_BURST)
		max = NETPATH_MAX_BURST;
	/* The last snapshot first: while it still holds a whole burst, the
	 * producer's index line stays where it is (in the producer's cache),
	 * as vhost keeps its cached avail index.  Only a short snapshot is
	 * refreshed, so a burst never takes fewer frames than a fresh poll
	 * would have given it, up to @max. */
	uint32_t avail = be->tx.peer - be->tx.head;
	if (avail < max)
		avail = ring_cons_poll(&be->tx);
	if (avail == 0 || max == 0)
		return 0;
	if (!be->tx_zc_batch)
		return netpath_tx_burst_generic(be, pkts, avail, max);
	const uint32_t run = avail < max ? avail : max;
	const uint32_t head = be->tx.head;
	const uint32_t first = head & be->tx.mask;
	if (__builtin_expect(run <= be->tx.mask + 1 - first, 1)) {
		/* Only r0.gpa is needed in the loop; r0.len and head are read
		 * again after it (cheaper than keeping them in registers). */
		const struct netpath_geom g = { .r0_gpa = be->r0.gpa };
		uint64_t lfbad;
		const struct netpath_zc_acc a = netpath_be_scan(be, first, run, pkts, g, &lfbad);
		if (__builtin_expect(!netpath_zc_bad(a, be->r0.len, lfbad), 1)) {
			/* run <= avail: ring_cons_consume's clamp cannot bite. */
			be->tx.head += run;
			be->txs.packets += run;
			be->txs.bytes += a.sum;
			return run;
		}
		return netpath_tx_burst_zc_rest(be, pkts, max, run);
	}
	return netpath_tx_burst_zc_rest(be, pkts, max, 0);
}

/* ---- RX ---- */

static void netpath_writeback(struct netpath_desc *d, uint32_t len, uint16_t flags)
{
	RING_WRITE_ONCE(d->len, len);
	RING_WRITE_ONCE(d->flags, flags);
}

static int netpath_parse_rx(struct netpath_be *be, const struct netpath_desc *d,
			    struct netpath_iov *buf)
{
	struct netpath_desc c = netpath_desc_fetch(d);
	if (c.flags)
		return netpath_bad(&be->rxs, NETPATH_BAD_FLAGS);
	return netpath_map(&be->mem, &be->rxs, c.gpa, c.len, buf);
}

int netpath_be_rx_take(struct netpath_be *be, struct netpath_iov *buf)
{
	if (be->rx_npend == NETPATH_RX_PENDING)
		return VMK_ENOSPC;
	for (;;) {
		if (be->rx_avail == 0)
			be->rx_avail = ring_cons_poll(&be->rx);
		if (be->rx_avail == 0)
			return VMK_EAGAIN;
		uint32_t idx = be->rx.head;
		struct netpath_desc *d = ring_cons_slot(&be->rx, 0);
		ring_cons_consume(&be->rx, 1);
		be->rx_avail--;
		if (netpath_parse_rx(be, d, buf) == VMK_OK) {
			uint32_t k = (be->rx_pend_first + be->rx_npend++) % NETPATH_RX_PENDING;
			be->rx_pend_idx[k] = idx;
			be->rx_pend_cap[k] = buf->len;
			return VMK_OK;
		}
		/* Returned unused, in order, with the next publish. */
		netpath_writeback(d, 0, NETPATH_DESC_F_ERR);
	}
}

/* Complete the oldest taken buffer with @len bytes and @flags. */
static uint32_t netpath_rx_finish(struct netpath_be *be, uint32_t len, uint16_t flags)
{
	uint32_t k = be->rx_pend_first;
	if (len > be->rx_pend_cap[k])
		len = be->rx_pend_cap[k];
	netpath_writeback(ring_slot(&be->rx, be->rx_pend_idx[k]), len, flags);
	be->rx_pend_first = (k + 1) % NETPATH_RX_PENDING;
	be->rx_npend--;
	return len;
}

void netpath_be_rx_commit(struct netpath_be *be, uint32_t len)
{
	if (be->rx_npend == 0)
		return;
	len = netpath_rx_finish(be, len, NETPATH_DESC_F_DONE);
	be->rxs.packets++;
	be->rxs.bytes += len;
}

int netpath_be_rx_deliver(struct netpath_be *be, const void *frame, uint32_t len)
{
	struct netpath_iov buf;
	int err = netpath_be_rx_take(be, &buf);
	if (err) {
		be->rxs.drops++;
		return err;
	}
	if (len > buf.len) {
		/* The frame is lost; the buffer goes back unused. */
		be->rxs.too_big++;
		be->rxs.drops++;
		netpath_rx_finish(be, 0, NETPATH_DESC_F_ERR);
		return VMK_ERANGE;
	}
	__builtin_memcpy(buf.base, frame, len);
	be->rxs.copies++;
	be->rxs.copy_bytes += len;
	netpath_be_rx_commit(be, len);
	return VMK_OK;
}

bool netpath_be_rx_publish(struct netpath_be *be)
{
	/* Everything before the oldest still-pending buffer is committed or
	 * was malformed; with none pending, everything read can go back. */
	uint32_t end = be->rx_npend ? be->rx_pend_idx[be->rx_pend_first] : be->rx.head;
	uint32_t n = end - be->rx.tail;
	if (n == 0)
		return false;
	bool irq = ring_cons_release(&be->rx, n);
	be->rxs.irqs += irq;
	return irq;
}

void netpath_be_stats(const struct netpath_be *be, struct netpath_qstats *tx,
		      struct netpath_qstats *rx)
{
	*tx = be->txs;
	*rx = be->rxs;
	tx->malformed[NETPATH_BAD_INDEX] = be->tx.bad_index;
	rx->malformed[NETPATH_BAD_INDEX] = be->rx.bad_index;
}
