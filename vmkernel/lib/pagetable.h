/* x86-64 page tables (4- or 5-level), built the same way for the vmkernel's
 * own address space (by the loader) and for nested page tables (by the
 * vmkernel).  Plain C: callers give page allocation and address translation. */
#ifndef VMK_PAGETABLE_H
#define VMK_PAGETABLE_H
#include <vmk/types.h>

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PT_4K (1ull << 12)
#define PT_2M (1ull << 21)
#define PT_1G (1ull << 30)

struct pt_ops {
	/* A zeroed, 4 KiB-aligned page: its address for writing, *pa set. */
	void *(*alloc)(void *ctx, uint64_t *pa);
	/* Address at which the caller can read/write table page @pa. */
	void *(*table)(void *ctx, uint64_t pa);
	void *ctx;
	unsigned levels;  /* 4 or 5 */
};

/* Map [va, va + size) to [pa, pa + size) with @flags (PTE_P is implied) in
 * pages of @page (PT_4K, PT_2M or PT_1G; va, pa, size aligned to it).  Intermediate
 * tables get P|RW|US and the leaf alone decides the access.  Fails with
 * VMK_EBUSY, changing nothing further, when a page is already mapped. */
int pt_map(const struct pt_ops *o, uint64_t root_pa, uint64_t va, uint64_t pa,
	   uint64_t size, uint64_t page, uint64_t flags);

/* The leaf entry that maps @va, or 0; *@page gets its page size. */
uint64_t pt_lookup(const struct pt_ops *o, uint64_t root_pa, uint64_t va,
		   uint64_t *page);

/* A guest's own tables, read through @read (one 8-byte entry at a physical
 * address; nonzero: unreadable): the physical address @va translates to,
 * or (uint64_t)-1 if an entry is not present or cannot be read.  @levels 4
 * or 5; large pages at the 1 GiB and 2 MiB levels. */
uint64_t pt_translate(unsigned levels, uint64_t root_pa, uint64_t va,
		      int (*read)(void *ctx, uint64_t pa, uint64_t *e), void *ctx);

/* Rewrite the 4 KiB leaf for @va (which must exist at 4 KiB) to @pte. */
int pt_set_4k(const struct pt_ops *o, uint64_t root_pa, uint64_t va, uint64_t pte);

#endif
