/* Nested page tables of the COS world: COS physical memory maps 1:1 onto
 * machine memory, except the vmkernel's own chunks, which are absent.  A COS
 * access to them faults into the vmkernel, is logged, and is absorbed by a
 * scratch page mapped in its place: nothing of the vmkernel changes. */
#include "vmk_core.h"
#include "pcpu.h"
#include "spinlock.h"
#include "lapic.h"
#include "../lib/pagetable.h"

#define NPT_RWX (PTE_RW | PTE_US)   /* nested walks are user accesses */

static uint64_t npt_root;
static uint64_t scratch_pa;
static spinlock_t npt_lock;

static void *npt_alloc(void *ctx, uint64_t *pa)
{
	(void)ctx;
	return mem_alloc_pages(1, pa);
}

static void *npt_table(void *ctx, uint64_t pa)
{
	(void)ctx;
	return mem_pa_to_va(pa);
}

static struct pt_ops npt_ops = { .alloc = npt_alloc, .table = npt_table };

static int range_has_own(uint64_t start, uint64_t size)
{
	for (uint32_t i = 0; i < vmk_boot->nchunks; i++) {
		uint64_t c = vmk_boot->chunk_pa[i];

		if (c < start + size && start < c + VMK_CHUNK_SIZE)
			return 1;
	}
	return 0;
}

static int has_apic(uint64_t start, uint64_t size)
{
	return lapic_base_pa() - start < size;
}

/* The 2 MiB around the local APIC in 4 KiB pages, the APIC's read-only:
 * the COS's APIC writes trap to the vmkernel (cos_apic.c). */
static int map_apic_2m(uint64_t a)
{
	int err = VMK_OK;

	for (uint64_t pg = a; pg < a + PT_2M && err == VMK_OK; pg += PT_4K)
		err = pt_map(&npt_ops, npt_root, pg, pg, PT_4K, PT_4K,
			     pg == lapic_base_pa() ? PTE_US | PTE_NX : NPT_RWX);
	return err;
}

/* A 1 GiB page where no chunk (and not the APIC) lies, else 2 MiB pages
 * around the chunks. */
static int map_gib(uint64_t gib)
{
	int err = VMK_OK;

	if (!range_has_own(gib, PT_1G) && !has_apic(gib, PT_1G))
		return pt_map(&npt_ops, npt_root, gib, gib, PT_1G, PT_1G, NPT_RWX);
	for (uint64_t a = gib; a < gib + PT_1G && err == VMK_OK; a += PT_2M)
		if (has_apic(a, PT_2M))
			err = map_apic_2m(a);
		else if (!range_has_own(a, PT_2M))
			err = pt_map(&npt_ops, npt_root, a, a, PT_2M, PT_2M, NPT_RWX);
	return err;
}

int npt_init(void)
{
	int err = VMK_OK;

	npt_ops.levels = vmk_boot->paging_levels;
	if (!mem_alloc_pages(1, &npt_root) || !mem_alloc_pages(1, &scratch_pa))
		return VMK_ENOMEM;
	for (uint64_t gib = 0; gib < vmk_boot->max_phys && err == VMK_OK; gib += PT_1G)
		err = map_gib(gib);
	return err;
}

uint64_t npt_root_pa(void)
{
	return npt_root;
}

int npt_cos_violation(uint64_t gpa)
{
	uint64_t page = gpa & ~(uint64_t)(PAGE_SIZE - 1);
	int err;

	vmk_log("COS touched %s at %lx: blocked, scratch page mapped in its place\n",
		mem_is_own(gpa) ? "vmkernel memory" : "unmapped memory", gpa);
	spin_lock(&npt_lock);
	if (pt_lookup(&npt_ops, npt_root, page, 0))
		err = VMK_OK;   /* another CPU absorbed it first */
	else
		err = pt_map(&npt_ops, npt_root, page, scratch_pa, PAGE_SIZE, PT_4K,
			     NPT_RWX | PTE_NX);
	spin_unlock(&npt_lock);
	return err;
}

/* Let the COS read [pa, pa + len) of vmkernel memory (the trace rings). */
int npt_map_cos_readonly(uint64_t pa, uint64_t len)
{
	int err;

	spin_lock(&npt_lock);
	err = pt_map(&npt_ops, npt_root, pa, pa, len, PT_4K, PTE_US | PTE_NX);
	spin_unlock(&npt_lock);
	return err;
}
