/* Two threads, one per side, bounded by a frame count (never by time):
 * every frame carries its sequence number and a checksum of its payload, so
 * a lost, duplicated, reordered or torn frame fails the test.  Both sides
 * re-arm notifications when they find nothing to do, which exercises the
 * wake protocol under real concurrency.  TX runs with either slot format
 * (descriptors, words). */
#include <pthread.h>
#include <sched.h>
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

#define FRAMES 100000u
#define NBUFS 256u   /* TX buffers 0..255, RX buffers 256..511 */

struct hdr {
	uint32_t seq;
	uint32_t len;
	uint32_t sum;
};


static uint32_t checksum(const uint8_t *p, uint32_t len)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Writes a frame of 12..NP_BUF_SIZE bytes with a random payload. */
static uint32_t make_frame(uint8_t *p, uint32_t seq, uint32_t *rng)
{
	uint32_t len = sizeof(struct hdr) + vmk_xorshift32(rng) % (NP_BUF_SIZE - sizeof(struct hdr) + 1);
	uint8_t *pay = p + sizeof(struct hdr);
	for (uint32_t i = 0; i < len - sizeof(struct hdr); i++)
		pay[i] = (uint8_t)vmk_xorshift32(rng);
	struct hdr h = { seq, len, checksum(pay, len - sizeof(struct hdr)) };
	memcpy(p, &h, sizeof(h));
	return len;
}

/* Counted rather than asserted: cmocka may only fail from the main thread. */
static unsigned bad_frames;

static void check_frame(const uint8_t *p, uint32_t len, uint32_t seq)
{
	struct hdr h;
	memcpy(&h, p, sizeof(h));
	if (len < sizeof(h) || h.seq != seq || h.len != len ||
	    h.sum != checksum(p + sizeof(h), len - sizeof(h)))
		__atomic_fetch_add(&bad_frames, 1, __ATOMIC_RELAXED);
}

/* ---- TX: driver thread produces, back-end thread checks ---- */

static void *tx_backend(void *arg)
{
	struct np *f = arg;
	struct netpath_pkt pkts[32];
	uint32_t seq = 0;
	while (seq < FRAMES) {
		uint32_t n = netpath_be_tx_burst(&f->be, pkts, 32);
		for (uint32_t i = 0; i < n; i++, seq++) {
			check_frame(netpath_pkt_base(&f->be, &pkts[i]), pkts[i].len, seq);
			/* A word frame has no cookie: its id is 0. */
			if (pkts[i].nmore != 0 || (f->be.tx_words && pkts[i].id != 0))
				__atomic_fetch_add(&bad_frames, 1, __ATOMIC_RELAXED);
		}
		netpath_be_tx_complete(&f->be);
		if (n == 0 && ring_cons_arm(&f->be.tx, 1))
			sched_yield();   /* a real back end would sleep here */
	}
	return NULL;
}

/* The driver finds a reclaimed frame's buffer from its id: the buffer
 * number itself on a descriptor ring (the cookie), or, on a word ring,
 * where it noted the buffer under the frame's ring index (all the id is). */
static void stress_tx(uint32_t format)
{
	struct np *f = np_new_fmt(NETPATH_ZEROCOPY, 64, format);
	pthread_t t;
	uint32_t rng = 12345, seq = 0, batches = 0;
	uint16_t ids[64];
	uint32_t free_bufs[NBUFS], nfree = NBUFS;
	uint32_t slot_buf[64];      /* word ring: buffer of ring index & 63 */
	uint32_t reclaimed = 0, bad_ids = 0;
	const bool words = format == NETPATH_FMT_WORD;
	bad_frames = 0;
	for (uint32_t i = 0; i < NBUFS; i++)
		free_bufs[i] = i;
	assert_int_equal(pthread_create(&t, NULL, tx_backend, f), 0);
	while (seq < FRAMES) {
		uint32_t r = netpath_drv_tx_reclaim(&f->drv, ids, 64);
		for (uint32_t i = 0; i < r; i++, reclaimed++) {
			/* Word ring: the ids are the ring indices, in order.
			 * Counted: the back-end thread still runs. */
			bad_ids += words && ids[i] != (uint16_t)reclaimed;
			free_bufs[nfree++] = words ? slot_buf[ids[i] % 64] : ids[i];
		}
		uint32_t batch = 1 + vmk_xorshift32(&rng) % 32;
		for (uint32_t k = 0; k < batch && nfree && seq < FRAMES; k++, seq++) {
			uint32_t b = free_bufs[--nfree];
			uint32_t len = make_frame(np_buf(f, b), seq, &rng);
			if (netpath_drv_tx_add(&f->drv, np_buf_gpa(b), len, 0, (uint16_t)b)) {
				free_bufs[nfree++] = b;
				break;
			}
			/* Queued in order from index 0: seq is its ring index. */
			slot_buf[seq % 64] = b;
		}
		batches += netpath_drv_tx_kick(&f->drv) || true;
	}
	pthread_join(t, NULL);
	assert_int_equal(bad_frames, 0);
	assert_int_equal(bad_ids, 0);
	assert_int_equal(f->be.txs.packets, FRAMES);
	assert_int_equal(f->be.txs.drops, 0);
	assert_true(f->drv.st.tx_doorbells <= batches);
	np_free(f);
}

static void test_stress_tx(void **state)
{
	(void)state;
	stress_tx(NETPATH_FMT_DESC);
}

static void test_stress_tx_words(void **state)
{
	(void)state;
	stress_tx(NETPATH_FMT_WORD);
}

/* ---- RX: back-end thread fills posted buffers, driver thread checks ---- */

static void *rx_backend(void *arg)
{
	struct np *f = arg;
	struct netpath_iov buf;
	uint32_t rng = 777, seq = 0;
	while (seq < FRAMES) {
		uint32_t k = 0;
		for (; k < 16 && seq < FRAMES; k++, seq++) {
			if (netpath_be_rx_take(&f->be, &buf))
				break;
			/* Frames never exceed the buffer the driver posted. */
			netpath_be_rx_commit(&f->be, make_frame(buf.base, seq, &rng));
		}
		netpath_be_rx_publish(&f->be);
		if (k == 0)
			sched_yield();
	}
	return NULL;
}

static void test_stress_rx(void **state)
{
	(void)state;
	struct np *f = np_new_slots(NETPATH_ZEROCOPY, 64);
	struct netpath_rx_done done[32];
	pthread_t t;
	uint32_t seq = 0;
	bad_frames = 0;
	for (uint32_t i = 0; i < 64; i++)
		netpath_drv_rx_post(&f->drv, np_buf_gpa(NBUFS + i), NP_BUF_SIZE, (uint16_t)(NBUFS + i));
	netpath_drv_rx_kick(&f->drv);
	assert_int_equal(pthread_create(&t, NULL, rx_backend, f), 0);
	while (seq < FRAMES) {
		uint32_t n = netpath_drv_rx_poll(&f->drv, done, 32);
		for (uint32_t i = 0; i < n; i++, seq++) {
			assert_int_equal(done[i].flags, NETPATH_DESC_F_DONE);
			check_frame(np_buf(f, done[i].id), done[i].len, seq);
			netpath_drv_rx_post(&f->drv, np_buf_gpa(done[i].id), NP_BUF_SIZE, done[i].id);
		}
		netpath_drv_rx_kick(&f->drv);
		if (n == 0 && netpath_drv_rx_arm(&f->drv))
			sched_yield();
	}
	pthread_join(t, NULL);
	assert_int_equal(bad_frames, 0);
	assert_int_equal(f->drv.st.rx_packets, FRAMES);
	assert_int_equal(f->be.rxs.drops, 0);
	np_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_tx),
		cmocka_unit_test(test_stress_tx_words),
		cmocka_unit_test(test_stress_rx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
