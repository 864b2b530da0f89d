/* The wake-up protocol under real concurrency, with sides that really sleep:
 * a driver thread and a back-end thread on a small TX ring.  The back end
 * sleeps whenever the ring is empty (armed for the doorbell), the driver
 * whenever the ring is full (armed for the completion interrupt); each wakes
 * the other only through the notification the ring says to send.  A lost
 * wake-up shows as a sleep that times out although what it waited for had
 * happened; the test counts those (and every frame, in order), in both wake
 * orderings: fenced, and asymmetric with membarrier(2) as the remote fence.
 * The stress test checks payloads; this one checks liveness. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "np_fixture.h"
#include "ring_membarrier.h"
#include <vmk/xorshift.h>

#define FRAMES 60000u
#define SLOTS 16u
#define TIMEOUT_MS 2000

/* A notification: a counter under a lock, so that one sent between "arm"
 * and "sleep" is not missed by the sleeper (it compares with what it saw
 * before arming). */
struct bell {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned long rung;
};

static void bell_ring(struct bell *b)
{
	pthread_mutex_lock(&b->m);
	b->rung++;
	pthread_cond_signal(&b->c);
	pthread_mutex_unlock(&b->m);
}

static unsigned long bell_seen(struct bell *b)
{
	pthread_mutex_lock(&b->m);
	unsigned long n = b->rung;
	pthread_mutex_unlock(&b->m);
	return n;
}

/* Sleeps until the bell rings after @seen; false if it timed out. */
static bool bell_wait(struct bell *b, unsigned long seen)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += TIMEOUT_MS / 1000;
	bool rang = true;
	pthread_mutex_lock(&b->m);
	while (b->rung == seen && rang)
		rang = pthread_cond_timedwait(&b->c, &b->m, &t) == 0 || b->rung != seen;
	pthread_mutex_unlock(&b->m);
	return rang;
}

struct wake_run {
	struct np *f;
	struct bell doorbell;    /* driver -> back end: TX published */
	struct bell irq;         /* back end -> driver: TX completed */
	unsigned lost;           /* sleeps that timed out with their event there */
	unsigned disorder;       /* frames out of order */
	unsigned sleeps[2];      /* back end, driver: real sleeps taken */
};

static void wake_doorbell(void *ctx, enum netpath_queue q)
{
	if (q == NETPATH_Q_TX)
		bell_ring(&((struct wake_run *)ctx)->doorbell);
}

static void *wake_backend(void *arg)
{
	struct wake_run *w = arg;
	struct netpath_be *be = &w->f->be;
	struct netpath_pkt pkts[SLOTS];
	uint32_t seq = 0, rng = 99;
	while (seq < FRAMES) {
		uint32_t n = netpath_be_tx_burst(be, pkts, SLOTS);
		for (uint32_t i = 0; i < n; i++, seq++)
			w->disorder += pkts[i].id != (uint16_t)seq;
		if (netpath_be_tx_complete(be))
			bell_ring(&w->irq);
		if (n) {
			if (vmk_xorshift32(&rng) >> 28 == 0)
				sched_yield();   /* let the ring fill up sometimes */
			continue;
		}
		unsigned long seen = bell_seen(&w->doorbell);
		if (!ring_cons_arm(&be->tx, 1))
			continue;        /* work arrived while arming */
		w->sleeps[0]++;
		if (!bell_wait(&w->doorbell, seen) && ring_cons_poll(&be->tx))
			__atomic_fetch_add(&w->lost, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void wake_driver(struct wake_run *w)
{
	struct netpath_drv *d = &w->f->drv;
	uint32_t seq = 0, rng = 7;
	while (seq < FRAMES) {
		netpath_drv_tx_reclaim(d, NULL, SLOTS);
		uint32_t batch = 1 + vmk_xorshift32(&rng) % 8;
		uint32_t k = 0;
		for (; k < batch && seq < FRAMES; k++, seq++)
			if (netpath_drv_tx_add(d, np_buf_gpa(seq % 64), 64, 0, (uint16_t)seq))
				break;
		netpath_drv_tx_kick(d);
		if (rng >> 29 == 0)
			sched_yield();           /* let the back end go idle sometimes */
		if (k == batch || seq == FRAMES)
			continue;
		/* Full: sleep until the back end completes something. */
		unsigned long seen = bell_seen(&w->irq);
		if (!netpath_drv_tx_arm(d))
			continue;
		w->sleeps[1]++;
		if (!bell_wait(&w->irq, seen) && ring_prod_poll_done(&d->tx))
			__atomic_fetch_add(&w->lost, 1, __ATOMIC_RELAXED);
	}
}

static void run_wake(bool asym)
{
	struct wake_run w = { .doorbell = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 },
			      .irq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 } };
	w.f = np_new_slots(NETPATH_ZEROCOPY, SLOTS);
	w.f->drv.doorbell = wake_doorbell;
	w.f->drv.ctx = &w;
	if (asym) {
		assert_int_equal(ring_membarrier_init(), 0);
		netpath_be_set_remote_fence(&w.f->be, ring_membarrier, NULL);
		netpath_drv_set_remote_fence(&w.f->drv, ring_membarrier, NULL);
	}
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wake_backend, &w), 0);
	wake_driver(&w);
	pthread_join(t, NULL);
	print_message("%s: back end slept %u times, driver %u, lost %u\n",
		      asym ? "asymmetric" : "fenced", w.sleeps[0], w.sleeps[1], w.lost);
	assert_int_equal(w.lost, 0);
	assert_int_equal(w.disorder, 0);
	assert_int_equal(w.f->be.txs.packets, FRAMES);
	/* Both sides really slept, so the protocol was exercised. */
	assert_true(w.sleeps[0] > 0);
	assert_true(w.sleeps[1] > 0);
	np_free(w.f);
}

static void test_wake_fenced(void **state)
{
	(void)state;
	run_wake(false);
}

static void test_wake_asymmetric(void **state)
{
	(void)state;
	run_wake(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_fenced),
		cmocka_unit_test(test_wake_asymmetric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
