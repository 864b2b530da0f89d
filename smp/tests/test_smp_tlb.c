/* Shootdown on the single-threaded fake machine: each CPU of the set
 * flushes exactly what was asked, only the others get an IPI, batches,
 * the full-flush threshold, and the flush owed after a timeout. */
#include "smp_fake.h"
#include "smp_tlb.h"

#include <stdlib.h>
#include <vmk/xorshift.h>

static const uintptr_t pages3[3] = { 0x1000, 0x2000, 0x7ffff3abc };

static void req_of(struct smp_tlb_req *r, uint32_t asid, const uintptr_t *va, unsigned n)
{
	unsigned i;

	smp_tlb_req_pages(r, asid);
	for (i = 0; i < n; i++)
		assert_int_equal(smp_tlb_req_add(r, va[i]), VMK_OK);
}

/* @cpu's recorded flushes are exactly @r's pages, in order. */
static void assert_flushed_pages(struct smp_fake *f, unsigned cpu, const struct smp_tlb_req *r)
{
	unsigned i, k = 0;

	for (i = 0; i < f->nflush; i++) {
		if (f->flush[i].cpu != cpu)
			continue;
		assert_true(k < r->npages);
		assert_int_equal(f->flush[i].op, FAKE_PAGE);
		assert_int_equal(f->flush[i].asid, r->asid);
		assert_int_equal(f->flush[i].va, r->va[k]);
		k++;
	}
	assert_int_equal(k, r->npages);
}

static void test_pages_exact(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x5), other = smp_fake_set(0x4);
	struct smp_tlb_req r;
	struct smp_stats st;

	req_of(&r, 7, pages3, 3);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, SMP_WAIT_FOREVER, NULL), VMK_OK);
	assert_flushed_pages(f, 0, &r);
	assert_flushed_pages(f, 2, &r);
	assert_int_equal(f->nflush, 6);
	assert_int_equal(f->nsends, 1);
	assert_true(smp_cpuset_equal(&f->sent[0], &other));
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.tlb_requests, 1);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.ipis, 1);
	assert_int_equal(st.tlb_pages, 3);
	assert_int_equal(st.tlb_full, 0);
	smp_cpu_stats(&f->s, 2, &st);
	assert_int_equal(st.tlb_requests, 0);
	assert_int_equal(st.tlb_pages, 3);
	assert_int_equal(st.handled, 1);
	smp_cpu_stats(&f->s, 1, &st);
	assert_int_equal(st.tlb_pages + st.handled, 0);
}

/* The caller changed a mapping it does not cache: it flushes nothing. */
static void test_initiator_outside_set(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0xa);
	struct smp_tlb_req r;

	req_of(&r, 1, pages3, 2);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	assert_int_equal(smp_fake_count(f, 0, FAKE_PAGE), 0);
	assert_flushed_pages(f, 1, &r);
	assert_flushed_pages(f, 3, &r);
	assert_true(smp_cpuset_equal(&f->sent[0], &set));
}

static void test_batch_dedup(void **state)
{
	struct smp_tlb_req r;

	(void)state;
	smp_tlb_req_pages(&r, 3);
	assert_int_equal(smp_tlb_req_add(&r, 0x5000), VMK_OK);
	assert_int_equal(smp_tlb_req_add(&r, 0x5fff), VMK_OK);   /* same page */
	assert_int_equal(smp_tlb_req_add(&r, 0x6000), VMK_OK);
	assert_int_equal(r.npages, 2);
	assert_int_equal(r.kind, SMP_TLB_PAGES);
	smp_tlb_req_asid(&r, 3);
	assert_int_equal(smp_tlb_req_add(&r, 0x9000), VMK_OK);   /* covered */
	assert_int_equal(r.npages, 0);
	assert_int_equal(r.kind, SMP_TLB_ASID);
}

/* A batch that fills up becomes a flush of its whole ASID. */
static void test_batch_overflow(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x3);
	struct smp_tlb_req r;
	unsigned i;

	smp_tlb_req_pages(&r, 9);
	for (i = 0; i <= SMP_TLB_MAX_PAGES; i++)
		assert_int_equal(smp_tlb_req_add(&r, (uintptr_t)i << 12), VMK_OK);
	assert_int_equal(r.kind, SMP_TLB_ASID);
	assert_int_equal(r.asid, 9);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	assert_int_equal(f->nflush, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->flush[i].op, FAKE_ASID);
		assert_int_equal(f->flush[i].asid, 9);
	}
}

/* Up to the threshold, page by page; above it, one ASID flush. */
static void test_threshold(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x3);
	struct smp_tlb_req r;
	struct smp_stats st;
	unsigned i;

	smp_tlb_req_pages(&r, 4);
	for (i = 0; i < SMP_TLB_FULL_DEFAULT; i++)
		smp_tlb_req_add(&r, (uintptr_t)(i + 1) << 12);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	assert_int_equal(smp_fake_count(f, 0, FAKE_PAGE), SMP_TLB_FULL_DEFAULT);
	assert_int_equal(smp_fake_count(f, 1, FAKE_PAGE), SMP_TLB_FULL_DEFAULT);
	smp_tlb_req_add(&r, 0x100000);
	f->nflush = 0;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	assert_int_equal(f->nflush, 2);
	assert_int_equal(smp_fake_count(f, 0, FAKE_ASID), 1);
	assert_int_equal(smp_fake_count(f, 1, FAKE_ASID), 1);
	smp_cpu_stats(&f->s, 1, &st);
	assert_int_equal(st.tlb_pages, SMP_TLB_FULL_DEFAULT);
	assert_int_equal(st.tlb_full, 1);
}

/* Threshold 0: every batch is a full flush of its ASID. */
static void test_threshold_zero(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x1);
	struct smp_ops ops = smp_fake_ops;
	struct smp_config cfg;
	struct smp_tlb_req r;

	ops.ctx = f;
	smp_config_default(&cfg, 4);
	cfg.tlb_full_threshold = 0;
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_OK);
	assert_int_equal(smp_cpu_set_online(&f->s, 0, true), VMK_OK);
	req_of(&r, 2, pages3, 1);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	assert_int_equal(f->nflush, 1);
	assert_int_equal(f->flush[0].op, FAKE_ASID);
}

static void test_flush_all(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0xf);
	struct smp_tlb_req r;
	struct smp_stats st;
	unsigned cpu;

	smp_tlb_req_all(&r);
	f->cur = 3;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 100, NULL), VMK_OK);
	for (cpu = 0; cpu < 4; cpu++) {
		assert_int_equal(smp_fake_count(f, cpu, FAKE_ALL), 1);
		smp_cpu_stats(&f->s, cpu, &st);
		assert_int_equal(st.tlb_full, 1);
	}
	assert_int_equal(f->nflush, 4);
	set = smp_fake_set(0x7);
	assert_true(smp_cpuset_equal(&f->sent[0], &set));
}

/* Nothing to flush: no IPI, no request counted. */
static void test_empty_batch(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0xf);
	struct smp_tlb_req r;
	struct smp_stats st;

	smp_tlb_req_pages(&r, 1);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 0, NULL), VMK_OK);
	assert_int_equal(f->nsends + f->nflush, 0);
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.tlb_requests, 0);
}

static void test_bad_requests(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x3), missing = smp_fake_set(1);
	struct smp_tlb_req r;

	smp_tlb_req_pages(&r, 1);
	r.kind = 3;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 0, &missing), VMK_EINVAL);
	assert_true(smp_cpuset_empty(&missing));
	assert_int_equal(smp_tlb_req_add(&r, 0x1000), VMK_EINVAL);
	smp_tlb_req_pages(&r, 1);
	r.npages = SMP_TLB_MAX_PAGES + 1;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 0, NULL), VMK_EINVAL);
	smp_tlb_req_asid(&r, 1);
	r.npages = 1;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 0, NULL), VMK_EINVAL);
	assert_int_equal(smp_tlb_shootdown(&f->s, NULL, &r, 0, NULL), VMK_EINVAL);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, NULL, 0, NULL), VMK_EINVAL);
	assert_int_equal(smp_tlb_req_add(NULL, 0), VMK_EINVAL);
	assert_int_equal(f->nsends + f->nflush, 0);
}

/* CPU 2 never answers: it is reported, and owes a full flush that it
 * does when its IPI is finally taken; CPU 1 is not charged one. */
static void test_timeout_owes_flush(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x7), missing, want = smp_fake_set(0x4);
	struct smp_tlb_req r;
	struct smp_stats st;

	smp_cpuset_del(&f->answering, 2);
	req_of(&r, 5, pages3, 3);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 20, &missing), VMK_ETIMEDOUT);
	assert_true(smp_cpuset_equal(&missing, &want));
	assert_flushed_pages(f, 0, &r);
	assert_flushed_pages(f, 1, &r);
	assert_int_equal(smp_fake_count(f, 2, FAKE_PAGE) + smp_fake_count(f, 2, FAKE_ALL), 0);
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(f->s.cpu[2].mb.owe_flush, 1);
	assert_int_equal(f->s.cpu[1].mb.owe_flush, 0);
	/* The request itself is gone (the caller's stack may be reused). */
	r.kind = 0xdead;
	assert_int_equal(smp_fake_deliver(f, 2), 0);
	assert_int_equal(smp_fake_count(f, 2, FAKE_ALL), 1);
	assert_int_equal(smp_fake_count(f, 2, FAKE_PAGE), 0);
	smp_cpu_stats(&f->s, 2, &st);
	assert_int_equal(st.tlb_full, 1);
	assert_int_equal(st.handled, 0);
	/* Paid once. */
	assert_int_equal(smp_fake_deliver(f, 2), 0);
	assert_int_equal(smp_fake_count(f, 2, FAKE_ALL), 1);
	assert_int_equal(smp_fake_count(f, 1, FAKE_ALL), 0);
}

/* CPU 2 as a slow handler: it claims whatever is posted to it and is still
 * running it until the fake clock passes f->until. */
static void cpu2_slow(struct smp_fake *f)
{
	struct smp_mailbox *mb = &f->s.cpu[2].mb;
	uint64_t w = __atomic_load_n(&mb->word, __ATOMIC_ACQUIRE);

	if ((w & SMP_MB_STATE) == SMP_MB_POSTED)
		__atomic_store_n(&mb->word, (w & ~SMP_MB_STATE) | SMP_MB_RUNNING,
				 __ATOMIC_RELEASE);
	else if ((w & SMP_MB_STATE) == SMP_MB_RUNNING && f->clock > f->until)
		__atomic_store_n(&mb->word, w & ~SMP_MB_STATE, __ATOMIC_RELEASE);
}

/* A CPU that still owes a full flush from a shootdown that gave up on it
 * claims the next one, but too late for that initiator: withdrawing the
 * second must not wipe the debt of the first. */
static void test_owed_flush_survives_late_claim(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x4), missing;
	struct smp_tlb_req r;

	smp_cpuset_del(&f->answering, 2);
	req_of(&r, 5, pages3, 1);
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 20, &missing), VMK_ETIMEDOUT);
	assert_int_equal(f->s.cpu[2].mb.owe_flush, 1);
	f->on_pause = cpu2_slow;
	f->until = f->clock + 20;
	assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 20, &missing), VMK_OK);
	assert_int_equal(f->s.cpu[2].mb.owe_flush, 1);
	f->on_pause = NULL;
	assert_int_equal(smp_fake_count(f, 2, FAKE_ALL), 0);
	smp_fake_deliver(f, 2);
	assert_int_equal(smp_fake_count(f, 2, FAKE_ALL), 1);
	assert_int_equal(f->s.cpu[2].mb.owe_flush, 0);
}

/* Random callers, sets and batches: the IPIs go to exactly the set minus
 * the caller (one send, or none), and every CPU of the set, and no other,
 * flushes exactly the batch. */
static void test_random_exact_sets(void **state)
{
	struct smp_fake *f = *state;
	uint32_t x = 12345;
	unsigned round, cpu, i;

	for (round = 0; round < 2000; round++) {
		struct smp_cpuset set, others;
		struct smp_tlb_req r;
		unsigned n;

		vmk_xorshift32(&x);
		f->cur = (x >> 8) % 4;
		set = smp_fake_set((x >> 12) & 0xf);
		n = 1 + (x >> 20) % SMP_TLB_FULL_DEFAULT;
		smp_tlb_req_pages(&r, (x >> 4) & 0xf);
		for (i = 0; i < n; i++)
			smp_tlb_req_add(&r, ((uintptr_t)round << 20) + ((uintptr_t)i << 12));
		f->nsends = 0;
		f->nflush = 0;
		assert_int_equal(smp_tlb_shootdown(&f->s, &set, &r, 1000, NULL), VMK_OK);
		others = set;
		smp_cpuset_del(&others, f->cur);
		assert_int_equal(f->nsends, smp_cpuset_empty(&others) ? 0 : 1);
		if (f->nsends)
			assert_true(smp_cpuset_equal(&f->sent[0], &others));
		for (cpu = 0; cpu < 4; cpu++) {
			if (smp_cpuset_has(&set, cpu))
				assert_flushed_pages(f, cpu, &r);
			else
				assert_int_equal(smp_fake_count(f, cpu, FAKE_PAGE), 0);
		}
		assert_true(smp_cpuset_empty(&f->ipi_pending));
	}
}

#define T(t) cmocka_unit_test_setup_teardown(t, smp_fake_setup, smp_fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pages_exact),
		T(test_initiator_outside_set),
		T(test_batch_dedup),
		T(test_batch_overflow),
		T(test_threshold),
		T(test_threshold_zero),
		T(test_flush_all),
		T(test_empty_batch),
		T(test_bad_requests),
		T(test_timeout_owes_flush),
		T(test_owed_flush_survives_late_claim),
		T(test_random_exact_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
