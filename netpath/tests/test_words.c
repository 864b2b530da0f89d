/* The TX word format (NETPATH_FMT_WORD): one 8-byte word a slot, bits 0..15
 * len (1..65535), 16..23 reserved (zero), 24..63 gpa (< 2^40); no indirect
 * tables, no cookie (a frame's id is 0 to the back end, its ring index to
 * the driver).  Set-up on both sides, the driver's API on a word ring, the
 * zero-copy pass over words and its fix-up, the general path (copy mode, a
 * first region below 64 KiB), and every malformed word, alone and among
 * good ones, checked against a reference model of the per-word checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "np_fixture.h"
#include <vmk/xorshift.h>

#define BATCH 32u
#define NP_END (NP_GPA_BASE + NP_MEM_SIZE)
#define GPA_MAX (NETPATH_TXW_GPA_LIMIT - 1)

/* A raw word, any field value (the driver's netpath_txw_make refuses the
 * malformed ones; a hostile driver writes them anyway). */
static netpath_txw txw(uint64_t gpa, uint32_t len, uint32_t rsvd)
{
	return gpa << NETPATH_TXW_GPA_SHIFT | (uint64_t)(rsvd & 0xff) << 16 | (len & 0xffff);
}

/* Distinct bytes in the buffer area, so that a copy can be checked. */
static void np_pattern(struct np *f)
{
	for (size_t i = NP_BUF_OFF; i < NP_MEM_SIZE; i++)
		f->mem[i] = (uint8_t)(i * 131 + (i >> 9));
}

/* The TX ring's slot @i as the driver wrote it (8 bytes a slot). */
static netpath_txw np_slot_word(struct np *f, uint32_t i)
{
	netpath_txw w;
	memcpy(&w, f->mem + NP_TX_RING_OFF + RING_SLOTS_OFFSET + (size_t)(i % NP_SLOTS) * 8, 8);
	return w;
}

/* Moves both sides' ring indices @skip slots on (good frames, all taken,
 * released and reclaimed), so that what comes next starts there. */
static void np_advance(struct np *f, uint32_t skip)
{
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	while (skip) {
		uint32_t k = skip < NP_SLOTS ? skip : NP_SLOTS;
		for (uint32_t i = 0; i < k; i++)
			assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64, 0, 0), VMK_OK);
		netpath_drv_tx_kick(&f->drv);
		uint32_t got = 0, n;
		while ((n = netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST)) != 0)
			got += n;
		assert_int_equal(got, k);
		netpath_be_tx_complete(&f->be);
		assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS), k);
		skip -= k;
	}
}

/* ---- the reference model ---- */

#define W_GOOD (-1)
#define W_TOO_BIG (-2)   /* copy mode: good, but larger than a bounce slot */

/* What the per-word checks make of @w: W_GOOD (*host set), W_TOO_BIG, or
 * the netpath_bad kind it is dropped as.  Reserved bits first, then the
 * length, then the address, through the back end's region table. */
static int oracle(const struct np *f, netpath_txw w, const uint8_t **host)
{
	if (w & NETPATH_TXW_RSVD)
		return NETPATH_BAD_FLAGS;
	const uint32_t len = (uint16_t)w;
	if (len == 0)
		return NETPATH_BAD_LEN;
	*host = ring_mem_translate(&f->be.mem, w >> NETPATH_TXW_GPA_SHIFT, len);
	if (!*host)
		return NETPATH_BAD_ADDR;
	if (f->be.mode == NETPATH_COPY && len > f->be.bounce_slot)
		return W_TOO_BIG;
	return W_GOOD;
}

/* Queues @n raw words (n <= the free slots), publishes them in one kick and
 * takes them in bursts of at most @max; then checks against the model:
 * the good frames in order, each with its own host address (zero copy) or
 * a copy of its bytes in bounce slot k (copy mode), its len, nmore 0 and
 * id 0; the bad ones dropped and counted by kind; packets, bytes, drops,
 * copies exact; every slot released, the driver's ids the ring indices.
 * Returns the frames kept. */
static uint32_t check_words(struct np *f, const netpath_txw *words, uint32_t n, uint32_t max)
{
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	struct netpath_qstats t0, t1, rx;
	uint64_t kinds[NETPATH_BAD_KINDS] = { 0 };
	uint64_t bytes = 0, too_big = 0;
	uint32_t good = 0, e = 0, k;
	const uint8_t *host = NULL;
	const bool copy = f->be.mode == NETPATH_COPY;
	netpath_be_stats(&f->be, &t0, &rx);
	const uint32_t idx0 = f->drv.tx.head + f->drv.tx_fill;
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, n), n);
	netpath_drv_tx_kick(&f->drv);
	while ((k = netpath_be_tx_burst(&f->be, pkts, max)) != 0) {
		assert_true(k <= max);
		for (uint32_t j = 0; j < k; j++) {
			int v;
			assert_true(e < n);
			for (; (v = oracle(f, words[e], &host)) != W_GOOD; e++) {
				assert_true(e + 1 < n);
				if (v == W_TOO_BIG)
					too_big++;
				else
					kinds[v]++;
			}
			const uint32_t len = (uint16_t)words[e];
			assert_int_equal(pkts[j].len, len);
			assert_int_equal(pkts[j].nmore, 0);
			assert_int_equal(pkts[j].id, 0);
			assert_int_equal(netpath_pkt_len(&pkts[j]), len);
			const uint8_t *base = netpath_pkt_base(&f->be, &pkts[j]);
			if (copy) {
				assert_ptr_equal(base, f->bounce + (size_t)j * f->be.bounce_slot);
				assert_memory_equal(base, host, len);
			} else {
				assert_ptr_equal(base, host);
			}
			bytes += len;
			good++;
			e++;
		}
	}
	for (; e < n; e++) {
		int v = oracle(f, words[e], &host);
		assert_int_not_equal(v, W_GOOD);
		if (v == W_TOO_BIG)
			too_big++;
		else
			kinds[v]++;
	}
	netpath_be_stats(&f->be, &t1, &rx);
	assert_int_equal(t1.packets - t0.packets, good);
	assert_int_equal(t1.bytes - t0.bytes, bytes);
	assert_int_equal(t1.drops - t0.drops, n - good);
	assert_int_equal(t1.too_big - t0.too_big, too_big);
	for (unsigned b = 0; b < NETPATH_BAD_KINDS; b++)
		assert_int_equal(t1.malformed[b] - t0.malformed[b], kinds[b]);
	assert_int_equal(t1.copies - t0.copies, copy ? good : 0);
	assert_int_equal(t1.copy_bytes - t0.copy_bytes, copy ? bytes : 0);
	/* Every slot read, released in one go, and reclaimed in order. */
	assert_int_equal(f->be.tx.head, idx0 + n);
	netpath_be_tx_complete(&f->be);
	uint16_t ids[NP_SLOTS];
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS), n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ids[i], (uint16_t)(idx0 + i));
	return good;
}

/* ---- set-up ---- */

static void test_txw_make(void **state)
{
	(void)state;
	_Static_assert(sizeof(netpath_txw) == 8, "word size");
	_Static_assert(offsetof(struct netpath_queue_cfg, format) == 12, "format offset");
	assert_int_equal(NETPATH_TXW_RSVD, 0xff0000);
	const uint64_t g = np_buf_gpa(5);
	assert_int_equal(netpath_txw_make(g, 0), 0);
	assert_int_equal(netpath_txw_make(g, 1), g << 24 | 1);
	assert_int_equal(netpath_txw_make(g, 65535), g << 24 | 0xffff);
	assert_int_equal(netpath_txw_make(g, 65536), 0);
	assert_int_equal(netpath_txw_make(g, UINT32_MAX), 0);
	assert_int_equal(netpath_txw_make(0, 1), 1);
	assert_int_equal(netpath_txw_make(GPA_MAX, 1), 0xffffffffff000001ull);
	assert_int_equal(netpath_txw_make(GPA_MAX, 65535), 0xffffffffff00ffffull);
	assert_int_equal(netpath_txw_make(NETPATH_TXW_GPA_LIMIT, 1), 0);
	assert_int_equal(netpath_txw_make(UINT64_MAX, 1), 0);
	/* Never a reserved bit, and the fields read back. */
	const netpath_txw w = netpath_txw_make(0x123456789aull, 0x8001);
	assert_int_equal(w & NETPATH_TXW_RSVD, 0);
	assert_int_equal(w >> NETPATH_TXW_GPA_SHIFT, 0x123456789aull);
	assert_int_equal((uint16_t)w, 0x8001);
}

/* netpath_drv_set_tx_format: only the two formats, only before use; a
 * refusal leaves the ring as it was. */
static void test_set_tx_format(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[4];
	uint16_t id;
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_WORD);
	assert_int_equal(f->drv.tx.slot_size, 8);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, 2), VMK_EINVAL);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, 7), VMK_EINVAL);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, UINT32_MAX), VMK_EINVAL);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_WORD);
	assert_int_equal(f->drv.tx.slot_size, 8);
	/* Unused: the same format again is fine. */
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_OK);

	/* One frame queued, not yet published: busy, and it stays queued. */
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(3), 100, 0, 0), VMK_OK);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_DESC), VMK_EBUSY);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_EBUSY);
	assert_int_not_equal(netpath_drv_set_tx_format(&f->drv, 7), VMK_OK);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_WORD);
	assert_int_equal(f->drv.tx.slot_size, 8);
	assert_int_equal(f->drv.tx_fill, 1);
	assert_int_equal(f->drv.tx.head, 0);
	assert_int_equal(ring_prod_space(&f->drv.tx), NP_SLOTS);
	assert_int_equal(np_slot_word(f, 0), netpath_txw_make(np_buf_gpa(3), 100));
	assert_true(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 3));
	assert_int_equal(pkts[0].len, 100);
	/* Published and even reclaimed: still busy (the ring has moved on). */
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_DESC), VMK_EBUSY);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, &id, 1), 1);
	assert_int_equal(id, 0);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_DESC), VMK_EBUSY);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_EBUSY);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_WORD);
	/* And the ring goes on as it was. */
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(4), 200, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 4));
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, &id, 1), 1);
	assert_int_equal(id, 1);
	np_free(f);

	/* A descriptor ring: refused the same way once a frame is queued, and
	 * its descriptor (with its cookie) still goes through. */
	f = np_new(NETPATH_ZEROCOPY);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_DESC);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, 3), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(2), 60, 0, 4242), VMK_OK);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_EBUSY);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_DESC);
	assert_int_equal(f->drv.tx.slot_size, 16);
	assert_int_equal(f->drv.tx_fill, 1);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_int_equal(pkts[0].id, 4242);
	np_free(f);
}

static void np_test_fence(void *ctx) { (void)ctx; }

/* Back and forth before use; the asymmetric ordering set before stays. */
static void test_set_tx_format_before_use(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	int ctx;
	netpath_drv_set_remote_fence(&f->drv, np_test_fence, &ctx);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_OK);
	assert_int_equal(f->drv.tx.slot_size, 8);
	assert_int_equal(ring_nslots(&f->drv.tx), NP_SLOTS);
	assert_ptr_equal(f->drv.tx.remote_fence, np_test_fence);
	assert_ptr_equal(f->drv.tx.fence_ctx, &ctx);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_DESC), VMK_OK);
	assert_int_equal(f->drv.tx.slot_size, 16);
	assert_int_equal(f->drv.tx_format, NETPATH_FMT_DESC);
	assert_ptr_equal(f->drv.tx.remote_fence, np_test_fence);
	/* Still a working descriptor ring (the back end is one). */
	netpath_drv_set_remote_fence(&f->drv, NULL, NULL);
	struct netpath_pkt p;
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(1), 64, 0, 9), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 1);
	assert_int_equal(p.id, 9);
	np_free(f);
}

static struct netpath_be_cfg np_cfg(struct np *f, uint32_t tx_format)
{
	return (struct netpath_be_cfg){
		.regions = &f->region, .nregions = 1, .dev = np_dev_cfg_fmt(NP_SLOTS, tx_format),
		.mode = NETPATH_ZEROCOPY,
	};
}

/* The back end: TX may be a word ring, RX may not; no other format. */
static void test_be_formats(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_be be;
	struct netpath_be_cfg cfg = np_cfg(f, NETPATH_FMT_WORD);
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_OK);
	assert_true(be.tx_words);
	assert_int_equal(be.tx.slot_size, 8);
	assert_int_equal(be.rx.slot_size, 16);
	cfg.dev.rx.format = NETPATH_FMT_WORD;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg.dev.rx.format = 7;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg = np_cfg(f, 7);
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg = np_cfg(f, 2);
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg = np_cfg(f, UINT32_MAX);
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg = np_cfg(f, NETPATH_FMT_DESC);
	cfg.dev.rx.format = NETPATH_FMT_WORD;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	cfg = np_cfg(f, NETPATH_FMT_DESC);
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_OK);
	assert_false(be.tx_words);
	assert_int_equal(be.tx.slot_size, 16);
	np_free(f);
}

/* A word ring needs half the slot bytes: the back end checks that much of
 * guest memory, and the driver takes memory sized for descriptors. */
static void test_word_ring_memory(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_be be;
	/* The TX ring in the last bytes of guest memory: enough for words only. */
	const uint64_t wsize = ring_mem_size(NP_SLOTS, sizeof(netpath_txw));
	struct netpath_be_cfg cfg = np_cfg(f, NETPATH_FMT_WORD);
	cfg.dev.tx.ring_gpa = NP_END - wsize;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_OK);
	cfg.dev.tx.format = NETPATH_FMT_DESC;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EFAULT);
	cfg = np_cfg(f, NETPATH_FMT_WORD);
	cfg.dev.tx.ring_gpa = NP_END - wsize + 64;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EFAULT);
	np_free(f);

	/* The driver given exactly a descriptor ring's memory, made a word ring,
	 * talking to a back end told the same: frames go through. */
	f = np_new(NETPATH_ZEROCOPY);
	const size_t dsize = ring_mem_size(NP_SLOTS, sizeof(struct netpath_desc));
	assert_int_equal(netpath_drv_init(&f->drv, f->mem + NP_TX_RING_OFF, dsize, NP_SLOTS,
					  f->mem + NP_RX_RING_OFF, NP_RING_BYTES, NP_SLOTS,
					  np_doorbell, f), VMK_OK);
	assert_int_equal(netpath_drv_set_tx_format(&f->drv, NETPATH_FMT_WORD), VMK_OK);
	cfg = np_cfg(f, NETPATH_FMT_WORD);
	assert_int_equal(netpath_be_init(&f->be, &cfg), VMK_OK);
	netpath_txw words[NP_SLOTS];
	for (uint32_t i = 0; i < NP_SLOTS; i++)
		words[i] = netpath_txw_make(np_buf_gpa(i), 64 + i);
	assert_int_equal(check_words(f, words, NP_SLOTS, NETPATH_MAX_BURST), NP_SLOTS);
	np_free(f);
}

/* ---- the driver's API on a word ring ---- */

static void test_drv_tx_add_words_ring(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	/* Refused, and nothing queued or counted. */
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 1, 0), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, NETPATH_DESC_F_INDIRECT, 0),
			 VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0x8000, 0), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 0, 0, 0), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 65536, 0, 0), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), UINT32_MAX, 0, 0), VMK_EINVAL);
	assert_int_equal(netpath_drv_tx_add(&f->drv, NETPATH_TXW_GPA_LIMIT, 64, 0, 0), VMK_EINVAL);
	const struct netpath_desc d = { np_buf_gpa(0), 64, 0, 1 };
	assert_int_equal(netpath_drv_tx_add_burst(&f->drv, &d, 1), 0);
	assert_int_equal(f->drv.tx_fill, 0);
	assert_int_equal(f->drv.st.tx_packets, 0);
	assert_int_equal(f->drv.st.tx_bytes, 0);
	assert_int_equal(np_slot_word(f, 0), 0);
	assert_false(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 0);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);

	/* Up to the ring's size, one word a slot, 8 bytes apart; the cookie is
	 * not stored anywhere. */
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < NP_SLOTS; i++) {
		const uint32_t len = i == 0 ? 65535 : 60 + i;
		const uint64_t gpa = i == 1 ? GPA_MAX : np_buf_gpa(i);
		assert_int_equal(netpath_drv_tx_add(&f->drv, gpa, len, 0, 0xabcd), VMK_OK);
		bytes += len;
	}
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 0), VMK_ENOSPC);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 1, 0), VMK_EINVAL);
	const netpath_txw one = netpath_txw_make(np_buf_gpa(0), 64);
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, &one, 1), 0);
	assert_int_equal(netpath_drv_tx_add_burst(&f->drv, &d, 1), 0);
	for (uint32_t i = 0; i < NP_SLOTS; i++)
		assert_int_equal(np_slot_word(f, i),
				 netpath_txw_make(i == 1 ? GPA_MAX : np_buf_gpa(i), i == 0 ? 65535 : 60 + i));
	/* The rings' memory past the TX word ring's slots is untouched. */
	for (size_t b = RING_SLOTS_OFFSET + NP_SLOTS * 8; b < NP_RING_BYTES; b++)
		assert_int_equal(f->mem[NP_TX_RING_OFF + b], 0);
	assert_int_equal(f->drv.st.tx_packets, NP_SLOTS);
	assert_int_equal(f->drv.st.tx_bytes, bytes);
	np_free(f);
}

/* netpath_drv_tx_add_words: what fits, across the wrap, only on a word
 * ring; words are queued unchecked (the back end checks them). */
static void test_drv_add_words(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	netpath_txw words[NP_SLOTS + 8];
	/* Odd addresses: a word's low 32 bits are not its length. */
	for (uint32_t i = 0; i < NP_SLOTS + 8; i++)
		words[i] = netpath_txw_make(np_buf_gpa(i) + 1 + i, 100 + i);
	np_advance(f, 40);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(9), 64, 0, 0), VMK_OK);
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, 0), 0);
	/* One slot filled, not yet published: NP_SLOTS - 1 fit. */
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, NP_SLOTS + 8), NP_SLOTS - 1);
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, 1), 0);
	uint64_t bytes = 40 * 64 + 64;
	for (uint32_t i = 0; i < NP_SLOTS - 1; i++) {
		assert_int_equal(np_slot_word(f, 41 + i), words[i]);
		bytes += 100 + i;
	}
	assert_int_equal(f->drv.st.tx_packets, 40 + NP_SLOTS);
	assert_int_equal(f->drv.st.tx_bytes, bytes);
	netpath_drv_tx_kick(&f->drv);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	uint32_t got = 0, n;
	while ((n = netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST)) != 0)
		for (uint32_t k = 0; k < n; k++, got++) {
			const uint32_t i = got - 1;
			assert_int_equal(pkts[k].id, 0);
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]),
					 got ? np_buf(f, i) + 1 + i : np_buf(f, 9));
			assert_int_equal(pkts[k].len, got ? 100 + i : 64);
		}
	assert_int_equal(got, NP_SLOTS);
	netpath_be_tx_complete(&f->be);
	uint16_t ids[NP_SLOTS];
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS), NP_SLOTS);
	for (uint32_t i = 0; i < NP_SLOTS; i++)
		assert_int_equal(ids[i], 40 + i);

	/* Unchecked on the driver side: a bad word is queued and counted as
	 * sent; the back end drops it. */
	const netpath_txw bad[2] = { txw(np_buf_gpa(1), 64, 0x10), netpath_txw_make(np_buf_gpa(2), 7) };
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, bad, 2), 2);
	assert_int_equal(f->drv.st.tx_packets, 40 + NP_SLOTS + 2);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_int_equal(pkts[0].len, 7);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_FLAGS], 1);
	np_free(f);

	/* A descriptor ring takes no words. */
	f = np_new(NETPATH_ZEROCOPY);
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, 4), 0);
	assert_int_equal(f->drv.tx_fill, 0);
	assert_int_equal(f->drv.st.tx_packets, 0);
	assert_false(netpath_drv_tx_kick(&f->drv));
	np_free(f);
}

/* One doorbell per batch, none while the back end polls. */
static void test_doorbells(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	netpath_txw words[32];
	for (uint32_t i = 0; i < 32; i++)
		words[i] = netpath_txw_make(np_buf_gpa(i), 64);
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, 32), 32);
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 0);
	assert_true(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 1);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(32 + i), 64, 0, 0), VMK_OK);
	assert_false(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 1);       /* back end polls */
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 40);
	for (uint32_t i = 0; i < 40; i++)
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), np_buf(f, i));
	netpath_be_tx_complete(&f->be);
	/* Idle: the back end re-arms, and the next batch rings once. */
	assert_true(ring_cons_arm(&f->be.tx, 1));
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, 8), 8);
	assert_true(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 2);
	assert_false(netpath_drv_tx_kick(&f->drv));            /* empty kick */
	assert_int_equal(f->drv.st.tx_doorbells, 2);
	assert_int_equal(f->doorbells[NETPATH_Q_RX], 0);
	np_free(f);
}

/* ---- zero copy ---- */

/* The frame handed out is the guest's own buffer; its id is 0, the
 * driver's the ring index. */
static void test_zero_copy_round_trip(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[4];
	np_pattern(f);
	assert_true(f->be.tx_zc_batch);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(3), 100, 0, 77), VMK_OK);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(7) + 5, 1, 0, 78), VMK_OK);
	assert_true(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 2);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 3));
	assert_int_equal(pkts[0].len, 100);
	assert_int_equal(pkts[0].nmore, 0);
	assert_int_equal(pkts[0].id, 0);
	assert_ptr_equal(netpath_pkt_seg(&f->be, &pkts[0], 0).base, np_buf(f, 3));
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[1]), np_buf(f, 7) + 5);
	assert_int_equal(pkts[1].len, 1);
	assert_int_equal(pkts[1].nmore, 0);
	assert_int_equal(pkts[1].id, 0);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 8), 0);   /* still lent */
	assert_false(netpath_be_tx_complete(&f->be));
	uint16_t ids[4];
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, ids, 8), 2);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 1);
	assert_int_equal(f->be.txs.packets, 2);
	assert_int_equal(f->be.txs.bytes, 101);
	assert_int_equal(f->be.txs.copies, 0);
	assert_int_equal(f->be.txs.drops, 0);
	assert_int_equal(f->drv.st.tx_done, 2);
	/* The driver asks for a completion interrupt: it gets one. */
	assert_true(netpath_drv_tx_arm(&f->drv));
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(1), 10, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_true(netpath_be_tx_complete(&f->be));
	assert_int_equal(f->be.txs.irqs, 1);
	np_free(f);
}

/* Full and empty, over many laps, bursts of a prime size so that slot
 * positions drift; reclaimed ids are the ring indices. */
static void test_full_empty_wrap(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	uint16_t ids[NP_SLOTS];
	uint32_t next = 0, expect = 0, taken = 0;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);   /* empty */
	for (int round = 0; round < 20; round++) {
		while (netpath_drv_tx_add(&f->drv, np_buf_gpa(next % 512), 60 + next % 7, 0, 0) == VMK_OK)
			next++;
		assert_int_equal(next - expect, NP_SLOTS);                        /* full */
		assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 60, 0, 0), VMK_ENOSPC);
		netpath_drv_tx_kick(&f->drv);
		uint32_t n = netpath_be_tx_burst(&f->be, pkts, 37);
		assert_int_equal(n, 37);
		for (uint32_t i = 0; i < n; i++, taken++) {
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), np_buf(f, taken % 512));
			assert_int_equal(pkts[i].len, 60 + taken % 7);
		}
		netpath_be_tx_complete(&f->be);
		uint32_t r = netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS);
		assert_int_equal(r, n);
		for (uint32_t i = 0; i < r; i++)
			assert_int_equal(ids[i], (uint16_t)expect++);
	}
	/* Drain: everything, then empty. */
	uint32_t n;
	while ((n = netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST)) != 0)
		for (uint32_t i = 0; i < n; i++, taken++)
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), np_buf(f, taken % 512));
	assert_int_equal(taken, next);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS), next - expect);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);
	assert_true(f->drv.tx.head > 10 * NP_SLOTS);
	assert_int_equal(f->be.txs.packets, next);
	assert_int_equal(f->be.txs.drops, 0);
	np_free(f);
}

/* A word ring's ids are the low 16 bits of the ring index: they wrap after
 * 65536 frames, as a descriptor's 16-bit cookie would. */
static void test_ids_wrap(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	netpath_txw words[NP_SLOTS];
	uint16_t ids[NP_SLOTS];
	uint32_t sent = 0;
	uint16_t expect = 0;
	while (sent < 70000) {
		const uint32_t k = 1 + sent % NP_SLOTS;
		for (uint32_t i = 0; i < k; i++)
			words[i] = netpath_txw_make(np_buf_gpa((sent + i) % 1024), 1 + (sent + i) % 1500);
		assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, k), k);
		netpath_drv_tx_kick(&f->drv);
		uint32_t got = 0, n;
		while ((n = netpath_be_tx_burst(&f->be, pkts, 32)) != 0)
			for (uint32_t i = 0; i < n; i++, got++) {
				assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]),
						 np_buf(f, (sent + got) % 1024));
				assert_int_equal(pkts[i].len, 1 + (sent + got) % 1500);
			}
		assert_int_equal(got, k);
		netpath_be_tx_complete(&f->be);
		assert_int_equal(netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS), k);
		for (uint32_t i = 0; i < k; i++)
			assert_int_equal(ids[i], expect++);
		sent += k;
	}
	assert_true(f->drv.tx.tail > 65536);
	assert_int_equal(f->be.txs.packets, sent);
	assert_int_equal(f->be.txs.drops, 0);
	np_free(f);
}

/* A malformed word and the kind it is dropped as. */
struct wbad {
	uint64_t gpa;
	uint32_t len;
	uint32_t rsvd;
	enum netpath_bad kind;
};

#define GOOD_GPA (NP_GPA_BASE + NP_BUF_OFF + 60 * NP_BUF_SIZE)

static const struct wbad wbad_cases[] = {
	{ GOOD_GPA, 64, 0x01, NETPATH_BAD_FLAGS },            /* each reserved bit */
	{ GOOD_GPA, 64, 0x02, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x04, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x08, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x10, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x20, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x40, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 64, 0x80, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 65535, 0xff, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 1, 0x01, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 0, 0x80, NETPATH_BAD_FLAGS },             /* and len 0 */
	{ GOOD_GPA, 0, 0x01, NETPATH_BAD_FLAGS },             /* len 0's borrow clears it */
	{ 0, 0, 0x01, NETPATH_BAD_FLAGS },
	{ GOOD_GPA, 0, 0, NETPATH_BAD_LEN },
	{ 0, 0, 0, NETPATH_BAD_LEN },                          /* the zero word */
	{ GPA_MAX, 0, 0, NETPATH_BAD_LEN },
	{ NP_GPA_BASE - 1, 1, 0, NETPATH_BAD_ADDR },           /* one byte below */
	{ 0, 64, 0, NETPATH_BAD_ADDR },                        /* far below */
	{ NP_END, 1, 0, NETPATH_BAD_ADDR },                    /* just above */
	{ NP_END - 63, 64, 0, NETPATH_BAD_ADDR },              /* straddles the end by 1 */
	{ NP_END - 65534, 65535, 0, NETPATH_BAD_ADDR },
	{ GPA_MAX, 1, 0, NETPATH_BAD_ADDR },                   /* the largest gpa field */
	{ GPA_MAX, 65535, 0, NETPATH_BAD_ADDR },
	{ GPA_MAX - 65535, 65535, 0, NETPATH_BAD_ADDR },
};
#define NCASES (sizeof(wbad_cases) / sizeof(wbad_cases[0]))

static netpath_txw wbad_word(const struct wbad *c) { return txw(c->gpa, c->len, c->rsvd); }

/* Good frame @i of a batch: its own buffer and length. */
static uint32_t good_len(uint32_t i) { return 60 + 37 * i; }

/* A batch of 32 on @f with @bc at @pos (if bc), from ring slot @slot (the
 * indices are moved there first, so that the batch may wrap), taken in
 * bursts of @max, checked against the model; and the bad word counted under
 * its own kind. */
static void run_batch(struct np *f, const struct wbad *bc, uint32_t pos, uint32_t slot,
		      uint32_t max)
{
	netpath_txw words[BATCH];
	np_advance(f, (slot - f->drv.tx.head) % NP_SLOTS);
	assert_int_equal(f->drv.tx.head % NP_SLOTS, slot % NP_SLOTS);
	for (uint32_t i = 0; i < BATCH; i++)
		words[i] = bc && i == pos ? wbad_word(bc) : netpath_txw_make(np_buf_gpa(i), good_len(i));
	const uint64_t drops = f->be.txs.drops;
	const uint64_t kind = bc ? f->be.txs.malformed[bc->kind] : 0;
	assert_int_equal(check_words(f, words, BATCH, max), bc ? BATCH - 1 : BATCH);
	assert_int_equal(f->be.txs.drops - drops, bc ? 1 : 0);
	if (bc)
		assert_int_equal(f->be.txs.malformed[bc->kind] - kind, 1);
}

/* The model agrees with the table (so that check_words counts each case
 * under the kind the table gives). */
static void test_model(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	const uint8_t *host;
	for (size_t c = 0; c < NCASES; c++)
		assert_int_equal(oracle(f, wbad_word(&wbad_cases[c]), &host), wbad_cases[c].kind);
	assert_int_equal(oracle(f, netpath_txw_make(NP_END - 64, 64), &host), W_GOOD);
	assert_ptr_equal(host, f->mem + NP_MEM_SIZE - 64);
	np_free(f);
}

/* Every malformed word alone, then a good one: exactly the good one comes
 * out, the bad one counted under its kind and nothing else; both slots
 * released, in order.  In zero copy (the pass and its fix-up), with a
 * first region below 64 KiB (the general path) and in copy mode. */
static void test_malformed_alone(void **state)
{
	(void)state;
	for (int setup = 0; setup < 3; setup++)
		for (size_t c = 0; c < NCASES; c++) {
			struct np *f = np_new_words(setup == 2 ? NETPATH_COPY : NETPATH_ZEROCOPY, NP_SLOTS);
			const uint64_t split = NP_BUF_OFF + 8 * NP_BUF_SIZE;
			struct ring_region regs[2] = {
				{ NP_GPA_BASE, split, f->mem },
				{ NP_GPA_BASE + split, NP_MEM_SIZE - split, f->mem + split },
			};
			if (setup == 1)
				assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
			assert_int_equal(f->be.tx_zc_batch, setup == 0);
			const netpath_txw w[2] = { wbad_word(&wbad_cases[c]),
						   netpath_txw_make(np_buf_gpa(0), 64) };
			assert_int_equal(check_words(f, w, 2, 4), 1);
			struct netpath_qstats tx, rx;
			netpath_be_stats(&f->be, &tx, &rx);
			for (unsigned k = 0; k < NETPATH_BAD_KINDS; k++)
				assert_int_equal(tx.malformed[k], k == wbad_cases[c].kind ? 1 : 0);
			assert_int_equal(tx.drops, 1);
			assert_int_equal(tx.packets, 1);
			assert_int_equal(tx.bytes, 64);
			np_free(f);
		}
}

/* Every malformed kind at the first, second, middle, next-to-last and last
 * place of a burst of 32, in one contiguous run and across the ring's wrap
 * (two runs: 14 slots, then 18). */
static void test_one_bad_anywhere(void **state)
{
	(void)state;
	static const uint32_t where[] = { 0, 1, 13, 14, 16, 30, 31 };
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	for (size_t c = 0; c < NCASES; c++)
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
			run_batch(f, &wbad_cases[c], where[w], 0, BATCH);
			run_batch(f, &wbad_cases[c], where[w], NP_SLOTS - 14, BATCH);
		}
	np_free(f);
}

/* Every burst size from 1 to 32: clean, and with one bad word at each
 * position of the first run, from ring indices that make some runs wrap. */
static void test_every_burst_size(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	for (uint32_t max = 1; max <= BATCH; max++) {
		run_batch(f, NULL, 0, 0, max);
		run_batch(f, NULL, 0, NP_SLOTS - max % 7, max);
		for (uint32_t pos = 0; pos < max; pos++)
			run_batch(f, &wbad_cases[(max + pos) % NCASES], pos,
				  pos % 2 ? NP_SLOTS - 1 - max % 5 : pos % 3, max);
	}
	np_free(f);
}

/* Several bad words of mixed kinds among good ones, across the wrap, in
 * bursts of every size from 1 to 64: the good ones compacted in order. */
static void test_mixed_batches(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	for (uint32_t max = 1; max <= NETPATH_MAX_BURST; max++) {
		netpath_txw words[NP_SLOTS];
		np_advance(f, 50 + max);
		uint32_t good = 0;
		for (uint32_t i = 0; i < NP_SLOTS; i++) {
			if (i % 3 == 1 || i % 7 == 0) {
				words[i] = wbad_word(&wbad_cases[(i + max) % NCASES]);
			} else {
				words[i] = netpath_txw_make(np_buf_gpa(i), good_len(i % 32) + max);
				good++;
			}
		}
		assert_int_equal(check_words(f, words, NP_SLOTS, max), good);
	}
	np_free(f);
}

/* Frames of one length ending exactly at the end of the first region are
 * kept, one byte further dropped; the run's test is exact for equal
 * lengths, and the 31 others go through either way. */
static void test_range_edge(void **state)
{
	(void)state;
	static const uint32_t lens[] = { 1, 64, 1500, 4096, 65535 };
	static const uint32_t where[] = { 0, 13, 31 };
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++)
			for (uint32_t beyond = 0; beyond <= 1; beyond++) {
				struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
				netpath_txw words[BATCH];
				for (uint32_t i = 0; i < BATCH; i++)
					words[i] = txw(i == where[w] ? NP_END - lens[l] + beyond
								     : np_buf_gpa(i), lens[l], 0);
				assert_int_equal(check_words(f, words, BATCH, BATCH), BATCH - beyond);
				assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], beyond);
				np_free(f);
			}
}

/* Only good frames, every one 65535 bytes: the pass's byte sum is exact. */
static void test_good_batch_bytes(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	netpath_txw words[NP_SLOTS];
	for (uint32_t i = 0; i < NP_SLOTS; i++)
		words[i] = netpath_txw_make(NP_GPA_BASE + (uint64_t)i * 4096, 65535);
	assert_int_equal(check_words(f, words, NP_SLOTS, NETPATH_MAX_BURST), NP_SLOTS);
	assert_int_equal(f->be.txs.bytes, (uint64_t)NP_SLOTS * 65535);
	np_free(f);
}

/* A second region: its frames are kept (the fix-up hands them to the
 * general checks, which find the region), a frame straddling the two or
 * beyond the second is dropped; the good ones around them compacted in
 * order. */
static void test_second_region(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	const uint64_t half = NP_MEM_SIZE / 2, far = 0x7000000000ull;
	struct ring_region regs[2] = {
		{ NP_GPA_BASE, half, f->mem },
		{ far, half, f->mem + half },
	};
	assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
	assert_true(f->be.tx_zc_batch);
	assert_true(f->be.tx_words);
	netpath_txw words[BATCH];
	for (uint32_t i = 0; i < BATCH; i++)
		words[i] = netpath_txw_make(np_buf_gpa(i), 100 + i);
	words[3] = netpath_txw_make(far + 4096, 1000);                 /* region 1 */
	words[4] = netpath_txw_make(far + half - 100, 100);            /* ends r1 */
	words[5] = netpath_txw_make(far + half - 10, 64);              /* beyond r1 */
	words[6] = netpath_txw_make(NP_GPA_BASE + half - 8, 16);       /* r0 into r1 */
	words[7] = netpath_txw_make(NP_GPA_BASE + half - 16, 16);      /* ends r0 */
	words[8] = txw(far, 64, 0x04);                                   /* reserved */
	words[9] = txw(far + 64, 0, 0);                                  /* len 0 */
	words[10] = netpath_txw_make(far, 1);                           /* r1's first byte */
	words[11] = netpath_txw_make(far - 1, 2);                       /* just below r1 */
	assert_int_equal(check_words(f, words, BATCH, BATCH), BATCH - 5);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], 3);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_FLAGS], 1);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_LEN], 1);
	/* A burst of region 1 frames only: every one through the fix-up. */
	for (uint32_t i = 0; i < BATCH; i++)
		words[i] = netpath_txw_make(far + (uint64_t)i * 2048, 60 + i);
	assert_int_equal(check_words(f, words, BATCH, BATCH), BATCH);
	struct netpath_pkt p;
	assert_int_equal(netpath_drv_tx_add(&f->drv, far + 4096, 1000, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &p), f->mem + half + 4096);
	np_free(f);
}

/* A first region at the very top of what a word can address (its last byte
 * at gpa 2^40 - 1): the largest gpa field is a good frame there, and the
 * pass decodes all 40 bits.  The rings stay in a second region that maps
 * the same memory at the usual place. */
static void test_top_of_word_space(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	const uint64_t top = NETPATH_TXW_GPA_LIMIT - NP_MEM_SIZE;
	struct ring_region regs[2] = {
		{ top, NP_MEM_SIZE, f->mem },
		{ NP_GPA_BASE, NP_MEM_SIZE, f->mem },
	};
	assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
	netpath_txw words[BATCH];
	for (uint32_t i = 0; i < BATCH; i++)
		words[i] = netpath_txw_make(top + NP_BUF_OFF + (uint64_t)i * NP_BUF_SIZE, 64 + i);
	assert_int_equal(check_words(f, words, BATCH, BATCH), BATCH);   /* one clean pass */
	words[0] = netpath_txw_make(GPA_MAX, 1);
	words[1] = netpath_txw_make(NETPATH_TXW_GPA_LIMIT - 65535, 65535);
	words[2] = txw(GPA_MAX, 2, 0);                                    /* beyond 2^40 */
	words[3] = netpath_txw_make(np_buf_gpa(3), 300);                 /* region 1 */
	words[4] = txw(GPA_MAX, 1, 0x01);
	assert_int_equal(check_words(f, words, BATCH, BATCH), BATCH - 2);
	struct netpath_pkt p;
	assert_int_equal(netpath_drv_tx_add(&f->drv, GPA_MAX, 1, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &p), f->mem + NP_MEM_SIZE - 1);
	np_free(f);
}

/* A corrupt producer index on a word ring: nothing beyond the ring is
 * read, the snapshot is counted in NETPATH_BAD_INDEX, and the back end
 * carries on once the index is sane again. */
static void test_bad_index(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_ZEROCOPY, NP_SLOTS);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	struct netpath_qstats tx, rx;
	struct ring_shared *sh = (struct ring_shared *)(f->mem + NP_TX_RING_OFF);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	sh->prod = 1000;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);
	sh->prod = 0xffffffffu;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);
	sh->prod = NP_SLOTS + 1;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 3);
	assert_int_equal(tx.packets, 0);
	assert_int_equal(tx.drops, 0);
	sh->prod = 1;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 0));
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 3);
	assert_int_equal(rx.malformed[NETPATH_BAD_INDEX], 0);
	np_free(f);
}

/* ---- the general path ---- */

/* Copy mode: each frame copied into its bounce slot, copies counted; a
 * frame larger than a slot dropped as too big, malformed ones by kind. */
static void test_copy_mode(void **state)
{
	(void)state;
	struct np *f = np_new_words(NETPATH_COPY, NP_SLOTS);
	struct netpath_pkt pkts[8];
	np_pattern(f);
	assert_false(f->be.tx_zc_batch);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 1500, 0, 0), VMK_OK);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(1) + 3, 60, 0, 0), VMK_OK);
	const netpath_txw bad[3] = {
		txw(np_buf_gpa(2), 64, 0x20), txw(np_buf_gpa(2), 0, 0x01), txw(NP_END - 10, 64, 0),
	};
	assert_int_equal(netpath_drv_tx_add_words(&f->drv, bad, 3), 3);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(4), NP_BUF_SIZE + 1, 0, 0), VMK_OK);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(5), NP_BUF_SIZE, 0, 0), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 8), 3);
	const uint32_t lens[3] = { 1500, 60, NP_BUF_SIZE };
	const uint8_t *src[3] = { np_buf(f, 0), np_buf(f, 1) + 3, np_buf(f, 5) };
	uint8_t saved[NP_BUF_SIZE];
	for (uint32_t k = 0; k < 3; k++) {
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]), f->bounce + (size_t)k * NP_BUF_SIZE);
		assert_int_equal(pkts[k].len, lens[k]);
		assert_int_equal(pkts[k].nmore, 0);
		assert_int_equal(pkts[k].id, 0);
		memcpy(saved, src[k], lens[k]);
		memset((uint8_t *)src[k], 0, lens[k]);            /* the guest reuses its buffer */
		assert_memory_equal(netpath_pkt_base(&f->be, &pkts[k]), saved, lens[k]);
	}
	assert_int_equal(f->be.txs.copies, 3);
	assert_int_equal(f->be.txs.copy_bytes, 1500 + 60 + NP_BUF_SIZE);
	assert_int_equal(f->be.txs.bytes, 1500 + 60 + NP_BUF_SIZE);
	assert_int_equal(f->be.txs.packets, 3);
	assert_int_equal(f->be.txs.too_big, 1);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_FLAGS], 2);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], 1);
	assert_int_equal(f->be.txs.drops, 4);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS), 7);
	/* A full ring of mixed words, in bursts of several sizes. */
	np_pattern(f);
	for (uint32_t max = 1; max <= NETPATH_MAX_BURST; max += 9) {
		netpath_txw words[NP_SLOTS];
		for (uint32_t i = 0; i < NP_SLOTS; i++)
			words[i] = i % 5 == 2 ? wbad_word(&wbad_cases[(i + max) % NCASES])
					      : netpath_txw_make(np_buf_gpa(i) + i, good_len(i % 32) + max);
		check_words(f, words, NP_SLOTS, max);
	}
	np_free(f);
}

/* A first region smaller than 64 KiB: no pass; every word through the
 * general checks, with the same results (and frames in either region). */
static void small_first_region(enum netpath_mode mode)
{
	struct np *f = np_new_words(mode, NP_SLOTS);
	const uint64_t split = NP_BUF_OFF + 8 * NP_BUF_SIZE;
	struct ring_region regs[2] = {
		{ NP_GPA_BASE, split, f->mem },
		{ NP_GPA_BASE + split, NP_MEM_SIZE - split, f->mem + split },
	};
	assert_int_equal(np_set_regions_mode(f, regs, 2, mode), VMK_OK);
	assert_int_equal(f->be.r0_len_lim, 0);
	assert_false(f->be.tx_zc_batch);
	np_pattern(f);
	netpath_txw words[8] = {
		netpath_txw_make(np_buf_gpa(1), 100),                 /* region 0 */
		netpath_txw_make(np_buf_gpa(7) + 2000, 100),          /* straddles */
		netpath_txw_make(np_buf_gpa(20), mode == NETPATH_COPY ? 2000 : 65535),  /* region 1 */
		txw(np_buf_gpa(1), 0, 0),                              /* len 0 */
		txw(np_buf_gpa(1), 64, 0x40),                          /* reserved */
		txw(np_buf_gpa(1), 0, 0x01),
		netpath_txw_make(np_buf_gpa(7) + 2048 - 48, 48),      /* ends region 0 */
		netpath_txw_make(NP_END - 1, 1),                      /* ends region 1 */
	};
	assert_int_equal(check_words(f, words, 8, 8), 4);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], 1);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_LEN], 1);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_FLAGS], 2);
	assert_int_equal(f->be.txs.copies, mode == NETPATH_COPY ? 4 : 0);
	/* Again in bursts of 3. */
	assert_int_equal(check_words(f, words, 8, 3), 4);
	np_free(f);
}

static void test_small_first_region(void **state)
{
	(void)state;
	small_first_region(NETPATH_ZEROCOPY);
	small_first_region(NETPATH_COPY);
}

/* Found with this file: a word of len 0 with reserved bit 16 set.  The
 * pass folded only w - 1, in which len 0's borrow clears that bit, so the
 * word passed as a 65536-byte frame (pkt len 0x10000, its bytes not
 * counted) where the per-word checks drop it as NETPATH_BAD_FLAGS.  Alone
 * and among good words, in zero copy (the pass) and in copy mode (no
 * pass): the same results. */
static void test_reserved_bit16_len0(void **state)
{
	(void)state;
	const netpath_txw bad = txw(np_buf_gpa(5), 0, 0x01);
	assert_int_equal(bad, np_buf_gpa(5) << 24 | 0x10000);
	for (int copy = 0; copy <= 1; copy++) {
		struct np *f = np_new_words(copy ? NETPATH_COPY : NETPATH_ZEROCOPY, NP_SLOTS);
		struct netpath_pkt pkts[NETPATH_MAX_BURST];
		netpath_txw words[BATCH];
		assert_int_equal(f->be.tx_zc_batch, !copy);
		assert_int_equal(netpath_drv_tx_add_words(&f->drv, &bad, 1), 1);
		netpath_drv_tx_kick(&f->drv);
		assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 0);
		uint64_t bytes = 0;
		for (uint32_t i = 0; i < BATCH; i++) {
			words[i] = i == 13 ? bad : netpath_txw_make(np_buf_gpa(i), 100 + i);
			bytes += i == 13 ? 0 : 100 + i;
		}
		assert_int_equal(netpath_drv_tx_add_words(&f->drv, words, BATCH), BATCH);
		netpath_drv_tx_kick(&f->drv);
		assert_int_equal(netpath_be_tx_burst(&f->be, pkts, BATCH), BATCH - 1);
		for (uint32_t i = 0, k = 0; i < BATCH; i++) {
			if (i == 13)
				continue;
			assert_int_equal(pkts[k].len, 100 + i);
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]),
					 copy ? f->bounce + (size_t)k * NP_BUF_SIZE : np_buf(f, i));
			k++;
		}
		assert_int_equal(f->be.txs.malformed[NETPATH_BAD_FLAGS], 2);
		assert_int_equal(f->be.txs.drops, 2);
		assert_int_equal(f->be.txs.packets, BATCH - 1);
		assert_int_equal(f->be.txs.bytes, bytes);
		netpath_be_tx_complete(&f->be);
		assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS), BATCH + 1);
		np_free(f);
	}
}

/* ---- everything at random, against the model ---- */

/* A word for @f's region table: good (anywhere in a region, often at its
 * very end), or malformed in any way (reserved bits, len 0, just outside or
 * straddling a region, far away, the largest gpa field). */
static netpath_txw random_word(const struct ring_region *regs, uint32_t nregs, uint32_t *rng)
{
	const struct ring_region *r = &regs[vmk_xorshift32(rng) % nregs];
	uint32_t len = 1 + vmk_xorshift32(rng) % (vmk_xorshift32(rng) % 4 ? 3000 : 65535);
	if (len > r->len)
		len = (uint32_t)r->len;
	const uint64_t room = r->len - len;
	uint64_t gpa;
	switch (vmk_xorshift32(rng) % 8) {
	case 0: gpa = r->gpa + room; break;                          /* ends the region */
	case 1: gpa = r->gpa + room + 1 + vmk_xorshift32(rng) % 3; break;  /* straddles */
	case 2: gpa = r->gpa - 1 - vmk_xorshift32(rng) % 3; break;   /* just below */
	case 3: gpa = vmk_xorshift32(rng) % 3 ? GPA_MAX - vmk_xorshift32(rng) % 70000
					      : vmk_xorshift32(rng); break;
	default: gpa = r->gpa + vmk_xorshift32(rng) % (room + 1); break;
	}
	uint32_t rsvd = 0;
	switch (vmk_xorshift32(rng) % 10) {
	case 0: rsvd = 1u << (vmk_xorshift32(rng) % 8); break;
	case 1: rsvd = vmk_xorshift32(rng) & 0xff; break;
	case 2: len = 0; break;
	case 3: len = 0; rsvd = 1; break;
	default: break;
	}
	return txw(gpa & GPA_MAX, len, rsvd);
}

static void test_random_words(void **state)
{
	(void)state;
	uint32_t rng = 20261126;
	for (int setup = 0; setup < 5; setup++) {
		struct np *f = np_new_words(setup == 4 ? NETPATH_COPY : NETPATH_ZEROCOPY, NP_SLOTS);
		const uint64_t half = NP_MEM_SIZE / 2, split = NP_BUF_OFF + 8 * NP_BUF_SIZE;
		const uint64_t top = NETPATH_TXW_GPA_LIMIT - NP_MEM_SIZE;
		struct ring_region regs[2] = { f->region, f->region };
		uint32_t nregs = 1;
		if (setup == 1) {        /* two regions, the second far away */
			regs[0] = (struct ring_region){ NP_GPA_BASE, half, f->mem };
			regs[1] = (struct ring_region){ 0x7000000000ull, half, f->mem + half };
			nregs = 2;
		} else if (setup == 2) { /* a first region below 64 KiB */
			regs[0] = (struct ring_region){ NP_GPA_BASE, split, f->mem };
			regs[1] = (struct ring_region){ NP_GPA_BASE + split, NP_MEM_SIZE - split,
							f->mem + split };
			nregs = 2;
		} else if (setup == 3) { /* the top of the word's address space */
			regs[0] = (struct ring_region){ top, NP_MEM_SIZE, f->mem };
			regs[1] = f->region;
			nregs = 2;
		}
		if (setup >= 1 && setup <= 3)
			assert_int_equal(np_set_regions(f, regs, nregs), VMK_OK);
		np_pattern(f);
		for (int round = 0; round < 300; round++) {
			netpath_txw words[NP_SLOTS];
			const uint32_t n = 1 + vmk_xorshift32(&rng) % NP_SLOTS;
			const uint32_t max = 1 + vmk_xorshift32(&rng) % NETPATH_MAX_BURST;
			const bool clean = round % 4 == 0;
			for (uint32_t i = 0; i < n; i++) {
				words[i] = random_word(regs, nregs, &rng);
				const uint8_t *host;
				while (clean && oracle(f, words[i], &host) != W_GOOD)
					words[i] = random_word(regs, nregs, &rng);
			}
			check_words(f, words, n, max);
		}
		np_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txw_make),
		cmocka_unit_test(test_set_tx_format),
		cmocka_unit_test(test_set_tx_format_before_use),
		cmocka_unit_test(test_be_formats),
		cmocka_unit_test(test_word_ring_memory),
		cmocka_unit_test(test_drv_tx_add_words_ring),
		cmocka_unit_test(test_drv_add_words),
		cmocka_unit_test(test_doorbells),
		cmocka_unit_test(test_zero_copy_round_trip),
		cmocka_unit_test(test_full_empty_wrap),
		cmocka_unit_test(test_ids_wrap),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_malformed_alone),
		cmocka_unit_test(test_one_bad_anywhere),
		cmocka_unit_test(test_every_burst_size),
		cmocka_unit_test(test_mixed_batches),
		cmocka_unit_test(test_range_edge),
		cmocka_unit_test(test_good_batch_bytes),
		cmocka_unit_test(test_second_region),
		cmocka_unit_test(test_top_of_word_space),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_copy_mode),
		cmocka_unit_test(test_small_first_region),
		cmocka_unit_test(test_reserved_bit16_len0),
		cmocka_unit_test(test_random_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
