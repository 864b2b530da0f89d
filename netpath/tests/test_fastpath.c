/* The zero-copy TX loop's batch validation (netpath_zc_pass and its fix-up):
 * a run of descriptors is checked with two accumulators (lengths and flags
 * OR'd, the highest start) and one test, and a run that fails is
 * re-examined entry by entry from the values the pass stored.  These tests
 * put bad descriptors of every kind at every kind of position in full
 * bursts of 32 and check that the result is what the per-descriptor checks
 * give: the good frames, in order, with their own pointer, length and id;
 * the bad ones dropped and counted by kind; the byte counter exact; every
 * slot released. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "np_fixture.h"

#define BATCH 32u

struct bad_case {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;
	uint16_t id;
	enum netpath_bad kind;
};

static const struct bad_case bad_cases[] = {
	{ NP_GPA_BASE - 1, 1, 0, 1, NETPATH_BAD_ADDR },            /* one byte below */
	{ 0, 64, 0, 2, NETPATH_BAD_ADDR },                          /* far below */
	{ NP_GPA_BASE + NP_MEM_SIZE - 63, 64, 0, 3, NETPATH_BAD_ADDR },  /* one byte beyond */
	{ NP_GPA_BASE + NP_MEM_SIZE, 1, 0, 4, NETPATH_BAD_ADDR },   /* just above */
	{ UINT64_MAX - 8, 64, 0, 5, NETPATH_BAD_ADDR },             /* wraps */
	{ UINT64_MAX, NETPATH_MAX_FRAME, 0, 0xffff, NETPATH_BAD_ADDR },
	{ NP_GPA_BASE + 4096, 0, 0, 0, NETPATH_BAD_LEN },           /* len 0, id 0 */
	{ NP_GPA_BASE + 4096, 0, 0, 0xffff, NETPATH_BAD_LEN },      /* len 0, id borrows */
	{ NP_GPA_BASE + 4096, NETPATH_MAX_FRAME + 1, 0, 6, NETPATH_BAD_LEN },
	{ NP_GPA_BASE + 4096, UINT32_MAX, 0, 7, NETPATH_BAD_LEN },
	{ NP_GPA_BASE + 4096, 64, 0x0080, 8, NETPATH_BAD_FLAGS },
	{ NP_GPA_BASE + 4096, 64, NETPATH_DESC_F_DONE, 9, NETPATH_BAD_FLAGS },
	{ NP_GPA_BASE + 4096, 64, 0xffff, 0xffff, NETPATH_BAD_FLAGS },  /* w + 2^32 carries */
	{ NP_GPA_BASE + 4096, 0, 0xffff, 0, NETPATH_BAD_FLAGS },
	{ NP_GPA_BASE + 4096, 24, NETPATH_DESC_F_INDIRECT, 10, NETPATH_BAD_LEN },  /* table size */
	{ NP_GPA_BASE + 4100, 16, NETPATH_DESC_F_INDIRECT, 11, NETPATH_BAD_ADDR }, /* misaligned */
};

/* Good frame @i of a batch: its own buffer, length and id (ids near 0xffff
 * too, so that the pass's word sum carries out of the id bits). */
static uint32_t good_len(uint32_t i) { return 60 + 37 * i; }
static uint16_t good_id(uint32_t i) { return (uint16_t)(0xfff0u + i); }

/* Publishes a batch of 32 with @bc at @pos (if bc), starting at ring index
 * @skip (moved there first, so that the batch may wrap), bursts it with
 * @max, and checks everything. */
static void run_batch(const struct bad_case *bc, uint32_t pos, uint32_t skip, uint32_t max)
{
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	struct netpath_qstats tx, rx;
	for (uint32_t i = 0; i < skip; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 64, 0, 0);
	netpath_drv_tx_kick(&f->drv);
	while (netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST))
		;
	netpath_be_tx_complete(&f->be);
	netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS);
	netpath_be_stats(&f->be, &tx, &rx);
	const uint64_t pk0 = tx.packets, by0 = tx.bytes;

	uint64_t good_bytes = 0;
	uint32_t good = 0;
	for (uint32_t i = 0; i < BATCH; i++) {
		if (bc && i == pos) {
			netpath_drv_tx_add(&f->drv, bc->gpa, bc->len, bc->flags, bc->id);
			continue;
		}
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), good_len(i), 0, good_id(i));
		good_bytes += good_len(i);
		good++;
	}
	netpath_drv_tx_kick(&f->drv);

	uint32_t got = 0, n, i = 0;
	while ((n = netpath_be_tx_burst(&f->be, pkts, max)) != 0) {
		assert_true(n <= max);
		for (uint32_t k = 0; k < n; k++, i++) {
			if (bc && i == pos)
				i++;
			assert_int_equal(pkts[k].id, good_id(i));
			assert_int_equal(pkts[k].len, good_len(i));
			assert_int_equal(pkts[k].nmore, 0);
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]), np_buf(f, i));
		}
		got += n;
	}
	assert_int_equal(got, good);
	netpath_be_stats(&f->be, &tx, &rx);
	assert_int_equal(tx.packets - pk0, good);
	assert_int_equal(tx.bytes - by0, good_bytes);
	assert_int_equal(tx.drops, bc ? 1 : 0);
	for (unsigned k = 0; k < NETPATH_BAD_KINDS; k++)
		assert_int_equal(tx.malformed[k], bc && k == bc->kind ? 1 : 0);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS), BATCH);
	np_free(f);
}

/* Every bad kind at the first, second, middle, next-to-last and last place
 * of a burst of 32, in one contiguous run and across the ring's wrap (the
 * batch then has two runs: 14 slots, then 18). */
static void test_one_bad_anywhere(void **state)
{
	(void)state;
	static const uint32_t where[] = { 0, 1, 13, 14, 16, 30, 31 };
	for (size_t c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++)
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
			run_batch(&bad_cases[c], where[w], 0, BATCH);
			run_batch(&bad_cases[c], where[w], NP_SLOTS - 14, BATCH);
		}
}

/* Bursts smaller than the batch, with a bad descriptor inside: each burst
 * still fills up while good ones are published, and the frames come in
 * order. */
static void test_small_bursts_fill_up(void **state)
{
	(void)state;
	static const uint32_t maxes[] = { 1, 3, 8, 31 };
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		run_batch(NULL, 0, 0, maxes[m]);
		run_batch(&bad_cases[0], 7, 0, maxes[m]);
		run_batch(&bad_cases[6], 0, NP_SLOTS - 3, maxes[m]);
	}
}

/* Every burst size up to the batch: runs of 1 to 32, so that the pass
 * enters its first block of 8 at each of its 8 entry points and goes on
 * for 0 to 3 more blocks; clean, and with a bad descriptor last in the
 * first run (the run's last entry is checked too), from ring indices that
 * make some runs wrap. */
static void test_every_burst_size(void **state)
{
	(void)state;
	const size_t ncases = sizeof(bad_cases) / sizeof(bad_cases[0]);
	for (uint32_t max = 1; max <= BATCH; max++) {
		run_batch(NULL, 0, NP_SLOTS - max % 7, max);
		run_batch(&bad_cases[max % ncases], max - 1, max % 3, max);
	}
}

/* Only good frames: no fix-up, and the byte sum from the words is exact even
 * at NETPATH_MAX_FRAME with every id at 0xffff. */
static void test_good_batch_bytes(void **state)
{
	(void)state;
	run_batch(NULL, 0, 0, BATCH);
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	for (uint32_t i = 0; i < BATCH; i++)
		netpath_drv_tx_add(&f->drv, NP_GPA_BASE + (uint64_t)i * 4096, NETPATH_MAX_FRAME,
				   0, 0xffff);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, BATCH), BATCH);
	for (uint32_t i = 0; i < BATCH; i++) {
		assert_int_equal(pkts[i].len, NETPATH_MAX_FRAME);
		assert_int_equal(pkts[i].id, 0xffff);
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), f->mem + (size_t)i * 4096);
	}
	assert_int_equal(f->be.txs.bytes, (uint64_t)BATCH * NETPATH_MAX_FRAME);
	assert_int_equal(f->be.txs.drops, 0);
	np_free(f);
}

/* Frames of unequal lengths in the last 64 KiB of the first region can fail
 * the pass's range test (highest start + longest length, rounded up to the
 * lengths' OR, within r0), which is stricter than the exact one; the
 * fix-up accepts them all, up to the last byte. */
static void test_tail_of_first_region(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	const uint64_t end = NP_GPA_BASE + NP_MEM_SIZE;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < BATCH; i++) {
		/* Alternately low in memory and within the last 64 KiB. */
		uint64_t gpa = i & 1 ? end - NETPATH_MAX_FRAME + 2000 * i : np_buf_gpa(i);
		uint32_t len = i == BATCH - 1 ? (uint32_t)(end - gpa) : 100 + i;
		netpath_drv_tx_add(&f->drv, gpa, len, 0, (uint16_t)i);
		bytes += len;
	}
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, BATCH), BATCH);
	for (uint32_t i = 0; i < BATCH; i++) {
		uint64_t gpa = i & 1 ? end - NETPATH_MAX_FRAME + 2000 * i : np_buf_gpa(i);
		assert_int_equal(pkts[i].id, i);
		assert_int_equal(pkts[i].nmore, 0);
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), np_at(f, gpa));
	}
	assert_int_equal(pkts[BATCH - 1].len, end - (end - NETPATH_MAX_FRAME + 2000 * (BATCH - 1)));
	assert_int_equal(f->be.txs.bytes, bytes);
	assert_int_equal(f->be.txs.drops, 0);
	np_free(f);
}

/* The pass's range test at its edge: a burst of 32 frames of one length,
 * one of them (at @pos) ending exactly at the end of the first region, or
 * @beyond bytes past it.  The test bounds every frame by the highest start
 * and the lengths' OR, so with equal lengths it must be exact: the last
 * byte of r0 is accepted, one byte more is dropped as BAD_ADDR, and the
 * other 31 frames go through either way. */
static void range_edge(uint32_t len, uint32_t pos, uint32_t beyond)
{
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	const uint64_t end = NP_GPA_BASE + NP_MEM_SIZE;
	for (uint32_t i = 0; i < BATCH; i++)
		netpath_drv_tx_add(&f->drv, i == pos ? end - len + beyond : np_buf_gpa(i), len, 0,
				   (uint16_t)i);
	netpath_drv_tx_kick(&f->drv);
	const uint32_t good = beyond ? BATCH - 1 : BATCH;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, BATCH), good);
	for (uint32_t i = 0, k = 0; i < BATCH; i++) {
		if (beyond && i == pos)
			continue;
		assert_int_equal(pkts[k].id, i);
		assert_int_equal(pkts[k].len, len);
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]),
				 i == pos ? np_at(f, end - len) : np_buf(f, i));
		k++;
	}
	assert_int_equal(f->be.txs.bytes, (uint64_t)good * len);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], beyond ? 1 : 0);
	assert_int_equal(f->be.txs.drops, beyond ? 1 : 0);
	np_free(f);
}

static void test_pass_range_edge(void **state)
{
	(void)state;
	/* 1500 has bits in both bytes of len - 1; 64 KiB is every bit. */
	static const uint32_t lens[] = { 1, 64, 1500, 4096, NETPATH_MAX_FRAME };
	static const uint32_t where[] = { 0, 13, 31 };
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
			range_edge(lens[l], where[w], 0);
			range_edge(lens[l], where[w], 1);
		}
}

/* What the fix-up hands to the general checks and they accept: a frame in a
 * second region (its guest-physical address is recovered from the pointer
 * the pass stored) and an indirect frame, among bad descriptors, with the
 * good frames around them compacted in order. */
static void test_fixup_keeps_slow_frames(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	/* Region 0: the first half of the block (>= 64 KiB, so the batch loop
	 * runs); region 1: the second half, far away in guest-physical space. */
	const uint64_t half = NP_MEM_SIZE / 2, far = 0x7000000000ull;
	struct ring_region regs[2] = {
		{ NP_GPA_BASE, half, f->mem },
		{ far, half, f->mem + half },
	};
	assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
	struct netpath_seg segs[2] = {
		{ np_buf_gpa(40), 10, NETPATH_SEG_F_NEXT, 1 },
		{ far + 100, 30, 0, 0 },
	};
	memcpy(np_buf(f, 50), segs, sizeof(segs));
	uint64_t expect_bytes = 0;
	for (uint16_t i = 0; i < BATCH; i++) {
		if (i == 3)
			netpath_drv_tx_add(&f->drv, far + 4096, 1000, 0, 0xffff);        /* region 1 */
		else if (i == 4)
			netpath_drv_tx_add(&f->drv, np_buf_gpa(50), 32, NETPATH_DESC_F_INDIRECT, 4);
		else if (i == 5 || i == 9)
			netpath_drv_tx_add(&f->drv, far + half - 10, 64, 0, i);          /* beyond r1 */
		else if (i == 6)
			netpath_drv_tx_add(&f->drv, NP_GPA_BASE + half - 8, 16, 0, i);  /* r0 into r1 */
		else
			netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 100 + i, 0, i);
	}
	netpath_drv_tx_kick(&f->drv);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, BATCH), BATCH - 3);
	uint32_t k = 0;
	for (uint16_t i = 0; i < BATCH; i++) {
		if (i == 5 || i == 9 || i == 6)
			continue;
		struct netpath_pkt *p = &pkts[k++];
		if (i == 3) {
			assert_int_equal(p->id, 0xffff);
			assert_int_equal(p->nmore, 0);
			assert_int_equal(p->len, 1000);
			assert_ptr_equal(netpath_pkt_base(&f->be, p), f->mem + half + 4096);
			expect_bytes += 1000;
		} else if (i == 4) {
			assert_int_equal(p->id, 4);
			assert_int_equal(p->nmore, 1);
			assert_int_equal(netpath_pkt_len(p), 40);
			assert_ptr_equal(netpath_pkt_base(&f->be, p), np_buf(f, 40));
			assert_int_equal(p->len, 10);
			assert_ptr_equal(p->more[0].base, f->mem + half + 100);
			assert_int_equal(p->more[0].len, 30);
			expect_bytes += 40;
		} else {
			assert_int_equal(p->id, i);
			assert_int_equal(p->nmore, 0);
			assert_int_equal(p->len, 100 + i);
			assert_ptr_equal(netpath_pkt_base(&f->be, p), np_buf(f, i));
			expect_bytes += 100 + i;
		}
	}
	assert_int_equal(f->be.txs.bytes, expect_bytes);
	assert_int_equal(f->be.txs.packets, BATCH - 3);
	assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], 3);
	assert_int_equal(f->be.txs.drops, 3);
	np_free(f);
}

/* The batch loop is used only when the first region holds any legal frame;
 * one byte less and every descriptor takes the general checks, with the same
 * results. */
static void test_first_region_just_too_small(void **state)
{
	(void)state;
	for (uint64_t r0 = NETPATH_MAX_FRAME - 1; r0 <= NETPATH_MAX_FRAME; r0++) {
		struct np *f = np_new(NETPATH_ZEROCOPY);
		struct ring_region regs[2] = {
			{ NP_GPA_BASE, r0, f->mem },
			{ NP_GPA_BASE + r0, NP_MEM_SIZE - r0, f->mem + r0 },
		};
		assert_int_equal(np_set_regions(f, regs, 2), VMK_OK);
		assert_int_equal(f->be.r0_len_lim, r0 >= NETPATH_MAX_FRAME ? NETPATH_MAX_FRAME : 0);
		struct netpath_pkt pkts[8];
		netpath_drv_tx_add(&f->drv, NP_GPA_BASE + r0 - 64, 64, 0, 1);    /* end of r0 */
		netpath_drv_tx_add(&f->drv, NP_GPA_BASE + r0 - 32, 64, 0, 2);    /* straddles */
		netpath_drv_tx_add(&f->drv, NP_GPA_BASE + r0, 64, 0, 3);         /* start of r1 */
		netpath_drv_tx_kick(&f->drv);
		assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 8), 2);
		assert_int_equal(pkts[0].id, 1);
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), f->mem + r0 - 64);
		assert_int_equal(pkts[1].id, 3);
		assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[1]), f->mem + r0);
		assert_int_equal(f->be.txs.malformed[NETPATH_BAD_ADDR], 1);
		np_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_bad_anywhere),
		cmocka_unit_test(test_small_bursts_fill_up),
		cmocka_unit_test(test_every_burst_size),
		cmocka_unit_test(test_good_batch_bytes),
		cmocka_unit_test(test_tail_of_first_region),
		cmocka_unit_test(test_pass_range_edge),
		cmocka_unit_test(test_fixup_keeps_slow_frames),
		cmocka_unit_test(test_first_region_just_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
