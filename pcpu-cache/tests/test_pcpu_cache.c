/* What only the per-CPU cache promises: each CPU has its own window, index
 * and counters; a CPU never touches another's window, refcounts or TLB. */
#include "pcpu_fix.h"

#include <stdlib.h>

#define SLOTS 4u

static struct pcpu_fix_param param = { &pcpu_cache_iface, 2, SLOTS };

static const uintptr_t window1 = PCPU_FIX_BASE + SLOTS * PCPU_PAGE_SIZE;

static int init_with(unsigned ncpus, unsigned nslots, uintptr_t base, size_t len)
{
	struct pcpu_fake_pt pt;
	struct pcpu_map_ops ops = pcpu_fake_pt_ops(&pt);
	struct pcpu_cache c;
	void *mem = malloc(len + 1);
	int err = pcpu_cache_init(&c, &ops, ncpus, nslots, base, mem, len);

	free(mem);
	return err;
}

static void test_init_rejects_bad_config(void **state)
{
	size_t ok = pcpu_cache_mem_size(2, 4);
	struct pcpu_cache c;
	char mem[64];

	(void)state;
	assert_int_equal(init_with(2, 4, PCPU_FIX_BASE, ok), VMK_OK);
	assert_int_equal(init_with(0, 4, PCPU_FIX_BASE, ok), VMK_EINVAL);
	assert_int_equal(init_with(PCPU_CPUS_MAX + 1, 4, PCPU_FIX_BASE, ok), VMK_EINVAL);
	assert_int_equal(init_with(2, 0, PCPU_FIX_BASE, ok), VMK_EINVAL);
	assert_int_equal(init_with(2, PCPU_SLOTS_MAX + 1, PCPU_FIX_BASE, ok), VMK_EINVAL);
	assert_int_equal(init_with(2, 4, PCPU_FIX_BASE + 8, ok), VMK_EINVAL);
	assert_int_equal(init_with(2, 4, PCPU_FIX_BASE, ok - 1), VMK_ENOMEM);
	/* Two windows of 4 pages would run past the top of the address space. */
	assert_int_equal(init_with(2, 4, ~(uintptr_t)0xfff - 4 * PCPU_PAGE_SIZE, ok),
			 VMK_ERANGE);
	assert_int_equal(pcpu_cache_init(&c, NULL, 2, 4, PCPU_FIX_BASE, mem, 0),
			 VMK_EINVAL);
}

static void test_layout_no_shared_lines(void **state)
{
	struct pcpu_fix *f = *state;
	struct pcpu_cpu *c0 = &f->pc.cpu[0], *c1 = &f->pc.cpu[1];

	assert_int_equal(sizeof(struct pcpu_cpu) % 64, 0);
	assert_int_equal((uintptr_t)c0 % 64, 0);
	assert_int_equal((uintptr_t)c0->set.slot % 64, 0);
	assert_int_equal((uintptr_t)c1->set.slot % 64, 0);
	assert_true((uintptr_t)(c0->set.bucket + c0->set.bucket_mask + 1) <=
		    (uintptr_t)c1->set.slot);
	assert_int_equal(c0->window, PCPU_FIX_BASE);
	assert_int_equal(c1->window, window1);
}

static void test_same_page_two_cpus(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t v0 = pcpu_fix_map(f, 0, 100), v1 = pcpu_fix_map(f, 1, 100);

	assert_int_not_equal(v0, v1);
	assert_in_range(v0, PCPU_FIX_BASE, window1 - 1);
	assert_in_range(v1, window1, window1 + (SLOTS - 1) * PCPU_PAGE_SIZE);
	assert_int_equal(f->pt.installs[0], 1);
	assert_int_equal(f->pt.installs[1], 1);
	assert_int_equal(pcpu_fix_stats(f, 0).misses, 1);
	assert_int_equal(pcpu_fix_stats(f, 1).misses, 1);
	assert_int_equal(pcpu_fix_stats(f, 1).hits, 0);
	pcpu_fix_release(f, 0, v0);
	pcpu_fix_release(f, 1, v1);
}

static void test_eviction_flushes_only_local_tlb(void **state)
{
	struct pcpu_fix *f = *state;
	unsigned i;

	pcpu_fix_touch(f, 0, 1);
	for (i = 0; i < 3 * SLOTS; i++)
		pcpu_fix_touch(f, 1, 500 + i);
	assert_int_equal(pcpu_fix_stats(f, 1).evictions, 2 * SLOTS);
	assert_int_equal(f->pt.flushes[1], 2 * SLOTS);
	assert_int_equal(f->pt.flushes[0], 0);
	assert_int_equal(f->pt.installs[0], 1);
	assert_int_equal(pcpu_fix_stats(f, 0).evictions, 0);
	/* CPU 0's page survived CPU 1's churn. */
	assert_int_equal(pcpu_fix_touch(f, 0, 1), PCPU_FIX_BASE);
	assert_int_equal(pcpu_fix_stats(f, 0).hits, 1);
}

static void test_foreign_cpu_release(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 77);

	assert_int_equal(pcpu_cache_release(&f->pc, 1, va), VMK_EPERM);
	assert_int_equal(pcpu_fix_stats(f, 1).bad_release, 1);
	assert_int_equal(pcpu_fix_stats(f, 0).bad_release, 0);
	/* CPU 0's reference is untouched. */
	assert_int_equal(f->pc.cpu[0].set.slot[0].refs, 1);
	assert_int_equal(pcpu_cache_invalidate(&f->pc, 0, 77), VMK_EBUSY);
	pcpu_fix_release(f, 0, va);
	assert_int_equal(pcpu_cache_invalidate(&f->pc, 0, 77), VMK_OK);
	/* The other direction, into the last page of the last window. */
	va = pcpu_fix_map(f, 1, 78);
	assert_int_equal(pcpu_cache_release(&f->pc, 0, va + PCPU_PAGE_SIZE - 1),
			 VMK_EPERM);
	pcpu_fix_release(f, 1, va);
}

static void test_invalidate_is_per_cpu(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t v0 = pcpu_fix_touch(f, 0, 300);
	uintptr_t v1 = pcpu_fix_touch(f, 1, 300);

	assert_int_equal(pcpu_cache_invalidate(&f->pc, 1, 300), VMK_OK);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, v1), PCPU_MPN_NONE);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, v0), 300);
	assert_int_equal(f->pt.flushes[1], 1);
	assert_int_equal(f->pt.flushes[0], 0);
	pcpu_fix_touch(f, 0, 300);
	assert_int_equal(pcpu_fix_stats(f, 0).hits, 1);
}

/* White-box: a reference count at its limit refuses one more map rather
 * than wrapping to zero (which would make a live slot evictable). */
static void test_refcount_saturates(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 11), out = 0;
	struct pcpu_slot *sl = &f->pc.cpu[0].set.slot[(va - PCPU_FIX_BASE) >> PCPU_PAGE_SHIFT];

	assert_int_equal(sl->mpn, 11);
	sl->refs = UINT32_MAX - 1;
	assert_int_equal(pcpu_fix_map(f, 0, 11), va);
	assert_int_equal(pcpu_cache_map(&f->pc, 0, 11, &out), VMK_ERANGE);
	assert_int_equal(sl->refs, UINT32_MAX);
	sl->refs = 1;
	pcpu_fix_release(f, 0, va);
}

static void test_stats_out_of_range_cpu(void **state)
{
	struct pcpu_fix *f = *state;
	struct pcpu_stats s = { 1, 1, 1, 1, 1 };

	pcpu_fix_touch(f, 0, 1);
	pcpu_cache_stats(&f->pc, 2, &s);
	assert_int_equal(s.hits + s.misses + s.evictions + s.full + s.bad_release, 0);
}

#define T(t) cmocka_unit_test_prestate_setup_teardown(t, pcpu_fix_setup, \
						      pcpu_fix_teardown, &param)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_config),
		T(test_layout_no_shared_lines),
		T(test_same_page_two_cpus),
		T(test_eviction_flushes_only_local_tlb),
		T(test_foreign_cpu_release),
		T(test_invalidate_is_per_cpu),
		T(test_refcount_saturates),
		T(test_stats_out_of_range_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
