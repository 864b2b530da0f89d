/* Cross-call semantics on the single-threaded fake machine (4 CPUs): who
 * runs the function, who gets an IPI, what is refused, and the bounded
 * wait with a CPU that never answers. */
#include "smp_fake.h"

#include <stdlib.h>

/* What a call did: the CPUs that ran it, in order, and how many IPIs had
 * been sent by then. */
struct trace {
	unsigned n;
	unsigned cpu[16];
	unsigned sends_before[16];
	int nested_err[16];   /* what a nested call from the function got */
	bool try_nested;
};

static void record_fn(struct smp *s, unsigned cpu, void *arg)
{
	struct smp_fake *f = (struct smp_fake *)s;
	struct trace *t = arg;
	struct smp_cpuset one = smp_fake_set(1u << ((cpu + 1) % 4));

	assert_int_equal(cpu, f->cur);
	assert_true(t->n < 16);
	t->cpu[t->n] = cpu;
	t->sends_before[t->n] = f->nsends;
	if (t->try_nested)
		t->nested_err[t->n] = smp_call(s, &one, record_fn, t, 10, NULL);
	t->n++;
}

static bool ran_on(const struct trace *t, unsigned cpu)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (t->cpu[i] == cpu)
			return true;
	return false;
}

static void assert_mailboxes_idle(struct smp_fake *f)
{
	unsigned cpu;

	for (cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		assert_int_equal(f->s.cpu[cpu].mb.word & 3, 0);
	assert_false(smp_spin_is_locked(&f->s.call_lock));
}

static void test_init_rejects(void **state)
{
	struct smp_fake *f = *state;
	struct smp_ops ops = smp_fake_ops;
	struct smp_config cfg;

	smp_config_default(&cfg, 4);
	assert_int_equal(cfg.tlb_full_threshold, SMP_TLB_FULL_DEFAULT);
	assert_int_equal(smp_init(NULL, &ops, &cfg), VMK_EINVAL);
	assert_int_equal(smp_init(&f->s, NULL, &cfg), VMK_EINVAL);
	assert_int_equal(smp_init(&f->s, &ops, NULL), VMK_EINVAL);
	cfg.ncpus = 0;
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_EINVAL);
	cfg.ncpus = SMP_MAX_CPUS + 1;
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_EINVAL);
	smp_config_default(&cfg, 4);
	cfg.tlb_full_threshold = SMP_TLB_MAX_PAGES + 1;
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_EINVAL);
	smp_config_default(&cfg, 4);
	ops.now = NULL;
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_EINVAL);
	ops = smp_fake_ops;
	ops.ctx = f;
	smp_config_default(&cfg, SMP_MAX_CPUS);
	assert_int_equal(smp_init(&f->s, &ops, &cfg), VMK_OK);
	assert_int_equal(smp_cpu_set_online(&f->s, SMP_MAX_CPUS, true), VMK_EINVAL);
}

static void test_remote_only(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x6);   /* CPUs 1, 2 */
	struct trace t = { 0 };
	struct smp_stats st;

	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, SMP_WAIT_FOREVER, NULL), VMK_OK);
	assert_int_equal(t.n, 2);
	assert_true(ran_on(&t, 1) && ran_on(&t, 2));
	assert_int_equal(f->nsends, 1);
	assert_true(smp_cpuset_equal(&f->sent[0], &set));
	assert_int_equal(f->sender[0], 0);
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.ipis, 2);
	assert_int_equal(st.handled, 0);
	smp_cpu_stats(&f->s, 1, &st);
	assert_int_equal(st.calls, 0);
	assert_int_equal(st.handled, 1);
	assert_mailboxes_idle(f);
}

/* The caller runs its part itself, after the IPIs to the others are out. */
static void test_caller_in_set(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset all = smp_fake_set(0xf), others = smp_fake_set(0xd);
	struct trace t = { 0 };
	unsigned i;

	f->cur = 1;
	assert_int_equal(smp_call(&f->s, &all, record_fn, &t, SMP_WAIT_FOREVER, NULL), VMK_OK);
	assert_int_equal(t.n, 4);
	assert_int_equal(f->nsends, 1);
	assert_true(smp_cpuset_equal(&f->sent[0], &others));
	assert_int_equal(f->sender[0], 1);
	for (i = 0; i < t.n; i++)
		if (t.cpu[i] == 1)
			assert_int_equal(t.sends_before[i], 1);
	assert_mailboxes_idle(f);
}

/* Only the caller: it runs there, no IPI, the call lock is not touched. */
static void test_self_only(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset me = smp_fake_set(0x4);
	uint32_t tickets = f->s.call_lock.next;
	struct trace t = { 0 };
	struct smp_stats st;

	f->cur = 2;
	assert_int_equal(smp_call(&f->s, &me, record_fn, &t, 0, NULL), VMK_OK);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.cpu[0], 2);
	assert_int_equal(f->nsends, 0);
	assert_int_equal(f->s.call_lock.next, tickets);
	smp_cpu_stats(&f->s, 2, &st);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.ipis, 0);
}

static void test_empty_set(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset none = smp_fake_set(0);
	struct trace t = { 0 };
	struct smp_stats st;

	assert_int_equal(smp_call(&f->s, &none, record_fn, &t, 0, NULL), VMK_OK);
	assert_int_equal(t.n, 0);
	assert_int_equal(f->nsends, 0);
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.calls, 0);
}

/* An offline or non-existent CPU: ENOENT, nothing sent, nothing run, and
 * @missing names exactly those CPUs. */
static void test_offline_cpu(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x7), missing, want, online;
	struct trace t = { 0 };

	assert_int_equal(smp_cpu_set_online(&f->s, 2, false), VMK_OK);
	smp_online(&f->s, &online);
	want = smp_fake_set(0xb);
	assert_true(smp_cpuset_equal(&online, &want));
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 100, &missing), VMK_ENOENT);
	want = smp_fake_set(0x4);
	assert_true(smp_cpuset_equal(&missing, &want));
	set = smp_fake_set(0x22);   /* CPU 5 does not exist (ncpus 4) */
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 100, &missing), VMK_ENOENT);
	want = smp_fake_set(0x20);
	assert_true(smp_cpuset_equal(&missing, &want));
	set = smp_fake_set(0x4);    /* the caller's own part is no exception */
	f->cur = 0;
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 100, NULL), VMK_ENOENT);
	assert_int_equal(t.n, 0);
	assert_int_equal(f->nsends, 0);
	assert_int_equal(smp_cpu_set_online(&f->s, 2, true), VMK_OK);
	set = smp_fake_set(0x7);
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 100, &missing), VMK_OK);
	assert_true(smp_cpuset_empty(&missing));
	assert_int_equal(t.n, 3);
}

static void test_bad_args(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x2), missing = smp_fake_set(0xff);
	struct trace t = { 0 };
	struct smp_stats st;

	assert_int_equal(smp_call(&f->s, NULL, record_fn, &t, 0, &missing), VMK_EINVAL);
	assert_true(smp_cpuset_empty(&missing));
	assert_int_equal(smp_call(&f->s, &set, NULL, &t, 0, NULL), VMK_EINVAL);
	assert_int_equal(smp_call(NULL, &set, record_fn, &t, 0, NULL), VMK_EINVAL);
	f->cur = 4;   /* a CPU the library was not told about */
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 0, NULL), VMK_EINVAL);
	assert_int_equal(smp_handle_ipi(&f->s), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(f->nsends, 0);
	smp_cpu_stats(&f->s, 4, &st);
	assert_int_equal(st.calls + st.handled, 0);
}

/* A call from inside a call is refused on the target and on the caller's
 * own part; the outer call still completes. */
static void test_nested_refused(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x3);
	struct trace t = { .try_nested = true };
	unsigned i;

	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, SMP_WAIT_FOREVER, NULL), VMK_OK);
	assert_int_equal(t.n, 2);
	for (i = 0; i < t.n; i++)
		assert_int_equal(t.nested_err[i], VMK_EPERM);
	assert_int_equal(f->nsends, 1);
	assert_mailboxes_idle(f);
}

static void online_fn(struct smp *s, unsigned cpu, void *arg)
{
	(void)cpu;
	*(int *)arg = smp_cpu_set_online(s, 3, false);
}

/* Taking a CPU offline from a call would wait for the call lock its own
 * initiator holds: refused. */
static void test_online_from_call_refused(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x2);
	int err = 1;

	assert_int_equal(smp_call(&f->s, &set, online_fn, &err, SMP_WAIT_FOREVER, NULL), VMK_OK);
	assert_int_equal(err, VMK_EPERM);
	assert_true(smp_cpuset_has(&f->s.online, 3));
}

/* CPU 3 never answers: ETIMEDOUT after the timeout, @missing = {3}, the
 * others ran the call, and 3 never will, even when it wakes up. */
static void test_timeout(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0xe), missing, want = smp_fake_set(0x8);
	struct trace t = { 0 };
	struct smp_stats st;

	smp_cpuset_del(&f->answering, 3);
	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 50, &missing), VMK_ETIMEDOUT);
	assert_true(smp_cpuset_equal(&missing, &want));
	assert_int_equal(t.n, 2);
	assert_false(ran_on(&t, 3));
	assert_true(f->clock >= 50 && f->clock <= 52);
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.timeouts, 1);
	assert_mailboxes_idle(f);
	/* The IPI arrives late: the call was withdrawn; a plain call owes
	 * no flush either. */
	assert_true(smp_cpuset_has(&f->ipi_pending, 3));
	assert_int_equal(smp_fake_deliver(f, 3), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(f->nflush, 0);
	/* 3 is usable again. */
	smp_cpuset_add(&f->answering, 3);
	assert_int_equal(smp_call(&f->s, &want, record_fn, &t, 50, &missing), VMK_OK);
	assert_true(smp_cpuset_empty(&missing));
	assert_true(ran_on(&t, 3));
	smp_cpu_stats(&f->s, 0, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.calls, 2);
}

/* A timeout of 0 looks once: CPUs that have not answered by then (here
 * none, since they answer only while the caller pauses) are withdrawn. */
static void test_timeout_zero(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x6), missing;
	struct trace t = { 0 };

	assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 0, &missing), VMK_ETIMEDOUT);
	assert_true(smp_cpuset_equal(&missing, &set));
	assert_int_equal(t.n, 0);
	assert_int_equal(f->pauses, 0);
	assert_int_equal(smp_fake_deliver(f, 1), 0);
	assert_int_equal(smp_fake_deliver(f, 2), 0);
	assert_int_equal(t.n, 0);
}

/* Sequence numbers: each call posts a new one; an IPI with nothing posted
 * runs nothing. */
static void test_sequence(void **state)
{
	struct smp_fake *f = *state;
	struct smp_cpuset set = smp_fake_set(0x2);
	struct trace t = { 0 };
	unsigned i;

	for (i = 0; i < 5; i++)
		assert_int_equal(smp_call(&f->s, &set, record_fn, &t, 10, NULL), VMK_OK);
	assert_int_equal(f->s.seq, 5);
	assert_int_equal(f->s.cpu[1].mb.word, 5u << 2);
	assert_int_equal(t.n, 5);
	f->cur = 1;
	assert_int_equal(smp_handle_ipi(&f->s), 0);
	assert_int_equal(t.n, 5);
}

#define T(t) cmocka_unit_test_setup_teardown(t, smp_fake_setup, smp_fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_rejects),
		T(test_remote_only),
		T(test_caller_in_set),
		T(test_self_only),
		T(test_empty_set),
		T(test_offline_cpu),
		T(test_bad_args),
		T(test_nested_refused),
		T(test_online_from_call_refused),
		T(test_timeout),
		T(test_timeout_zero),
		T(test_sequence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
