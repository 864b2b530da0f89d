/* COS memory as the vmkernel sees it: nothing is mapped until needed; each
 * CPU maps the pages it touches into its own window through the per-CPU
 * mapping cache (pcpu-cache/), so no CPU ever synchronises with another to
 * read a hypercall buffer.  The windows' page tables are built here, in the
 * vmkernel's own address space, at start-up. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "../lib/pagetable.h"
#include "pcpu_cache.h"

#define COSMEM_SLOTS 64u   /* per CPU: 256 KiB of window */

static struct pcpu_cache cache;

static void *host_alloc(void *ctx, uint64_t *pa)
{
	(void)ctx;
	return mem_alloc_pages(1, pa);
}

static void *host_table(void *ctx, uint64_t pa)
{
	(void)ctx;
	return mem_pa_to_va(pa);
}

static struct pt_ops host_ops = { .alloc = host_alloc, .table = host_table };

/* One page of the vmkernel's own address space, before any CPU uses it. */
int vmk_map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	host_ops.levels = vmk_boot->paging_levels;
	return pt_map(&host_ops, vmk_boot->pt_root, va, pa, PAGE_SIZE, PT_4K, flags);
}

static void win_install(void *ctx, unsigned cpu, uintptr_t va, uint64_t mpn)
{
	uint64_t pte = mpn == PCPU_MPN_NONE ? 0 :
		       (mpn << PCPU_PAGE_SHIFT) | PTE_P | PTE_RW | PTE_NX;

	(void)ctx, (void)cpu;
	VMK_ASSERT(pt_set_4k(&host_ops, vmk_boot->pt_root, va, pte) == VMK_OK,
		   "mapping window without page tables");
}

static void win_flush(void *ctx, unsigned cpu, uintptr_t va)
{
	(void)ctx, (void)cpu;
	invlpg(va);
}

int cosmem_init(void)
{
	struct pcpu_map_ops ops = { .install = win_install, .flush = win_flush };
	unsigned n = vmk_boot->ncpus;
	size_t bytes = pcpu_cache_mem_size(n, COSMEM_SLOTS);
	void *mem = mem_alloc_pages((unsigned)((bytes + PAGE_SIZE - 1) / PAGE_SIZE), 0);
	uint64_t scratch;
	int err;

	host_ops.levels = vmk_boot->paging_levels;
	if (!mem || !mem_alloc_pages(1, &scratch))
		return VMK_ENOMEM;
	/* Build every leaf table now; install() then only rewrites entries. */
	for (uint64_t off = 0; off < (uint64_t)n * COSMEM_SLOTS * PAGE_SIZE; off += PAGE_SIZE) {
		err = pt_map(&host_ops, vmk_boot->pt_root, VMK_MAPWIN + off, scratch, PAGE_SIZE,
			     PT_4K, PTE_NX);
		if (err)
			return err;
	}
	return pcpu_cache_init(&cache, &ops, n, COSMEM_SLOTS, VMK_MAPWIN, mem, bytes);
}

/* Copy between COS memory and @buf, one page at a time. */
static int copy(unsigned cpu, uint64_t pa, void *buf, uint64_t len, int to_cos)
{
	uint8_t *b = buf;

	if (!mem_cos_range_ok(pa, len))
		return VMK_EFAULT;
	while (len) {
		uint64_t in_page = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
		uint64_t n = len < in_page ? len : in_page;
		uintptr_t va;
		int err = pcpu_cache_map(&cache, cpu, pa >> PCPU_PAGE_SHIFT, &va);

		if (err)
			return err;
		va += pa & (PAGE_SIZE - 1);
		if (to_cos)
			memcpy((void *)va, b, n);
		else
			memcpy(b, (const void *)va, n);
		pcpu_cache_release(&cache, cpu, va);
		pa += n, b += n, len -= n;
	}
	return VMK_OK;
}

int cos_write(unsigned cpu, uint64_t pa, const void *src, uint64_t len)
{
	return copy(cpu, pa, (void *)src, len, 1);
}

int cos_read(unsigned cpu, uint64_t pa, void *dst, uint64_t len)
{
	return copy(cpu, pa, dst, len, 0);
}

void *cos_map(unsigned cpu, uint64_t pa)
{
	uintptr_t va;

	if (!mem_cos_range_ok(pa & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE) ||
	    pcpu_cache_map(&cache, cpu, pa >> PCPU_PAGE_SHIFT, &va) != VMK_OK)
		return NULL;
	return (void *)(va + (pa & (PAGE_SIZE - 1)));
}

void cos_unmap(unsigned cpu, const void *va)
{
	if (va)
		pcpu_cache_release(&cache, cpu, (uintptr_t)va);
}

void cosmem_stats(unsigned cpu, struct pcpu_stats *out)
{
	pcpu_cache_stats(&cache, cpu, out);
}
