/* Page-table building against a fake physical memory: mappings at every page
 * size, 4- and 5-level, lookups, and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmk/err.h>
#include "pagetable.h"

#define NPAGES 64
static uint64_t mem[NPAGES][512] __attribute__((aligned(4096)));
static unsigned used;
static const uint64_t PBASE = 0x100000;   /* fake physical address of mem[0] */

static void *fake_alloc(void *ctx, uint64_t *pa)
{
	(void)ctx;
	if (used == NPAGES)
		return NULL;
	memset(mem[used], 0, sizeof(mem[used]));
	*pa = PBASE + (uint64_t)used * 4096;
	return mem[used++];
}

static void *fake_table(void *ctx, uint64_t pa)
{
	(void)ctx;
	assert_true(pa >= PBASE && pa < PBASE + NPAGES * 4096ull);
	return mem[(pa - PBASE) / 4096];
}

static struct pt_ops ops = { .alloc = fake_alloc, .table = fake_table };

/* pt_translate's reader over the same fake memory; ctx counts reads, and
 * an address outside it is unreadable. */
static int fake_read(void *ctx, uint64_t pa, uint64_t *e)
{
	(*(unsigned *)ctx)++;
	if (pa < PBASE || pa + 8 > PBASE + NPAGES * 4096ull || (pa & 7))
		return -1;
	*e = mem[(pa - PBASE) / 4096][(pa & 4095) / 8];
	return 0;
}
static uint64_t root;

static int setup4(void **state)
{
	(void)state;
	used = 0;
	ops.levels = 4;
	assert_non_null(fake_alloc(NULL, &root));
	return 0;
}

static int setup5(void **state)
{
	setup4(state);
	ops.levels = 5;
	return 0;
}

static void map_and_lookup_each_size(void **state)
{
	uint64_t page = 0;

	(void)state;
	assert_int_equal(pt_map(&ops, root, 0xffffffff90000000ull, 0x40000000, PT_2M * 2,
				PT_2M, PTE_RW), VMK_OK);
	assert_int_equal(pt_lookup(&ops, root, 0xffffffff90200000ull + 0x1234, &page) &
			 PTE_ADDR_MASK, 0x40200000);
	assert_int_equal(page, PT_2M);
	assert_int_equal(pt_map(&ops, root, 0xffffffffc0001000ull, 0x7000, PT_4K, PT_4K, 0),
			 VMK_OK);
	assert_int_equal(pt_lookup(&ops, root, 0xffffffffc0001000ull, &page),
			 0x7000 | PTE_P);
	assert_int_equal(page, PT_4K);
	assert_int_equal(pt_map(&ops, root, 0x80000000ull, 0x80000000ull, PT_1G, PT_1G,
				PTE_RW | PTE_US), VMK_OK);
	assert_int_equal(pt_lookup(&ops, root, 0xbfffffffull, &page),
			 0x80000000ull | PTE_P | PTE_RW | PTE_US | PTE_PS);
	assert_int_equal(page, PT_1G);
	assert_int_equal(pt_lookup(&ops, root, 0x40000000ull, NULL), 0);
}

static void five_level_uses_top_bits(void **state)
{
	(void)state;
	/* Two addresses that differ only in bits 48..56 must not alias. */
	assert_int_equal(pt_map(&ops, root, 0x0001000000000000ull, 0x1000, PT_4K, PT_4K, 0), VMK_OK);
	assert_int_equal(pt_map(&ops, root, 0, 0x2000, PT_4K, PT_4K, 0), VMK_OK);
	assert_int_equal(pt_lookup(&ops, root, 0x0001000000000000ull, NULL) & PTE_ADDR_MASK, 0x1000);
	assert_int_equal(pt_lookup(&ops, root, 0, NULL) & PTE_ADDR_MASK, 0x2000);
}

static void refusals(void **state)
{
	(void)state;
	assert_int_equal(pt_map(&ops, root, 0x1000, 0x1000, PT_2M, PT_2M, 0), VMK_EINVAL);
	assert_int_equal(pt_map(&ops, root, 0, 0, PT_4K, 12345, 0), VMK_EINVAL);
	assert_int_equal(pt_map(&ops, root, 0, 1ull << 60, PT_4K, PT_4K, 0), VMK_EINVAL);
	assert_int_equal(pt_map(&ops, root, 0x200000, 0, PT_2M, PT_2M, 0), VMK_OK);
	/* Already mapped, and a 4K map under a 2M page: both refused. */
	assert_int_equal(pt_map(&ops, root, 0x200000, 0, PT_2M, PT_2M, 0), VMK_EBUSY);
	assert_int_equal(pt_map(&ops, root, 0x201000, 0, PT_4K, PT_4K, 0), VMK_EBUSY);
}

static void out_of_memory_reported(void **state)
{
	(void)state;
	used = NPAGES;
	assert_int_equal(pt_map(&ops, root, 0x123456789000ull, 0, PT_4K, PT_4K, 0), VMK_ENOMEM);
}

static void set_4k_rewrites_leaf(void **state)
{
	(void)state;
	assert_int_equal(pt_set_4k(&ops, root, 0x5000, 0x9000 | PTE_P), VMK_ENOENT);
	assert_int_equal(pt_map(&ops, root, 0x5000, 0x6000, PT_4K, PT_4K, 0), VMK_OK);
	assert_int_equal(pt_set_4k(&ops, root, 0x5000, 0x9000 | PTE_P), VMK_OK);
	assert_int_equal(pt_lookup(&ops, root, 0x5000, NULL), 0x9000 | PTE_P);
}

/* pt_translate walks what pt_map built, through a reader: each page size,
 * the offset kept, not-present and unreadable entries refused. */
static void translate_guest_tables(void **state)
{
	unsigned reads = 0;

	(void)state;
	assert_int_equal(pt_map(&ops, root, 0x40000000, 0x80000000, PT_1G, PT_1G, PTE_RW), VMK_OK);
	assert_int_equal(pt_map(&ops, root, 0x200000, 0x600000, PT_2M, PT_2M, PTE_RW), VMK_OK);
	assert_int_equal(pt_map(&ops, root, 0x1000, 0x9000, PT_4K, PT_4K, PTE_RW), VMK_OK);
	assert_int_equal(pt_translate(ops.levels, root, 0x40001234, fake_read, &reads),
			 0x80001234);
	assert_int_equal(pt_translate(ops.levels, root, 0x2abcde, fake_read, &reads), 0x6abcde);
	assert_int_equal(pt_translate(ops.levels, root, 0x1ff8, fake_read, &reads), 0x9ff8);
	assert_int_equal(reads, ops.levels - 2 + ops.levels - 1 + ops.levels);
	/* Not mapped: the next 4 KiB page, and an unreadable table. */
	assert_int_equal(pt_translate(ops.levels, root, 0x2000, fake_read, &reads), (uint64_t)-1);
	assert_int_equal(pt_translate(ops.levels, 0x1000, 0x1000, fake_read, &reads),
			 (uint64_t)-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(map_and_lookup_each_size, setup4),
		cmocka_unit_test_setup(map_and_lookup_each_size, setup5),
		cmocka_unit_test_setup(five_level_uses_top_bits, setup5),
		cmocka_unit_test_setup(refusals, setup4),
		cmocka_unit_test_setup(out_of_memory_reported, setup4),
		cmocka_unit_test_setup(set_4k_rewrites_leaf, setup4),
		cmocka_unit_test_setup(translate_guest_tables, setup4),
		cmocka_unit_test_setup(translate_guest_tables, setup5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
