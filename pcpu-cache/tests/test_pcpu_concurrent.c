/* Two threads, each playing one CPU, hammer a small cache with a shared set
 * of machine pages while holding a few mappings at a time.  Every address a
 * thread gets must point at its page for as long as it holds it, and for the
 * per-CPU cache every install and flush must come from the owning thread
 * into its own window (the fake page table counts any that do not).
 *
 *   pcpu_concurrent_test [pcpu|global] [ROUNDS]
 * runs one cache only, or fewer rounds: the helgrind test runs the per-CPU
 * case, which must share no written memory at all between the threads. */
#include "pcpu_fix.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vmk/xorshift.h>

#define NTHREADS 2
#define SLOTS 8u
#define POOL 24u       /* 3x the slots: plenty of evictions */
#define HELD 3u        /* mappings each thread keeps at once */

static unsigned long rounds = 500000;

/* Both threads start together, so that their rounds overlap. */
static pthread_barrier_t start;

struct worker {
	struct pcpu_fix *f;
	unsigned cpu;
	uint32_t rng;
	unsigned long maps;
	unsigned long errors;  /* failed calls or a mapping that changed under us */
};


static void worker_drop(struct worker *w, uintptr_t va, uint64_t mpn)
{
	if (pcpu_fake_pt_lookup(&w->f->pt, va) != mpn)
		w->errors++;
	if (w->f->api->release(w->f->cache, w->cpu, va) != VMK_OK)
		w->errors++;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uintptr_t va[HELD] = { 0 };
	uint64_t mpn[HELD] = { 0 };
	unsigned long i;
	unsigned h;

	w->f->pt.owner[w->cpu] = pthread_self();
	pthread_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		h = i % HELD;
		if (i >= HELD)
			worker_drop(w, va[h], mpn[h]);
		mpn[h] = 1 + vmk_xorshift32(&w->rng) % POOL;
		w->maps++;
		if (w->f->api->map(w->f->cache, w->cpu, mpn[h], &va[h]) != VMK_OK ||
		    pcpu_fake_pt_lookup(&w->f->pt, va[h]) != mpn[h])
			w->errors++;
	}
	for (h = 0; h < HELD; h++)
		worker_drop(w, va[h], mpn[h]);
	return NULL;
}

static void run_workers(struct pcpu_fix *f, struct worker *w)
{
	pthread_t t[NTHREADS];
	unsigned i;

	assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .f = f, .cpu = i, .rng = 0x9e3779b9u * (i + 1) };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].maps, rounds);
	}
	assert_int_equal(pcpu_fake_pt_violations(&f->pt), 0);
}

/* Nothing may be left referenced: every page can be invalidated. */
static void assert_all_released(struct pcpu_fix *f, unsigned cpu)
{
	unsigned p;

	for (p = 1; p <= POOL; p++)
		assert_int_equal(f->api->invalidate(f->cache, cpu, p), VMK_OK);
}

static void test_pcpu_two_threads(void **state)
{
	struct pcpu_fix *f = *state;
	struct worker w[NTHREADS];
	unsigned i;

	/* Owners are recorded by the threads themselves; until then no call
	 * happens, so the check cannot fire early. */
	f->pt.check_owner = 1;
	run_workers(f, w);
	f->pt.check_owner = 0;
	for (i = 0; i < NTHREADS; i++) {
		struct pcpu_stats s = pcpu_fix_stats(f, i);

		assert_int_equal(s.hits + s.misses, rounds);
		assert_true(s.hits > 0);
		assert_true(s.evictions > 0);
		assert_int_equal(s.full + s.bad_release, 0);
		assert_int_equal(f->pt.installs[i], s.misses);
		assert_int_equal(f->pt.flushes[i], s.evictions);
		assert_all_released(f, i);
	}
}

static void test_global_two_threads(void **state)
{
	struct pcpu_fix *f = *state;
	struct worker w[NTHREADS];
	struct pcpu_stats s;

	run_workers(f, w);
	s = pcpu_fix_stats(f, 0);
	/* A lost update under a broken lock would break these sums. */
	assert_int_equal(s.hits + s.misses, NTHREADS * rounds);
	assert_int_equal(f->pt.installs[0] + f->pt.installs[1], s.misses);
	assert_int_equal(f->pt.flushes[0], s.evictions);
	assert_int_equal(f->pt.flushes[1], s.evictions);
	assert_true(s.evictions > 0);
	assert_int_equal(s.full + s.bad_release, 0);
	assert_all_released(f, 0);
}

static struct pcpu_fix_param pcpu_param = { &pcpu_cache_iface, NTHREADS, SLOTS };
static struct pcpu_fix_param global_param = { &pcpu_global_iface, NTHREADS, SLOTS };

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_pcpu_two_threads,
			pcpu_fix_setup, pcpu_fix_teardown, &pcpu_param),
		cmocka_unit_test_prestate_setup_teardown(test_global_two_threads,
			pcpu_fix_setup, pcpu_fix_teardown, &global_param),
	};
	const char *only = argc > 1 ? argv[1] : "";

	if (argc > 2)
		rounds = strtoul(argv[2], NULL, 0);
	if (!strcmp(only, "pcpu"))
		return _cmocka_run_group_tests("pcpu", tests, 1, NULL, NULL);
	if (!strcmp(only, "global"))
		return _cmocka_run_group_tests("global", tests + 1, 1, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
