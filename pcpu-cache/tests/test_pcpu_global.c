/* What differs in the global baseline: one window shared by every CPU, so a
 * page mapped by two CPUs is one slot, any CPU may release it, and dropping a
 * translation must reach every CPU's TLB. */
#include "pcpu_fix.h"

#define SLOTS 4u

static struct pcpu_fix_param param = { &pcpu_global_iface, 2, SLOTS };

static void test_shared_slot_across_cpus(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_map(f, 0, 100);

	assert_int_equal(pcpu_fix_map(f, 1, 100), va);
	assert_int_equal(pcpu_fix_stats(f, 0).hits, 1);
	assert_int_equal(pcpu_fix_stats(f, 0).misses, 1);
	/* Any CPU may drop either reference. */
	pcpu_fix_release(f, 1, va);
	assert_int_equal(pcpu_global_invalidate(&f->g, 1, 100), VMK_EBUSY);
	pcpu_fix_release(f, 1, va);
	assert_int_equal(pcpu_global_release(&f->g, 0, va), VMK_ENOENT);
}

static void test_eviction_shoots_down_every_cpu(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va;
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		pcpu_fix_touch(f, i % 2, 10 + i);
	assert_int_equal(f->pt.flushes[0] + f->pt.flushes[1], 0);
	va = pcpu_fix_touch(f, 0, 99);
	assert_int_equal(f->pt.flushes[0], 1);
	assert_int_equal(f->pt.flushes[1], 1);
	assert_int_equal(f->pt.last_flush_va[0], va);
	assert_int_equal(f->pt.last_flush_va[1], va);
}

static void test_invalidate_shoots_down_every_cpu(void **state)
{
	struct pcpu_fix *f = *state;
	uintptr_t va = pcpu_fix_touch(f, 1, 5);

	assert_int_equal(pcpu_global_invalidate(&f->g, 1, 5), VMK_OK);
	assert_int_equal(pcpu_fake_pt_lookup(&f->pt, va), PCPU_MPN_NONE);
	assert_int_equal(f->pt.flushes[0], 1);
	assert_int_equal(f->pt.flushes[1], 1);
}

static void test_init_rejects_bad_config(void **state)
{
	struct pcpu_fake_pt pt;
	struct pcpu_map_ops ops = pcpu_fake_pt_ops(&pt);
	struct pcpu_global g;
	static char mem[8192];

	(void)state;
	assert_int_equal(pcpu_global_init(&g, &ops, 2, 4, PCPU_FIX_BASE, mem, 64),
			 VMK_ENOMEM);
	assert_int_equal(pcpu_global_init(&g, &ops, 0, 4, PCPU_FIX_BASE, mem, sizeof(mem)),
			 VMK_EINVAL);
	assert_int_equal(pcpu_global_init(&g, &ops, 2, 0, PCPU_FIX_BASE, mem, sizeof(mem)),
			 VMK_EINVAL);
	assert_int_equal(pcpu_global_init(&g, &ops, 2, 4, PCPU_FIX_BASE + 1, mem, sizeof(mem)),
			 VMK_EINVAL);
	assert_int_equal(pcpu_global_init(&g, &ops, 2, 4, PCPU_FIX_BASE, mem, sizeof(mem)),
			 VMK_OK);
}

#define T(t) cmocka_unit_test_prestate_setup_teardown(t, pcpu_fix_setup, \
						      pcpu_fix_teardown, &param)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_config),
		T(test_shared_slot_across_cpus),
		T(test_eviction_shoots_down_every_cpu),
		T(test_invalidate_shoots_down_every_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
