/* The back end against a hostile driver: every malformed-descriptor kind is
 * dropped and counted, and the good frame behind it still goes through.
 * The region table is the only guest memory; anything else must never be
 * handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "np_fixture.h"

/* Sends one raw descriptor, then a good one; expects exactly the good one
 * back and the bad one counted under @kind. */
static void expect_tx_drop(uint64_t gpa, uint32_t len, uint16_t flags, enum netpath_bad kind)
{
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[4];
	struct netpath_qstats tx, rx;
	netpath_drv_tx_add(&f->drv, gpa, len, flags, 1);
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 2);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_int_equal(pkts[0].id, 2);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[kind], 1);
	assert_int_equal(tx.drops, 1);
	assert_int_equal(tx.packets, 1);
	/* Both slots are released, in order. */
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 8), 2);
	np_free(f);
}

static void test_bad_addr(void **state)
{
	(void)state;
	expect_tx_drop(0, 64, 0, NETPATH_BAD_ADDR);                              /* below */
	expect_tx_drop(NP_GPA_BASE + NP_MEM_SIZE, 64, 0, NETPATH_BAD_ADDR);      /* above */
	expect_tx_drop(NP_GPA_BASE + NP_MEM_SIZE - 10, 64, 0, NETPATH_BAD_ADDR); /* straddles */
	expect_tx_drop(UINT64_MAX - 8, 64, 0, NETPATH_BAD_ADDR);                 /* wraps */
}

static void test_bad_len(void **state)
{
	(void)state;
	expect_tx_drop(np_buf_gpa(0), 0, 0, NETPATH_BAD_LEN);
	expect_tx_drop(np_buf_gpa(0), NETPATH_MAX_FRAME + 1, 0, NETPATH_BAD_LEN);
	expect_tx_drop(np_buf_gpa(0), UINT32_MAX, 0, NETPATH_BAD_LEN);
}

static void test_bad_flags(void **state)
{
	(void)state;
	expect_tx_drop(np_buf_gpa(0), 64, 0x0002, NETPATH_BAD_FLAGS);
	expect_tx_drop(np_buf_gpa(0), 64, NETPATH_DESC_F_DONE, NETPATH_BAD_FLAGS);
}

/* Writes an indirect table at buffer 50 and sends it. */
static void expect_chain_drop(const struct netpath_seg *segs, uint32_t n, enum netpath_bad kind)
{
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[4];
	memcpy(np_buf(f, 50), segs, n * sizeof(*segs));
	netpath_drv_tx_add(&f->drv, np_buf_gpa(50), n * 16, NETPATH_DESC_F_INDIRECT, 1);
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 2);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_int_equal(pkts[0].id, 2);
	assert_int_equal(f->be.txs.malformed[kind], 1);
	assert_int_equal(f->be.txs.drops, 1);
	np_free(f);
}

static void test_chain_loop(void **state)
{
	(void)state;
	struct netpath_seg self[1] = { { np_buf_gpa(1), 10, NETPATH_SEG_F_NEXT, 0 } };
	expect_chain_drop(self, 1, NETPATH_BAD_LOOP);
	struct netpath_seg three[3] = {
		{ np_buf_gpa(1), 10, NETPATH_SEG_F_NEXT, 1 },
		{ np_buf_gpa(2), 10, NETPATH_SEG_F_NEXT, 2 },
		{ np_buf_gpa(3), 10, NETPATH_SEG_F_NEXT, 1 },
	};
	expect_chain_drop(three, 3, NETPATH_BAD_LOOP);
}

static void test_chain_overlong(void **state)
{
	(void)state;
	struct netpath_seg segs[NETPATH_MAX_SEGS + 1];
	for (uint16_t i = 0; i <= NETPATH_MAX_SEGS; i++)
		segs[i] = (struct netpath_seg){ np_buf_gpa(i), 10, NETPATH_SEG_F_NEXT, (uint16_t)(i + 1) };
	segs[NETPATH_MAX_SEGS].flags = 0;
	expect_chain_drop(segs, NETPATH_MAX_SEGS + 1, NETPATH_BAD_OVERLONG);
	/* Few segments, but more bytes than a frame may have. */
	struct netpath_seg big[2] = {
		{ np_buf_gpa(0), NETPATH_MAX_FRAME, NETPATH_SEG_F_NEXT, 1 },
		{ np_buf_gpa(0), 1, 0, 0 },
	};
	expect_chain_drop(big, 2, NETPATH_BAD_OVERLONG);
}

static void test_chain_bad_next_and_segments(void **state)
{
	(void)state;
	struct netpath_seg next[2] = {
		{ np_buf_gpa(1), 10, NETPATH_SEG_F_NEXT, 2 },    /* table has 2 entries */
		{ np_buf_gpa(2), 10, 0, 0 },
	};
	expect_chain_drop(next, 2, NETPATH_BAD_NEXT);
	struct netpath_seg addr[2] = {
		{ np_buf_gpa(1), 10, NETPATH_SEG_F_NEXT, 1 },
		{ NP_GPA_BASE + NP_MEM_SIZE - 4, 10, 0, 0 },
	};
	expect_chain_drop(addr, 2, NETPATH_BAD_ADDR);
	struct netpath_seg len[1] = { { np_buf_gpa(1), 0, 0, 0 } };
	expect_chain_drop(len, 1, NETPATH_BAD_LEN);
	struct netpath_seg flags[1] = { { np_buf_gpa(1), 10, 0x80, 0 } };
	expect_chain_drop(flags, 1, NETPATH_BAD_FLAGS);
}

static void test_indirect_table_itself(void **state)
{
	(void)state;
	uint16_t ind = NETPATH_DESC_F_INDIRECT;
	expect_tx_drop(np_buf_gpa(1), 0, ind, NETPATH_BAD_LEN);
	expect_tx_drop(np_buf_gpa(1), 24, ind, NETPATH_BAD_LEN);                 /* not whole entries */
	expect_tx_drop(np_buf_gpa(1), (NETPATH_MAX_INDIRECT + 1) * 16, ind, NETPATH_BAD_LEN);
	expect_tx_drop(NP_GPA_BASE + NP_MEM_SIZE - 16, 32, ind, NETPATH_BAD_ADDR);
	expect_tx_drop(np_buf_gpa(1) + 4, 16, ind, NETPATH_BAD_ADDR);            /* misaligned */
}

/* A corrupted producer index: nothing beyond the ring is read, and the
 * back end carries on once the index is sane again. */
static void test_bad_index(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	struct netpath_qstats tx, rx;
	struct ring_shared *sh = (struct ring_shared *)(f->mem + NP_TX_RING_OFF);
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 0);
	netpath_drv_tx_kick(&f->drv);
	sh->prod = 1000;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 64), 0);
	sh->prod = 0xffffffffu;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 64), 0);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 2);
	sh->prod = 1;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 64), 1);
	/* Same on RX. */
	struct ring_shared *rsh = (struct ring_shared *)(f->mem + NP_RX_RING_OFF);
	struct netpath_iov buf;
	rsh->prod = NP_SLOTS + 1;
	assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_EAGAIN);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(rx.malformed[NETPATH_BAD_INDEX], 1);
	np_free(f);
}

/* The back end polls the producer index only when its last snapshot holds
 * fewer unread slots than the burst asks for: a corrupt index written while
 * a snapshot still covers a whole burst is not read (the snapshot's slots
 * are served), and is caught, counted and ignored by the first burst that
 * needs more.  A short snapshot is refreshed, so newly published slots are
 * never left waiting behind it. */
static void test_snapshot_reuse(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	struct netpath_qstats tx, rx;
	struct ring_shared *sh = (struct ring_shared *)(f->mem + NP_TX_RING_OFF);
	for (unsigned i = 0; i < 12; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64 + i, 0, (uint16_t)i);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 4);   /* polls: 12 */
	sh->prod = 1000;                                               /* corrupt */
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 4);   /* 8 cached */
	assert_int_equal(pkts[0].id, 4);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 4);   /* 4 cached */
	assert_int_equal(pkts[3].id, 11);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 0);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 0);   /* polls */
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 1);
	assert_int_equal(tx.packets, 12);
	/* Sane again, and a short snapshot is refreshed: 2 left in a cached
	 * snapshot, 3 more published, a burst of 4 takes 4. */
	sh->prod = 12;
	netpath_be_tx_complete(&f->be);
	netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS);
	for (unsigned i = 0; i < 2; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 100, 0, (uint16_t)(20 + i));
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 1), 1);   /* polls: 2 */
	assert_int_equal(pkts[0].id, 20);
	for (unsigned i = 0; i < 3; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 100, 0, (uint16_t)(22 + i));
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 4);   /* 1 cached < 4 */
	assert_int_equal(pkts[0].id, 21);
	assert_int_equal(pkts[3].id, 24);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_INDEX], 1);
	assert_int_equal(tx.packets, 17);
	np_free(f);
}

/* Malformed RX buffers go back to the driver marked F_ERR, in order. */
static void test_rx_malformed(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_iov buf;
	struct netpath_rx_done done[8];
	netpath_drv_rx_post(&f->drv, NP_GPA_BASE + NP_MEM_SIZE, 100, 0);   /* addr */
	netpath_drv_rx_post(&f->drv, np_buf_gpa(1), 0, 1);                 /* len */
	netpath_drv_rx_post(&f->drv, np_buf_gpa(2), 100, 2);
	netpath_drv_rx_post(&f->drv, np_buf_gpa(3), 100, 3);
	netpath_drv_rx_kick(&f->drv);
	/* Flags are for the back end to write: a driver setting them is bad. */
	struct netpath_desc *d = ring_slot(&f->drv.rx, 3);
	d->flags = NETPATH_DESC_F_INDIRECT;
	assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_OK);
	assert_ptr_equal(buf.base, np_buf(f, 2));
	netpath_be_rx_commit(&f->be, 42);
	assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_EAGAIN);
	netpath_be_rx_publish(&f->be);
	assert_int_equal(netpath_drv_rx_poll(&f->drv, done, 8), 4);
	assert_int_equal(done[0].flags, NETPATH_DESC_F_ERR);
	assert_int_equal(done[1].flags, NETPATH_DESC_F_ERR);
	assert_int_equal(done[2].flags, NETPATH_DESC_F_DONE);
	assert_int_equal(done[2].len, 42);
	assert_int_equal(done[3].flags, NETPATH_DESC_F_ERR);
	assert_int_equal(f->be.rxs.malformed[NETPATH_BAD_ADDR], 1);
	assert_int_equal(f->be.rxs.malformed[NETPATH_BAD_LEN], 1);
	assert_int_equal(f->be.rxs.malformed[NETPATH_BAD_FLAGS], 1);
	assert_int_equal(f->drv.st.rx_errors, 3);
	np_free(f);
}

/* A second region: a buffer may not straddle two regions even if they are
 * adjacent in guest-physical space (their host mappings need not be). */
static void test_regions(void **state)
{
	(void)state;
	static uint8_t a[4096], b[4096];
	struct ring_region regs[2] = { { 0x1000, sizeof(a), a }, { 0x2000, sizeof(b), b } };
	struct ring_memmap m = { regs, 2 };
	assert_ptr_equal(ring_mem_translate(&m, 0x1000, 4096), a);
	assert_ptr_equal(ring_mem_translate(&m, 0x2ff0, 16), b + 0xff0);
	assert_null(ring_mem_translate(&m, 0x1ff0, 32));
	assert_null(ring_mem_translate(&m, 0x3000, 1));
	assert_null(ring_mem_translate(&m, 0xfff, 1));
	assert_null(ring_mem_translate(&m, 0x1000, UINT64_MAX));
	assert_ptr_equal(ring_mem_translate(&m, 0x3000, 0), b + 4096);   /* empty range at the end */
}

/* The zero-copy fast path's fused checks, at their edges: accepted exactly
 * up to the last byte of guest memory and up to NETPATH_MAX_FRAME; one byte
 * beyond either is dropped. */
static void test_fast_path_edges(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[8];
	struct netpath_qstats tx, rx;
	const uint64_t end = NP_GPA_BASE + NP_MEM_SIZE;
	netpath_drv_tx_add(&f->drv, end - 64, 64, 0, 1);                          /* ok: ends at end */
	netpath_drv_tx_add(&f->drv, end - 63, 64, 0, 2);                          /* 1 byte beyond */
	netpath_drv_tx_add(&f->drv, end - NETPATH_MAX_FRAME, NETPATH_MAX_FRAME, 0, 3); /* ok */
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), NETPATH_MAX_FRAME + 1, 0, 4);  /* too long */
	netpath_drv_tx_add(&f->drv, NP_GPA_BASE - 1, 1, 0, 5);                     /* below */
	netpath_drv_tx_add(&f->drv, NP_GPA_BASE, 1, 0x80, 6);                      /* flags */
	netpath_drv_tx_add(&f->drv, NP_GPA_BASE, 1, 0, 7);                         /* ok: first byte */
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 8), 3);
	assert_int_equal(pkts[0].id, 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_at(f, end - 64));
	assert_int_equal(pkts[0].nmore, 0);
	assert_int_equal(pkts[1].id, 3);
	assert_int_equal(pkts[1].len, NETPATH_MAX_FRAME);
	assert_int_equal(pkts[2].id, 7);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[2]), f->mem);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_ADDR], 2);
	assert_int_equal(tx.malformed[NETPATH_BAD_LEN], 1);
	assert_int_equal(tx.malformed[NETPATH_BAD_FLAGS], 1);
	assert_int_equal(tx.drops, 4);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 8), 7);
	np_free(f);
}

/* Bad descriptors scattered among good ones, across the ring's wrap, taken
 * in bursts smaller than what is published (max 1, 2, 3): every good frame once, in order, every
 * bad one dropped and counted, every slot released. */
static void test_mixed_small_bursts(void **state)
{
	(void)state;
	for (uint32_t max = 1; max <= 3; max++) {
		struct np *f = np_new(NETPATH_ZEROCOPY);
		struct netpath_pkt pkts[4];
		struct netpath_qstats tx, rx;
		uint32_t good = 0, got = 0, n;
		/* Move the indices first, so that the mixed stream wraps. */
		for (unsigned i = 0; i < 50; i++)
			netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64, 0, 0);
		netpath_drv_tx_kick(&f->drv);
		while (netpath_be_tx_burst(&f->be, pkts, 4))
			;
		netpath_be_tx_complete(&f->be);
		assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 64), 50);
		for (uint16_t i = 0; i < 40; i++) {
			if (i % 3 == 1 || i % 7 == 0)
				netpath_drv_tx_add(&f->drv, 0, 64, 0, i);   /* outside memory */
			else {
				netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64 + i, 0, i);
				good++;
			}
		}
		netpath_drv_tx_kick(&f->drv);
		uint16_t expect = 0;
		while ((n = netpath_be_tx_burst(&f->be, pkts, max)) != 0) {
			assert_true(n <= max);
			for (uint32_t k = 0; k < n; k++) {
				while (expect % 3 == 1 || expect % 7 == 0)
					expect++;
				assert_int_equal(pkts[k].id, expect);
				assert_int_equal(pkts[k].len, 64 + expect);
				assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]), np_buf(f, expect));
				expect++;
			}
			got += n;
		}
		assert_int_equal(got, good);
		netpath_be_stats(&f->be, &tx, &rx);
		assert_int_equal(tx.malformed[NETPATH_BAD_ADDR], 40 - good);
		assert_int_equal(tx.packets, 50 + good);
		netpath_be_tx_complete(&f->be);
		assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 64), 40);
		np_free(f);
	}
}

/* A first region smaller than NETPATH_MAX_FRAME disables the fast path
 * (its range check relies on len <= r0.len): everything goes through the
 * general checks, and the same frames are accepted and dropped. */
static void test_small_first_region(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	/* Region 0: the rings and the first 8 buffers (< 64 KiB); region 1: the rest. */
	const uint64_t split = NP_BUF_OFF + 8 * NP_BUF_SIZE;
	struct ring_region regs[2] = {
		{ NP_GPA_BASE, split, f->mem },
		{ NP_GPA_BASE + split, NP_MEM_SIZE - split, f->mem + split },
	};
	assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
	struct netpath_pkt pkts[8];
	struct netpath_qstats tx, rx;
	netpath_drv_tx_add(&f->drv, np_buf_gpa(1), 100, 0, 1);                 /* region 0 */
	netpath_drv_tx_add(&f->drv, np_buf_gpa(7) + 2000, 100, 0, 2);          /* straddles */
	netpath_drv_tx_add(&f->drv, np_buf_gpa(20), NETPATH_MAX_FRAME, 0, 3);  /* region 1 */
	netpath_drv_tx_add(&f->drv, np_buf_gpa(1), 0, 0, 4);                   /* len 0 */
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 8), 2);
	assert_int_equal(pkts[0].id, 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 1));
	assert_int_equal(pkts[1].id, 3);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[1]), np_buf(f, 20));
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.malformed[NETPATH_BAD_ADDR], 1);
	assert_int_equal(tx.malformed[NETPATH_BAD_LEN], 1);
	np_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_addr),
		cmocka_unit_test(test_bad_len),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_chain_loop),
		cmocka_unit_test(test_chain_overlong),
		cmocka_unit_test(test_chain_bad_next_and_segments),
		cmocka_unit_test(test_indirect_table_itself),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_snapshot_reuse),
		cmocka_unit_test(test_rx_malformed),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_fast_path_edges),
		cmocka_unit_test(test_mixed_small_bursts),
		cmocka_unit_test(test_small_first_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
