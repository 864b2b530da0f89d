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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved_bit16_len0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
