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
		cmocka_unit_test(test_rx_malformed),
		cmocka_unit_test(test_regions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
