/* Behaviour both caches share, run once against the per-CPU cache and once
 * against the global baseline through struct pcpu_iface.  Each fixture has 4
 * slots usable from CPU 0, so pressure is easy to create. */
#include "pcpu_fix.h"

#include <string.h>

#define SLOTS 4u

static void test_miss_then_hit(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va1 = pcpu_fix_map(f, 0, 100);
	struct pcpu_stats s = pcpu_fix_stats(f, 0);

	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits, 0);
	assert_int_equal(f->pt.installs[0], 1);
	assert_int_equal(f->pt.last_install_va[0], va1);

	assert_int_equal(pcpu_fix_map(f, 0, 100), va1);
	s = pcpu_fix_stats(f, 0);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.misses, 1);
	assert_int_equal(f->pt.installs[0], 1); /* a hit installs nothing */
	pcpu_fix_release(f, 0, va1);
	pcpu_fix_release(f, 0, va1);
	/* Released but still cached: hit again, no flush ever needed. */
	assert_int_equal(pcpu_fix_touch(f, 0, 100), va1);
	assert_int_equal(pcpu_fix_stats(f, 0).hits, 2);
	assert_int_equal(f->pt.flushes[0], 0);
}

static void test_distinct_pages_distinct_slots(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va[SLOTS];
	unsigned i, j;

	for (i = 0; i < SLOTS; i++) {
		va[i] = pcpu_fix_map(f, 0, 200 + i);
		assert_in_range(va[i], PCPU_FIX_BASE,
				PCPU_FIX_BASE + (SLOTS - 1) * PCPU_PAGE_SIZE);
		for (j = 0; j < i; j++)
			assert_int_not_equal(va[i], va[j]);
	}
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(pcpu_fake_pt_lookup(&f->pt, va[i]), 200 + i);
	assert_int_equal(pcpu_fix_stats(f, 0).evictions, 0);
}

static void test_eviction_under_pressure(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va[SLOTS], vnew;
	unsigned i, still = 0, reused = 0;

	for (i = 0; i < SLOTS; i++)
		va[i] = pcpu_fix_touch(f, 0, 10 + i);
	vnew = pcpu_fix_map(f, 0, 99);
	assert_int_equal(pcpu_fix_stats(f, 0).evictions, 1);
	assert_int_equal(f->pt.last_flush_va[0], vnew);
	assert_true(f->pt.flushes[0] >= 1);
	for (i = 0; i < SLOTS; i++) {
		still += pcpu_fake_pt_lookup(&f->pt, va[i]) == 10 + i;
		reused += va[i] == vnew;
	}
	assert_int_equal(still, SLOTS - 1);
	assert_int_equal(reused, 1);
	pcpu_fix_release(f, 0, vnew);
}

static void test_clock_second_chance(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va[SLOTS];
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		va[i] = pcpu_fix_touch(f, 0, 10 + i);
	/* Pages 10..12 are used again; 13 was touched once. */
	for (i = 0; i < SLOTS - 1; i++)
		pcpu_fix_touch(f, 0, 10 + i);
	assert_int_equal(pcpu_fix_touch(f, 0, 50), va[SLOTS - 1]);
	for (i = 0; i < SLOTS - 1; i++)
		assert_int_equal(pcpu_fix_touch(f, 0, 10 + i), va[i]);
	assert_int_equal(pcpu_fix_stats(f, 0).misses, SLOTS + 1);
}

static void test_referenced_never_evicted(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t held = pcpu_fix_map(f, 0, 7);
	unsigned i;

	for (i = 0; i < 20; i++) {
		assert_int_not_equal(pcpu_fix_touch(f, 0, 1000 + i), held);
		assert_int_equal(pcpu_fake_pt_lookup(&f->pt, held), 7);
	}
	assert_true(pcpu_fix_stats(f, 0).evictions >= 20 - (SLOTS - 1));
	assert_int_equal(pcpu_fix_map(f, 0, 7), held);
	pcpu_fix_release(f, 0, held);
	pcpu_fix_release(f, 0, held);
}

static void test_full_cache(void **state)
{
	struct pcpu_fix *f = *state;
	uint64_t before[SLOTS];
	uintptr_t va[SLOTS], out = 0;
	unsigned long installs = f->pt.installs[0];
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		va[i] = pcpu_fix_map(f, 0, 300 + i);
	installs = f->pt.installs[0];
	memcpy(before, f->pt.pte, sizeof(before));
	assert_int_equal(f->api->map(f->cache, 0, 999, &out), VMK_ENOSPC);
	assert_int_equal(out, 0);
	assert_memory_equal(before, f->pt.pte, sizeof(before));
	assert_int_equal(f->pt.installs[0], installs);
	assert_int_equal(pcpu_fix_stats(f, 0).full, 1);
	/* Live pages still hit while the cache is full. */
	assert_int_equal(pcpu_fix_map(f, 0, 301), va[1]);
	pcpu_fix_release(f, 0, va[1]);
	/* One slot freed: the new page takes exactly that one. */
	pcpu_fix_release(f, 0, va[2]);
	assert_int_equal(pcpu_fix_map(f, 0, 999), va[2]);
	for (i = 0; i < SLOTS; i++)
		pcpu_fix_release(f, 0, va[i]);
}

static void test_double_release(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 42);

	pcpu_fix_release(f, 0, va);
	assert_int_equal(f->api->release(f->cache, 0, va), VMK_ENOENT);
	assert_int_equal(pcpu_fix_stats(f, 0).bad_release, 1);
	/* The count did not go below zero: one map, one release, then free. */
	assert_int_equal(pcpu_fix_map(f, 0, 42), va);
	pcpu_fix_release(f, 0, va);
	assert_int_equal(f->api->invalidate(f->cache, 0, 42), VMK_OK);
	assert_int_equal(f->api->release(f->cache, 0, va), VMK_ENOENT);
	assert_int_equal(pcpu_fix_stats(f, 0).bad_release, 2);
}

static void test_release_bad_address(void **state)
{
	struct pcpu_fix *f = *state;

	/* Inside the window but never mapped. */
	assert_int_equal(f->api->release(f->cache, 0, PCPU_FIX_BASE + PCPU_PAGE_SIZE),
			 VMK_ENOENT);
	assert_int_equal(f->api->release(f->cache, 0, 0x1000), VMK_ERANGE);
	assert_int_equal(f->api->release(f->cache, 0, PCPU_FIX_BASE - 1), VMK_ERANGE);
	assert_int_equal(pcpu_fix_stats(f, 0).bad_release, 3);
}

static void test_release_inside_page(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 5);

	pcpu_fix_release(f, 0, va + 123);
	assert_int_equal(f->api->invalidate(f->cache, 0, 5), VMK_OK);
}

static void test_refcount_nesting(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 9);

	assert_int_equal(pcpu_fix_map(f, 0, 9), va);
	assert_int_equal(f->api->invalidate(f->cache, 0, 9), VMK_EBUSY);
	pcpu_fix_release(f, 0, va);
	assert_int_equal(f->api->invalidate(f->cache, 0, 9), VMK_EBUSY);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, va), 9);
	pcpu_fix_release(f, 0, va);
	assert_int_equal(f->api->invalidate(f->cache, 0, 9), VMK_OK);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, va), PCPU_MPN_NONE);
	assert_int_equal(f->pt.last_flush_va[0], va);
	assert_int_equal(f->api->release(f->cache, 0, va), VMK_ENOENT);
	pcpu_fix_touch(f, 0, 9);
	assert_int_equal(pcpu_fix_stats(f, 0).misses, 2);
}

static void test_invalidate_absent(void **state)
{
	struct pcpu_fix *f = *state;

	pcpu_fix_touch(f, 0, 1);
	assert_int_equal(f->api->invalidate(f->cache, 0, 2), VMK_OK);
	assert_int_equal(f->pt.installs[0], 1);
	assert_int_equal(f->pt.flushes[0] + f->pt.flushes[1], 0);
	assert_int_equal(pcpu_fix_touch(f, 0, 1), PCPU_FIX_BASE);
	assert_int_equal(pcpu_fix_stats(f, 0).hits, 1);
}

static void test_bad_args(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = 0;

	assert_int_equal(f->api->map(f->cache, f->ncpus, 1, &va), VMK_EINVAL);
	assert_int_equal(f->api->map(f->cache, 0, PCPU_MPN_MAX + 1, &va), VMK_EINVAL);
	assert_int_equal(f->api->map(f->cache, 0, PCPU_MPN_NONE, &va), VMK_EINVAL);
	assert_int_equal(f->api->release(f->cache, f->ncpus, PCPU_FIX_BASE), VMK_EINVAL);
	assert_int_equal(f->api->invalidate(f->cache, 0, PCPU_MPN_NONE), VMK_EINVAL);
	assert_int_equal(f->pt.installs[0], 0);
	/* The largest machine page number is a valid one. */
	pcpu_fix_touch(f, 0, PCPU_MPN_MAX);
}

static struct pcpu_fix_param pcpu_param = { &pcpu_cache_iface, 2, SLOTS };
static struct pcpu_fix_param global_param = { &pcpu_global_iface, 2, SLOTS };

/* Named pcpu/... and global/... so a failure says which cache broke. */
#define BOTH(t)                                                             \
	{ "pcpu/" #t, t, pcpu_fix_setup, pcpu_fix_teardown, &pcpu_param },  \
	{ "global/" #t, t, pcpu_fix_setup, pcpu_fix_teardown, &global_param }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_miss_then_hit),
		BOTH(test_distinct_pages_distinct_slots),
		BOTH(test_eviction_under_pressure),
		BOTH(test_clock_second_chance),
		BOTH(test_referenced_never_evicted),
		BOTH(test_full_cache),
		BOTH(test_double_release),
		BOTH(test_release_bad_address),
		BOTH(test_release_inside_page),
		BOTH(test_refcount_nesting),
		BOTH(test_invalidate_absent),
		BOTH(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
