/* The CPU set's bounds and algebra, and the ticket lock: exclusion, order,
 * trylock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>

#include "smp_cpuset.h"
#include "smp_lock.h"

static void test_cpuset_bounds(void **state)
{
	struct smp_cpuset s;

	(void)state;
	smp_cpuset_zero(&s);
	assert_int_equal(smp_cpuset_add(&s, SMP_MAX_CPUS), VMK_ERANGE);
	assert_int_equal(smp_cpuset_add(&s, ~0u), VMK_ERANGE);
	assert_int_equal(smp_cpuset_del(&s, SMP_MAX_CPUS), VMK_ERANGE);
	assert_true(smp_cpuset_empty(&s));
	assert_false(smp_cpuset_has(&s, SMP_MAX_CPUS));
	assert_int_equal(smp_cpuset_add(&s, SMP_MAX_CPUS - 1), VMK_OK);
	assert_true(smp_cpuset_has(&s, SMP_MAX_CPUS - 1));
	assert_int_equal(smp_cpuset_count(&s), 1);
	assert_int_equal(smp_cpuset_fill(&s, SMP_MAX_CPUS + 1), VMK_ERANGE);
	assert_int_equal(smp_cpuset_count(&s), 1);   /* unchanged */
	assert_int_equal(smp_cpuset_fill(&s, 0), VMK_OK);
	assert_true(smp_cpuset_empty(&s));
	assert_int_equal(smp_cpuset_fill(&s, 5), VMK_OK);
	assert_int_equal(smp_cpuset_count(&s), 5);
	assert_true(smp_cpuset_has(&s, 4));
	assert_false(smp_cpuset_has(&s, 5));
	assert_int_equal(smp_cpuset_fill(&s, SMP_MAX_CPUS), VMK_OK);
	assert_int_equal(smp_cpuset_count(&s), SMP_MAX_CPUS);
	assert_int_equal(smp_cpuset_del(&s, 0), VMK_OK);
	assert_false(smp_cpuset_has(&s, 0));
	assert_int_equal(smp_cpuset_count(&s), SMP_MAX_CPUS - 1);
}

static void test_cpuset_algebra(void **state)
{
	struct smp_cpuset a, b, d;

	(void)state;
	smp_cpuset_zero(&a);
	smp_cpuset_zero(&b);
	smp_cpuset_add(&a, 1);
	smp_cpuset_add(&a, 3);
	smp_cpuset_add(&b, 3);
	smp_cpuset_add(&b, 63);
	smp_cpuset_or(&d, &a, &b);
	assert_int_equal(smp_cpuset_count(&d), 3);
	assert_true(smp_cpuset_subset(&a, &d));
	assert_false(smp_cpuset_subset(&d, &a));
	smp_cpuset_and(&d, &a, &b);
	assert_int_equal(smp_cpuset_count(&d), 1);
	assert_true(smp_cpuset_has(&d, 3));
	smp_cpuset_andnot(&d, &a, &b);
	assert_int_equal(smp_cpuset_count(&d), 1);
	assert_true(smp_cpuset_has(&d, 1));
	assert_false(smp_cpuset_equal(&a, &b));
	d = a;
	assert_true(smp_cpuset_equal(&a, &d));
	smp_cpuset_andnot(&a, &a, &a);   /* in place */
	assert_true(smp_cpuset_empty(&a));
}

static void test_cpuset_iterate(void **state)
{
	static const unsigned want[] = { 0, 7, 31, 32, 62, 63 };
	struct smp_cpuset s;
	unsigned cpu, i = 0;

	(void)state;
	smp_cpuset_zero(&s);
	assert_int_equal(smp_cpuset_next(&s, 0), SMP_CPU_NONE);
	for (i = 0; i < 6; i++)
		smp_cpuset_add(&s, want[i]);
	i = 0;
	smp_cpuset_for_each(cpu, &s) {
		assert_true(i < 6);
		assert_int_equal(cpu, want[i++]);
	}
	assert_int_equal(i, 6);
	assert_int_equal(smp_cpuset_next(&s, 8), 31);
	assert_int_equal(smp_cpuset_next(&s, 63), 63);
	assert_int_equal(smp_cpuset_next(&s, SMP_MAX_CPUS), SMP_CPU_NONE);
	assert_int_equal(smp_cpuset_next(&s, ~0u), SMP_CPU_NONE);
}

static void test_lock_trylock(void **state)
{
	struct smp_spinlock l = SMP_SPINLOCK_INIT;

	(void)state;
	assert_false(smp_spin_is_locked(&l));
	assert_true(smp_spin_trylock(&l));
	assert_true(smp_spin_is_locked(&l));
	assert_false(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
	assert_false(smp_spin_is_locked(&l));
	smp_spin_lock(&l);
	assert_false(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
	assert_true(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
}

/* Tickets are served in the order they were taken, and a waiter in the
 * queue makes trylock fail even between holders. */
static void test_lock_fifo(void **state)
{
	struct smp_spinlock l;
	uint32_t t0, t1, t2;

	(void)state;
	smp_spin_init(&l);
	t0 = smp_ticket_take(&l);
	t1 = smp_ticket_take(&l);
	t2 = smp_ticket_take(&l);
	assert_true(smp_ticket_served(&l, t0));
	assert_false(smp_ticket_served(&l, t1));
	smp_spin_unlock(&l);
	assert_true(smp_ticket_served(&l, t1));
	assert_false(smp_ticket_served(&l, t2));
	assert_false(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
	assert_true(smp_ticket_served(&l, t2));
	smp_spin_unlock(&l);
	assert_false(smp_spin_is_locked(&l));
}

/* The ticket counters wrap at 2^32 without losing exclusion. */
static void test_lock_wraps(void **state)
{
	struct smp_spinlock l = { UINT32_MAX, UINT32_MAX };

	(void)state;
	smp_spin_lock(&l);
	assert_true(smp_spin_is_locked(&l));
	assert_false(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
	assert_int_equal(l.owner, 0);
	assert_true(smp_spin_trylock(&l));
	smp_spin_unlock(&l);
}

#define ROUNDS 200000

struct lock_ctx {
	struct smp_spinlock l;
	unsigned long counter;   /* only under l: a plain, racy increment */
};

static void *lock_worker(void *arg)
{
	struct lock_ctx *c = arg;
	unsigned long i;

	for (i = 0; i < ROUNDS; i++) {
		if (i & 1) {
			smp_spin_lock(&c->l);
		} else {
			while (!smp_spin_trylock(&c->l))
				smp_cpu_relax();
		}
		c->counter++;
		smp_spin_unlock(&c->l);
	}
	return NULL;
}

static void test_lock_excludes(void **state)
{
	struct lock_ctx c = { SMP_SPINLOCK_INIT, 0 };
	pthread_t t[2];
	unsigned i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lock_worker, &c), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(c.counter, 2ul * ROUNDS);
	assert_false(smp_spin_is_locked(&c.l));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuset_bounds),
		cmocka_unit_test(test_cpuset_algebra),
		cmocka_unit_test(test_cpuset_iterate),
		cmocka_unit_test(test_lock_trylock),
		cmocka_unit_test(test_lock_fifo),
		cmocka_unit_test(test_lock_wraps),
		cmocka_unit_test(test_lock_excludes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
