/* pthreads play CPUs.  Each thread polls its "IPI" (a flag the fake
 * send_ipi sets) and keeps a model TLB: a table of cached page versions
 * that only it fills and only its flush hooks clear.  Threads read pages
 * of the address spaces they use (joining the ASID's CPU set first, as a
 * CPU joins an mm's), and change pages (bump their version in the model
 * page table) followed by a shootdown to the ASID's set.  After every
 * shootdown the initiator checks that no CPU still caches an older version
 * of what it changed, and that its IPI went to exactly the set minus
 * itself.  At the end each CPU's flushes must equal what was asked of it.
 *
 *   smp_stress_test [ROUNDS]   rounds per thread (default 20000)
 * The TSan build runs it with fewer rounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smp_tlb.h"
#include <vmk/xorshift.h>

#define NCPU 4
#define NASID 6
#define NPAGES 8          /* pages per address space in the model */
#define THRESHOLD 4       /* batches of more pages flush the ASID */
#define TIMEOUT_NS 10000000000ull   /* a hang fails the test, it does not hang it */

/* Which CPUs ever use each ASID: one CPU, pairs, all. */
static const uint64_t asid_users[NASID] = { 0xf, 0x1, 0x2, 0x3, 0xc, 0x5 };

static unsigned long rounds = 20000;
static _Thread_local unsigned my_cpu;

struct cpu_model {
	_Alignas(64) uint32_t ipi;        /* set by send_ipi, cleared by the owner */
	_Alignas(64) uint64_t tlb[NASID][NPAGES];  /* 0: not cached; owner writes */
	/* Owner only. */
	unsigned long flush_page, flush_asid, flush_all;
	unsigned long sends, self_sends;
	struct smp_cpuset last_sent;
	unsigned long shootdowns, stale, bad_sent, errors;
	/* What this CPU, as initiator, asked of each CPU. */
	unsigned long want_page[NCPU], want_asid[NCPU], want_all[NCPU];
	uint32_t rng;
};

static struct model {
	struct smp s;
	uint64_t pt[NASID][NPAGES];       /* page versions, bumped seq_cst */
	uint64_t asid_cpus[NASID];        /* CPUs that may cache the ASID; never shrinks */
	struct cpu_model cpu[NCPU];
	uint32_t done;                    /* threads past their rounds */
	uint64_t fake_clock;              /* now() when use_fake_clock */
	bool use_fake_clock;
	uint32_t stop;                    /* ends the pollers of the small tests */
} *m;

static void model_send_ipi(void *ctx, const struct smp_cpuset *set)
{
	struct cpu_model *c = &m->cpu[my_cpu];
	unsigned cpu;

	(void)ctx;
	c->sends++;
	c->self_sends += smp_cpuset_has(set, my_cpu);
	c->last_sent = *set;
	smp_cpuset_for_each(cpu, set)
		__atomic_store_n(&m->cpu[cpu].ipi, 1, __ATOMIC_RELEASE);
}

static void model_flush_page(void *ctx, uint32_t asid, uintptr_t va)
{
	struct cpu_model *c = &m->cpu[my_cpu];

	(void)ctx;
	if (asid < NASID && (va >> 12) < NPAGES)
		__atomic_store_n(&c->tlb[asid][va >> 12], 0, __ATOMIC_RELAXED);
	else
		c->errors++;
	c->flush_page++;
}

static void model_clear(struct cpu_model *c, uint32_t asid)
{
	unsigned p;

	for (p = 0; p < NPAGES; p++)
		__atomic_store_n(&c->tlb[asid][p], 0, __ATOMIC_RELAXED);
}

static void model_flush_asid(void *ctx, uint32_t asid)
{
	(void)ctx;
	if (asid < NASID)
		model_clear(&m->cpu[my_cpu], asid);
	m->cpu[my_cpu].flush_asid++;
}

static void model_flush_all(void *ctx)
{
	uint32_t a;

	(void)ctx;
	for (a = 0; a < NASID; a++)
		model_clear(&m->cpu[my_cpu], a);
	m->cpu[my_cpu].flush_all++;
}

static void model_pause(void *ctx)
{
	(void)ctx;
	sched_yield();   /* more threads than cores: let the target run */
}

static unsigned model_this_cpu(void *ctx)
{
	(void)ctx;
	return my_cpu;
}

static uint64_t model_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (__atomic_load_n(&m->use_fake_clock, __ATOMIC_RELAXED))
		return __atomic_load_n(&m->fake_clock, __ATOMIC_ACQUIRE);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct smp_ops model_ops = {
	model_send_ipi, model_flush_page, model_flush_asid, model_flush_all,
	model_pause, model_this_cpu, model_now, NULL,
};

static int model_setup(void **state)
{
	struct smp_config cfg;
	unsigned cpu;

	m = aligned_alloc(64, (sizeof(*m) + 63) & ~(size_t)63);
	if (!m)
		return -1;
	memset(m, 0, sizeof(*m));
	smp_config_default(&cfg, NCPU);
	cfg.tlb_full_threshold = THRESHOLD;
	if (smp_init(&m->s, &model_ops, &cfg) != VMK_OK)
		return -1;
	for (cpu = 0; cpu < NCPU; cpu++) {
		m->cpu[cpu].rng = 0x9e3779b9u * (cpu + 1);
		if (smp_cpu_set_online(&m->s, cpu, true) != VMK_OK)
			return -1;
	}
	*state = m;
	return 0;
}

static int model_teardown(void **state)
{
	free(*state);
	return 0;
}

static uint32_t rnd(struct cpu_model *c)
{
	return vmk_xorshift32(&c->rng);
}

/* Take the "IPI" if it is there: what the vmkernel's vector does. */
static void poll_ipi(void)
{
	if (__atomic_load_n(&m->cpu[my_cpu].ipi, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&m->cpu[my_cpu].ipi, 0, __ATOMIC_ACQUIRE))
		smp_handle_ipi(&m->s);
}

/* A read through the TLB: join the ASID's set, then fill from the page
 * table if not cached (seq_cst against the initiator's bump-then-read). */
static void touch(uint32_t a, unsigned p)
{
	uint64_t bit = (uint64_t)1 << my_cpu;
	uint64_t *t = &m->cpu[my_cpu].tlb[a][p];

	if (!(__atomic_load_n(&m->asid_cpus[a], __ATOMIC_RELAXED) & bit))
		__atomic_fetch_or(&m->asid_cpus[a], bit, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(t, __ATOMIC_RELAXED))
		__atomic_store_n(t, __atomic_load_n(&m->pt[a][p], __ATOMIC_SEQ_CST),
				 __ATOMIC_RELAXED);
}

static uint32_t pick_asid(struct cpu_model *c)
{
	uint32_t a;

	do
		a = rnd(c) % NASID;
	while (!(asid_users[a] & ((uint64_t)1 << my_cpu)));
	return a;
}

/* Bump the pages a request will name; want[p] is the version page p must
 * have reached everywhere once the shootdown returns (0: not changed). */
static void build_request(struct cpu_model *c, uint32_t a, uint64_t *want,
			  struct smp_tlb_req *r)
{
	uint32_t x = rnd(c);
	unsigned mask = (x >> 8) & ((1u << NPAGES) - 1), p;

	if (x % 10 < 2) {
		mask = (1u << NPAGES) - 1;
		if (x % 10 == 0)
			smp_tlb_req_all(r);
		else
			smp_tlb_req_asid(r, a);
	} else {
		smp_tlb_req_pages(r, a);
		mask = mask ? mask : 1;
	}
	for (p = 0; p < NPAGES; p++) {
		if (!(mask & (1u << p)))
			continue;
		want[p] = __atomic_fetch_add(&m->pt[a][p], 1, __ATOMIC_SEQ_CST) + 1;
		if (smp_tlb_req_add(r, (uintptr_t)p << 12) != VMK_OK)
			c->errors++;
	}
}

/* Exactly one IPI send, to the set minus the caller, or none. */
static void check_sent(struct cpu_model *c, const struct smp_cpuset *set, unsigned long sends)
{
	struct smp_cpuset others = *set;

	smp_cpuset_del(&others, my_cpu);
	if (smp_cpuset_empty(&others))
		c->bad_sent += c->sends != sends;
	else
		c->bad_sent += c->sends != sends + 1 || !smp_cpuset_equal(&c->last_sent, &others);
}

/* No CPU may still cache a version older than what we wrote. */
static void check_stale(struct cpu_model *c, uint32_t a, const uint64_t *want)
{
	unsigned cpu, p;
	uint64_t v;

	for (cpu = 0; cpu < NCPU; cpu++)
		for (p = 0; p < NPAGES; p++) {
			v = __atomic_load_n(&m->cpu[cpu].tlb[a][p], __ATOMIC_RELAXED);
			c->stale += want[p] && v && v < want[p];
		}
}

static void account(struct cpu_model *c, const struct smp_cpuset *set,
		    const struct smp_tlb_req *r)
{
	unsigned cpu;

	smp_cpuset_for_each(cpu, set) {
		if (r->kind == SMP_TLB_ALL)
			c->want_all[cpu]++;
		else if (r->kind == SMP_TLB_ASID || r->npages > THRESHOLD)
			c->want_asid[cpu]++;
		else
			c->want_page[cpu] += r->npages;
	}
}

static void change(struct cpu_model *c, uint32_t a)
{
	uint64_t want[NPAGES] = { 0 };
	struct smp_cpuset set, missing;
	struct smp_tlb_req r;
	unsigned long sends = c->sends;

	build_request(c, a, want, &r);
	smp_cpuset_zero(&set);
	set.w[0] = __atomic_load_n(&m->asid_cpus[a], __ATOMIC_SEQ_CST);
	if (smp_tlb_shootdown(&m->s, &set, &r, TIMEOUT_NS, &missing) != VMK_OK)
		c->errors++;
	/* Nobody has used the ASID yet: nothing to do, nothing counted. */
	c->shootdowns += !smp_cpuset_empty(&set);
	check_sent(c, &set, sends);
	check_stale(c, a, want);
	account(c, &set, &r);
}

/* Past its rounds a CPU keeps answering until every CPU is done. */
static void finish(unsigned nthreads)
{
	__atomic_fetch_add(&m->done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&m->done, __ATOMIC_ACQUIRE) < nthreads) {
		poll_ipi();
		sched_yield();
	}
}

static pthread_barrier_t start;

/* A thread becomes CPU @arg and starts with the others. */
static struct cpu_model *become_cpu(void *arg)
{
	my_cpu = (unsigned)(uintptr_t)arg;
	pthread_barrier_wait(&start);
	return &m->cpu[my_cpu];
}

static void *mixed_worker(void *arg)
{
	struct cpu_model *c = become_cpu(arg);
	unsigned long i;

	for (i = 0; i < rounds; i++) {
		poll_ipi();
		touch(pick_asid(c), rnd(c) % NPAGES);
		if (rnd(c) % 4 == 0)
			change(c, pick_asid(c));
	}
	finish(NCPU);
	return NULL;
}

/* Two CPUs shoot each other down back to back and take their IPI only
 * inside the library (interrupts off): the one queued for the call lock
 * must answer the holder, or both hang. */
static void *crossfire_worker(void *arg)
{
	struct cpu_model *c = become_cpu(arg);
	unsigned long i;

	for (i = 0; i < rounds / 4; i++) {
		touch(3, rnd(c) % NPAGES);
		change(c, 3);
	}
	finish(2);
	return NULL;
}

static void run_threads(unsigned n, void *(*fn)(void *))
{
	pthread_t t[NCPU];
	uintptr_t i;

	assert_int_equal(pthread_barrier_init(&start, NULL, n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, (void *)i), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&start);
}

/* Each CPU flushed exactly what the initiators asked of it, and the
 * library's counters agree. */
static void check_totals(unsigned n)
{
	unsigned long shootdowns = 0, requests = 0, ipis = 0, handled = 0;
	unsigned cpu, i;

	for (cpu = 0; cpu < n; cpu++) {
		struct cpu_model *c = &m->cpu[cpu];
		unsigned long page = 0, asid = 0, all = 0;
		struct smp_stats st;

		assert_int_equal(c->stale + c->bad_sent + c->errors + c->self_sends, 0);
		for (i = 0; i < n; i++) {
			page += m->cpu[i].want_page[cpu];
			asid += m->cpu[i].want_asid[cpu];
			all += m->cpu[i].want_all[cpu];
		}
		assert_int_equal(c->flush_page, page);
		assert_int_equal(c->flush_asid, asid);
		assert_int_equal(c->flush_all, all);
		smp_cpu_stats(&m->s, cpu, &st);
		assert_int_equal(st.tlb_pages, page);
		assert_int_equal(st.tlb_full, asid + all);
		assert_int_equal(st.timeouts, 0);
		shootdowns += c->shootdowns;
		requests += st.tlb_requests;
		ipis += st.ipis;
		handled += st.handled;
	}
	assert_int_equal(requests, shootdowns);
	assert_int_equal(handled, ipis);
	print_message("%lu shootdowns, %lu IPIs\n", shootdowns, ipis);
}

static void test_stress_mixed(void **state)
{
	(void)state;
	run_threads(NCPU, mixed_worker);
	check_totals(NCPU);
}

static void test_crossfire(void **state)
{
	(void)state;
	/* Both in the set from the first call: each one IPIs the other. */
	m->asid_cpus[3] = 0x3;
	run_threads(2, crossfire_worker);
	check_totals(2);
}

static void *poller(void *arg)
{
	my_cpu = (unsigned)(uintptr_t)arg;
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		poll_ipi();
		sched_yield();
	}
	return NULL;
}

static void start_poller(pthread_t *t, unsigned cpu)
{
	__atomic_store_n(&m->stop, 0, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(t, NULL, poller, (void *)(uintptr_t)cpu), 0);
}

static void stop_poller(pthread_t t)
{
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* CPU 1 answers, CPU 2 is hung: the shootdown returns ETIMEDOUT naming 2;
 * 2 keeps its stale entry until it takes its IPI, then flushes it all. */
static void test_hung_cpu(void **state)
{
	struct smp_cpuset set = { { 0x7 } }, missing, want = { { 0x4 } };
	struct smp_tlb_req r;
	struct smp_stats st;
	pthread_t t;

	(void)state;
	m->cpu[1].tlb[0][1] = 5;
	m->cpu[2].tlb[0][1] = 5;
	my_cpu = 0;
	start_poller(&t, 1);
	smp_tlb_req_pages(&r, 0);
	smp_tlb_req_add(&r, 1u << 12);
	assert_int_equal(smp_tlb_shootdown(&m->s, &set, &r, 20000000, &missing), VMK_ETIMEDOUT);
	stop_poller(t);
	assert_true(smp_cpuset_equal(&missing, &want));
	assert_int_equal(m->cpu[1].flush_page, 1);
	assert_int_equal(m->cpu[1].tlb[0][1], 0);
	assert_int_equal(m->cpu[2].flush_page + m->cpu[2].flush_all, 0);
	assert_int_equal(m->cpu[2].tlb[0][1], 5);
	smp_cpu_stats(&m->s, 0, &st);
	assert_int_equal(st.timeouts, 1);
	/* CPU 2 wakes up and takes the IPI that was left pending. */
	my_cpu = 2;
	poll_ipi();
	assert_int_equal(m->cpu[2].flush_all, 1);
	assert_int_equal(m->cpu[2].flush_page, 0);
	assert_int_equal(m->cpu[2].tlb[0][1], 0);
	/* And answers the next one. */
	my_cpu = 0;
	start_poller(&t, 2);
	assert_int_equal(smp_tlb_shootdown(&m->s, &want, &r, 20000000000ull, &missing), VMK_OK);
	stop_poller(t);
	assert_int_equal(m->cpu[2].flush_page, 1);
}

static void slow_fn(struct smp *s, unsigned cpu, void *arg)
{
	(void)s;
	(void)cpu;
	/* The initiator's deadline passes while we run. */
	__atomic_store_n(&m->fake_clock, 1000, __ATOMIC_RELEASE);
	usleep(20000);
	*(int *)arg = 1;
}

/* A CPU that claimed the call before the deadline is waited for, not
 * reported: the call succeeds. */
static void test_claimed_call_waited_for(void **state)
{
	struct smp_cpuset set = { { 0x2 } }, missing;
	struct smp_stats st;
	pthread_t t;
	int ran = 0;

	(void)state;
	m->use_fake_clock = true;
	my_cpu = 0;
	start_poller(&t, 1);
	assert_int_equal(smp_call(&m->s, &set, slow_fn, &ran, 10, &missing), VMK_OK);
	stop_poller(t);
	assert_int_equal(ran, 1);
	assert_true(smp_cpuset_empty(&missing));
	smp_cpu_stats(&m->s, 0, &st);
	assert_int_equal(st.timeouts, 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, model_setup, model_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_stress_mixed),
		T(test_crossfire),
		T(test_hung_cpu),
		T(test_claimed_call_waited_for),
	};

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
