/* Page-table building.  The walk is the same at every level: index the table
 * with 9 bits of the address, descend or create; the leaf level is chosen by
 * the page size. */
#include <vmk/err.h>
#include "pagetable.h"

static unsigned shift_of(unsigned level)  /* level 1 = PT, 2 = PD, ... */
{
	return 12 + 9 * (level - 1);
}

static uint64_t *entry(const struct pt_ops *o, uint64_t table_pa, uint64_t va,
		       unsigned level)
{
	uint64_t *t = o->table(o->ctx, table_pa);

	return &t[(va >> shift_of(level)) & 511];
}

/* Walk down to the table holding the entry for @va at @leaf_level,
 * creating missing tables when @create.  Returns NULL on a hole (no create),
 * a large page in the way, or no memory. */
static uint64_t *walk(const struct pt_ops *o, uint64_t root_pa, uint64_t va,
		      unsigned leaf_level, int create, int *err)
{
	uint64_t table = root_pa;

	for (unsigned level = o->levels; level > leaf_level; level--) {
		uint64_t *e = entry(o, table, va, level);

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!create || !o->alloc(o->ctx, &pa)) {
				*err = create ? VMK_ENOMEM : VMK_ENOENT;
				return 0;
			}
			*e = pa | PTE_P | PTE_RW | PTE_US;
		} else if (*e & PTE_PS) {
			*err = VMK_EBUSY;
			return 0;
		}
		table = *e & PTE_ADDR_MASK;
	}
	return entry(o, table, va, leaf_level);
}

int pt_map(const struct pt_ops *o, uint64_t root_pa, uint64_t va, uint64_t pa,
	   uint64_t size, uint64_t page, uint64_t flags)
{
	unsigned leaf = page == PT_1G ? 3 : page == PT_2M ? 2 : 1;
	int err = VMK_OK;

	if ((page != PT_4K && page != PT_2M && page != PT_1G) || (o->levels != 4 && o->levels != 5) ||
	    ((va | pa | size) & (page - 1)) || (pa & ~PTE_ADDR_MASK))
		return VMK_EINVAL;
	for (uint64_t off = 0; off < size; off += page) {
		uint64_t *e = walk(o, root_pa, va + off, leaf, 1, &err);

		if (!e)
			return err;
		if (*e & PTE_P)
			return VMK_EBUSY;
		*e = (pa + off) | flags | PTE_P | (leaf > 1 ? PTE_PS : 0);
	}
	return VMK_OK;
}

uint64_t pt_lookup(const struct pt_ops *o, uint64_t root_pa, uint64_t va,
		   uint64_t *page)
{
	uint64_t table = root_pa;

	for (unsigned level = o->levels; level >= 1; level--) {
		uint64_t e = *entry(o, table, va, level);

		if (!(e & PTE_P))
			return 0;
		if (level == 1 || (e & PTE_PS)) {
			if (page)
				*page = 1ull << shift_of(level);
			return e;
		}
		table = e & PTE_ADDR_MASK;
	}
	return 0;
}

uint64_t pt_translate(unsigned levels, uint64_t root_pa, uint64_t va,
		      int (*read)(void *ctx, uint64_t pa, uint64_t *e), void *ctx)
{
	uint64_t table = root_pa & PTE_ADDR_MASK;

	for (unsigned l = levels; l >= 1; l--) {
		unsigned shift = 12 + 9 * (l - 1);
		uint64_t e;

		if (read(ctx, table + ((va >> shift) & 511) * 8, &e) || !(e & PTE_P))
			return (uint64_t)-1;
		if (l == 1 || (l <= 3 && (e & PTE_PS))) {
			uint64_t mask = (1ull << shift) - 1;

			return ((e & PTE_ADDR_MASK) & ~mask) | (va & mask);
		}
		table = e & PTE_ADDR_MASK;
	}
	return (uint64_t)-1;
}

int pt_set_4k(const struct pt_ops *o, uint64_t root_pa, uint64_t va, uint64_t pte)
{
	int err = VMK_OK;
	uint64_t *e = walk(o, root_pa, va, 1, 0, &err);

	if (!e)
		return err;
	*e = pte;
	return VMK_OK;
}
