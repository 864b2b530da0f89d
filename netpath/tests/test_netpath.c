/* netpath driver + back end, well-formed traffic: zero copy and copy mode,
 * batches and doorbells, full/empty, wrap-around, RX, interleaved TX/RX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "np_fixture.h"

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i);
}

static void check(const uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(p[i], (uint8_t)(seed * 31 + i));
}

static void test_version(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_be be;
	struct netpath_be_cfg cfg = { .regions = &f->region, .nregions = 1, .dev = np_dev_cfg(NP_SLOTS) };
	cfg.dev.abi_version = NETPATH_ABI_VERSION + 1;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EVERSION);
	cfg.dev = np_dev_cfg(NP_SLOTS);
	cfg.dev.tx.ring_gpa = NP_GPA_BASE + NP_MEM_SIZE - 64;   /* ring outside memory */
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EFAULT);
	cfg.dev = np_dev_cfg(NP_SLOTS);
	cfg.dev.rx.nslots = 48;
	assert_int_equal(netpath_be_init(&be, &cfg), VMK_EINVAL);
	np_free(f);
}

/* The frame the back end hands out is the guest's own buffer. */
static void test_tx_zero_copy(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[4];
	fill(np_buf(f, 3), 100, 3);
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(3), 100, 0, 77), VMK_OK);
	assert_true(netpath_drv_tx_kick(&f->drv));
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), np_buf(f, 3));
	assert_int_equal(pkts[0].len, 100);
	assert_int_equal(pkts[0].id, 77);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 8), 0);  /* still lent */
	netpath_be_tx_complete(&f->be);
	uint16_t id;
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, &id, 8), 1);
	assert_int_equal(id, 77);
	assert_int_equal(f->be.txs.copies, 0);
	assert_int_equal(f->be.txs.packets, 1);
	assert_int_equal(f->be.txs.bytes, 100);
	np_free(f);
}

static void test_tx_copy_mode(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_COPY);
	struct netpath_pkt pkts[4];
	fill(np_buf(f, 0), 1500, 9);
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 1500, 0, 1);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 4), 1);
	assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[0]), f->bounce);
	memset(np_buf(f, 0), 0, 1500);              /* guest reuses its buffer */
	check(netpath_pkt_base(&f->be, &pkts[0]), 1500, 9);
	assert_int_equal(f->be.txs.copies, 1);
	assert_int_equal(f->be.txs.copy_bytes, 1500);
	np_free(f);
}

/* One doorbell per batch, none while the back end is polling. */
static void test_tx_batch_doorbell(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	for (unsigned i = 0; i < 32; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64, 0, (uint16_t)i);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 1);
	for (unsigned i = 0; i < 8; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i + 32), 64, 0, 0);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 1);      /* back end polls */
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 64), 40);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(pkts[i].id, i);
	netpath_be_tx_complete(&f->be);
	/* The back end goes idle: it re-arms, and the next batch rings once. */
	assert_true(ring_cons_arm(&f->be.tx, 1));
	for (unsigned i = 0; i < 8; i++)
		netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64, 0, 0);
	assert_false(netpath_drv_tx_kick(&f->drv) == false);
	assert_int_equal(f->doorbells[NETPATH_Q_TX], 2);
	assert_false(netpath_drv_tx_kick(&f->drv));           /* empty kick */
	assert_int_equal(f->drv.st.tx_doorbells, 2);
	np_free(f);
}

static void test_tx_full_empty_wrap(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	uint16_t ids[NP_SLOTS];
	uint16_t next_id = 0, expect_id = 0;
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, 64), 0);   /* empty */
	for (int round = 0; round < 20; round++) {
		while (netpath_drv_tx_add(&f->drv, np_buf_gpa(next_id % 512), 60, 0, next_id) == VMK_OK)
			next_id++;
		assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(0), 60, 0, 0), VMK_ENOSPC);
		netpath_drv_tx_kick(&f->drv);
		/* Take a prime-sized burst so slot positions drift across rounds. */
		uint32_t n = netpath_be_tx_burst(&f->be, pkts, 37);
		for (uint32_t i = 0; i < n; i++)
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[i]), np_buf(f, pkts[i].id % 512));
		netpath_be_tx_complete(&f->be);
		uint32_t r = netpath_drv_tx_reclaim(&f->drv, ids, NP_SLOTS);
		assert_int_equal(r, n);
		for (uint32_t i = 0; i < r; i++)
			assert_int_equal(ids[i], expect_id++);
	}
	assert_true(f->drv.tx.head > 10 * NP_SLOTS);
	assert_int_equal(f->be.txs.drops, 0);
	np_free(f);
}

/* netpath_drv_tx_add_burst: queues what fits (across the wrap), in order,
 * with the same descriptors and counters as one add per frame. */
static void test_tx_add_burst(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_desc fr[NP_SLOTS + 8];
	struct netpath_pkt pkts[NETPATH_MAX_BURST];
	/* Move the indices so that the burst wraps. */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(i), 64, 0, (uint16_t)i), VMK_OK);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST), 5);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, 8), 5);
	for (unsigned i = 0; i < NP_SLOTS + 8; i++)
		fr[i] = (struct netpath_desc){ np_buf_gpa(i), 60 + i, 0, (uint16_t)(100 + i) };
	assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(9), 64, 0, 99), VMK_OK);
	/* One slot is filled but unpublished: NP_SLOTS - 1 fit. */
	assert_int_equal(netpath_drv_tx_add_burst(&f->drv, fr, NP_SLOTS + 8), NP_SLOTS - 1);
	assert_int_equal(netpath_drv_tx_add_burst(&f->drv, fr, 1), 0);
	assert_int_equal(f->drv.st.tx_packets, 5 + 1 + NP_SLOTS - 1);
	uint64_t bytes = 5 * 64 + 64;
	for (unsigned i = 0; i < NP_SLOTS - 1; i++)
		bytes += 60 + i;
	assert_int_equal(f->drv.st.tx_bytes, bytes);
	netpath_drv_tx_kick(&f->drv);
	uint32_t got = 0, n;
	while ((n = netpath_be_tx_burst(&f->be, pkts, NETPATH_MAX_BURST)) != 0) {
		for (uint32_t k = 0; k < n; k++, got++) {
			unsigned i = got - 1;
			if (got == 0) {
				assert_int_equal(pkts[k].id, 99);
				continue;
			}
			assert_int_equal(pkts[k].id, 100 + i);
			assert_int_equal(pkts[k].len, 60 + i);
			assert_ptr_equal(netpath_pkt_base(&f->be, &pkts[k]), np_buf(f, i));
		}
	}
	assert_int_equal(got, NP_SLOTS);
	netpath_be_tx_complete(&f->be);
	assert_int_equal(netpath_drv_tx_reclaim(&f->drv, NULL, NP_SLOTS), NP_SLOTS);
	np_free(f);
}

static void test_tx_indirect(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt p;
	struct netpath_seg *tab = (struct netpath_seg *)np_buf(f, 100);
	/* Three segments, listed out of order in the table. */
	tab[0] = (struct netpath_seg){ np_buf_gpa(1), 14, NETPATH_SEG_F_NEXT, 2 };
	tab[2] = (struct netpath_seg){ np_buf_gpa(2), 20, NETPATH_SEG_F_NEXT, 1 };
	tab[1] = (struct netpath_seg){ np_buf_gpa(3), 1000, 0, 0 };
	netpath_drv_tx_add(&f->drv, np_buf_gpa(100), 3 * 16, NETPATH_DESC_F_INDIRECT, 5);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 1);
	assert_int_equal(p.nmore, 2);
	assert_int_equal(netpath_pkt_len(&p), 1034);
	assert_ptr_equal(netpath_pkt_base(&f->be, &p), np_buf(f, 1));
	assert_int_equal(p.len, 14);
	assert_ptr_equal(p.more[0].base, np_buf(f, 2));
	assert_int_equal(p.more[0].len, 20);
	assert_ptr_equal(p.more[1].base, np_buf(f, 3));
	assert_int_equal(p.more[1].len, 1000);
	np_free(f);
}

static void test_tx_indirect_copy(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_COPY);
	struct netpath_pkt p;
	struct netpath_seg *tab = (struct netpath_seg *)np_buf(f, 100);
	fill(np_buf(f, 1), 10, 1);
	fill(np_buf(f, 2), 30, 2);
	tab[0] = (struct netpath_seg){ np_buf_gpa(1), 10, NETPATH_SEG_F_NEXT, 1 };
	tab[1] = (struct netpath_seg){ np_buf_gpa(2), 30, 0, 0 };
	netpath_drv_tx_add(&f->drv, np_buf_gpa(100), 32, NETPATH_DESC_F_INDIRECT, 5);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 1);
	assert_int_equal(p.nmore, 0);
	check(netpath_pkt_base(&f->be, &p), 10, 1);
	check((uint8_t *)netpath_pkt_base(&f->be, &p) + 10, 30, 2);
	/* A frame larger than a bounce slot is dropped, not overrun: in one
	 * segment, or in two that each fit (the whole frame counts). */
	netpath_drv_tx_add(&f->drv, np_buf_gpa(0), NP_BUF_SIZE * 2, 0, 0);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 0);
	assert_int_equal(f->be.txs.too_big, 1);
	tab[0] = (struct netpath_seg){ np_buf_gpa(1), NP_BUF_SIZE - 8, NETPATH_SEG_F_NEXT, 1 };
	tab[1] = (struct netpath_seg){ np_buf_gpa(3), 16, 0, 0 };
	netpath_drv_tx_add(&f->drv, np_buf_gpa(100), 32, NETPATH_DESC_F_INDIRECT, 6);
	netpath_drv_tx_kick(&f->drv);
	assert_int_equal(netpath_be_tx_burst(&f->be, &p, 1), 0);
	assert_int_equal(f->be.txs.too_big, 2);
	assert_int_equal(f->be.txs.copies, 1);
	np_free(f);
}

/* RX: the driver posts, the back end fills in place, writes back, and raises
 * the interrupt only if the driver armed it. */
static void test_rx_zero_copy(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_iov buf;
	struct netpath_rx_done done[8];
	assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_EAGAIN);
	for (unsigned i = 0; i < 4; i++)
		netpath_drv_rx_post(&f->drv, np_buf_gpa(10 + i), NP_BUF_SIZE, (uint16_t)(10 + i));
	netpath_drv_rx_kick(&f->drv);
	assert_true(netpath_drv_rx_arm(&f->drv));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_OK);
		assert_ptr_equal(buf.base, np_buf(f, 10 + i));
		assert_int_equal(buf.len, NP_BUF_SIZE);
		fill(buf.base, 60 + i, i);
		netpath_be_rx_commit(&f->be, 60 + i);
	}
	assert_true(netpath_be_rx_publish(&f->be));       /* interrupt */
	assert_int_equal(netpath_drv_rx_poll(&f->drv, done, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(done[i].id, 10 + i);
		assert_int_equal(done[i].len, 60 + i);
		assert_int_equal(done[i].flags, NETPATH_DESC_F_DONE);
		check(np_buf(f, 10 + i), 60 + i, i);
	}
	/* Not re-armed: the next frame raises nothing (the driver polls). */
	assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_OK);
	netpath_be_rx_commit(&f->be, 1);
	assert_false(netpath_be_rx_publish(&f->be));
	assert_int_equal(f->be.rxs.copies, 0);
	assert_int_equal(f->be.rxs.irqs, 1);
	np_free(f);
}

static void test_rx_copy_and_too_big(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_COPY);
	uint8_t frame[300];
	struct netpath_rx_done done[4];
	fill(frame, sizeof(frame), 4);
	netpath_drv_rx_post(&f->drv, np_buf_gpa(0), 200, 0);
	netpath_drv_rx_post(&f->drv, np_buf_gpa(1), NP_BUF_SIZE, 1);
	netpath_drv_rx_kick(&f->drv);
	assert_int_equal(netpath_be_rx_deliver(&f->be, frame, 300), VMK_ERANGE);
	assert_int_equal(netpath_be_rx_deliver(&f->be, frame, 300), VMK_OK);
	assert_int_equal(netpath_be_rx_deliver(&f->be, frame, 300), VMK_EAGAIN);
	netpath_be_rx_publish(&f->be);
	assert_int_equal(netpath_drv_rx_poll(&f->drv, done, 4), 2);
	assert_int_equal(done[0].flags, NETPATH_DESC_F_ERR);
	assert_int_equal(done[0].len, 0);
	assert_int_equal(done[1].len, 300);
	check(np_buf(f, 1), 300, 4);
	assert_int_equal(f->be.rxs.copies, 1);
	assert_int_equal(f->be.rxs.too_big, 1);
	assert_int_equal(f->be.rxs.drops, 2);
	np_free(f);
}

/* Publishing stops at the oldest buffer the device still holds. */
static void test_rx_partial_publish(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_iov buf;
	struct netpath_rx_done done[4];
	for (unsigned i = 0; i < 3; i++)
		netpath_drv_rx_post(&f->drv, np_buf_gpa(i), 100, (uint16_t)i);
	netpath_drv_rx_kick(&f->drv);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_OK);
	netpath_be_rx_commit(&f->be, 500);               /* clamped to capacity */
	netpath_be_rx_publish(&f->be);
	assert_int_equal(netpath_drv_rx_poll(&f->drv, done, 4), 1);
	assert_int_equal(done[0].len, 100);
	netpath_be_rx_commit(&f->be, 10);
	netpath_be_rx_commit(&f->be, 20);
	netpath_be_rx_commit(&f->be, 30);                /* none pending: ignored */
	netpath_be_rx_publish(&f->be);
	assert_int_equal(netpath_drv_rx_poll(&f->drv, done, 4), 2);
	assert_int_equal(done[1].len, 20);
	np_free(f);
}

/* TX and RX in lock-step, as an echo: every frame sent comes back. */
static void test_interleaved(void **state)
{
	(void)state;
	struct np *f = np_new(NETPATH_ZEROCOPY);
	struct netpath_pkt pkts[8];
	struct netpath_rx_done done[8];
	struct netpath_iov buf;
	unsigned sent = 0, got = 0;
	for (unsigned i = 0; i < 32; i++)
		netpath_drv_rx_post(&f->drv, np_buf_gpa(256 + i), NP_BUF_SIZE, (uint16_t)(256 + i));
	netpath_drv_rx_kick(&f->drv);
	for (int round = 0; round < 100; round++) {
		for (unsigned k = 0; k < 1u + (unsigned)round % 5; k++, sent++) {
			fill(np_buf(f, sent % 128), 64 + sent % 50, sent);
			assert_int_equal(netpath_drv_tx_add(&f->drv, np_buf_gpa(sent % 128), 64 + sent % 50, 0, 0), 0);
		}
		netpath_drv_tx_kick(&f->drv);
		uint32_t n = netpath_be_tx_burst(&f->be, pkts, 8);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(netpath_be_rx_take(&f->be, &buf), VMK_OK);
			memcpy(buf.base, netpath_pkt_base(&f->be, &pkts[i]), pkts[i].len);
			netpath_be_rx_commit(&f->be, pkts[i].len);
		}
		netpath_be_tx_complete(&f->be);
		netpath_be_rx_publish(&f->be);
		netpath_drv_tx_reclaim(&f->drv, NULL, 64);
		uint32_t r = netpath_drv_rx_poll(&f->drv, done, 8);
		for (uint32_t i = 0; i < r; i++, got++) {
			assert_int_equal(done[i].len, 64 + got % 50);
			check(np_buf(f, done[i].id), done[i].len, got);
			netpath_drv_rx_post(&f->drv, np_buf_gpa(done[i].id), NP_BUF_SIZE, done[i].id);
		}
		netpath_drv_rx_kick(&f->drv);
	}
	assert_int_equal(got, sent);
	assert_int_equal(f->be.txs.drops + f->be.rxs.drops, 0);
	np_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_tx_zero_copy),
		cmocka_unit_test(test_tx_copy_mode),
		cmocka_unit_test(test_tx_batch_doorbell),
		cmocka_unit_test(test_tx_full_empty_wrap),
		cmocka_unit_test(test_tx_add_burst),
		cmocka_unit_test(test_tx_indirect),
		cmocka_unit_test(test_tx_indirect_copy),
		cmocka_unit_test(test_rx_zero_copy),
		cmocka_unit_test(test_rx_copy_and_too_big),
		cmocka_unit_test(test_rx_partial_publish),
		cmocka_unit_test(test_interleaved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
