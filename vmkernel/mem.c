/* The vmkernel's memory: the 2 MiB chunks the loader allocated, mapped one
 * after another from VMK_VBASE.  Pages are handed out from the end of what the
 * loader used; nothing is freed, because all of it goes back to the COS at
 * unload. */
#include "vmk_core.h"
#include "spinlock.h"

struct vmk_boot_info *vmk_boot;
static uint64_t mem_next;      /* offset of the next free page */
static spinlock_t mem_lock;
/* Whole chunks lent out (VM memory), taken from the top down; the page
 * allocator below never grows into one. */
static uint8_t chunk_taken[VMK_MAX_CHUNKS];

void mem_init(struct vmk_boot_info *boot)
{
	vmk_boot = boot;
	mem_next = ALIGN_UP(boot->free_offset, PAGE_SIZE);
}

static int range_taken(uint64_t off, uint64_t size)
{
	for (uint64_t c = off >> VMK_CHUNK_SHIFT; c <= (off + size - 1) >> VMK_CHUNK_SHIFT; c++)
		if (c < VMK_MAX_CHUNKS && chunk_taken[c])
			return 1;
	return 0;
}

/* @contig: keep the pages inside one chunk, so physically contiguous. */
static void *alloc(unsigned n, uint64_t *pa, int contig)
{
	uint64_t size = (uint64_t)n * PAGE_SIZE, off;
	void *va;

	spin_lock(&mem_lock);
	off = mem_next;
	if (contig && (off & ~(VMK_CHUNK_SIZE - 1)) != ((off + size - 1) & ~(VMK_CHUNK_SIZE - 1)))
		off = ALIGN_UP(off, VMK_CHUNK_SIZE);   /* the rest of this chunk stays unused */
	if (n == 0 || off + size > vmk_boot->mem_size || (contig && size > VMK_CHUNK_SIZE) ||
	    range_taken(off, size)) {
		spin_unlock(&mem_lock);
		return NULL;
	}
	mem_next = off + size;
	spin_unlock(&mem_lock);
	va = (void *)(VMK_VBASE + off);
	memset(va, 0, (size_t)size);
	if (pa)
		*pa = mem_va_to_pa(va);
	return va;
}

void *mem_alloc_pages(unsigned n, uint64_t *pa)
{
	return alloc(n, pa, 0);
}

void *mem_alloc_contig(unsigned n, uint64_t *pa)
{
	return alloc(n, pa, 1);
}

uint64_t mem_free_bytes(void)
{
	uint64_t free = 0;

	spin_lock(&mem_lock);
	for (uint32_t i = (uint32_t)(mem_next >> VMK_CHUNK_SHIFT); i < vmk_boot->nchunks; i++) {
		uint64_t start = (uint64_t)i << VMK_CHUNK_SHIFT;

		if (!chunk_taken[i])
			free += VMK_CHUNK_SIZE - (mem_next > start ? mem_next - start : 0);
	}
	spin_unlock(&mem_lock);
	return free;
}

/* Lend @n whole chunks (zeroed) above the page allocator; their indices go
 * to @idx.  All or nothing. */
int mem_take_chunks(unsigned n, uint32_t *idx)
{
	uint32_t first_free;
	unsigned got = 0;

	spin_lock(&mem_lock);
	/* Under the lock: the page allocator must not be inside a chunk we lend. */
	first_free = (uint32_t)(ALIGN_UP(mem_next, VMK_CHUNK_SIZE) >> VMK_CHUNK_SHIFT);
	for (uint32_t i = vmk_boot->nchunks; i-- > first_free && got < n;)
		if (!chunk_taken[i])
			idx[got++] = i;
	if (got < n) {
		spin_unlock(&mem_lock);
		return VMK_ENOMEM;
	}
	for (unsigned k = 0; k < n; k++)
		chunk_taken[idx[k]] = 1;
	spin_unlock(&mem_lock);
	for (unsigned k = 0; k < n; k++)
		memset((void *)(VMK_VBASE + ((uint64_t)idx[k] << VMK_CHUNK_SHIFT)), 0, VMK_CHUNK_SIZE);
	return VMK_OK;
}

void mem_give_chunks(unsigned n, const uint32_t *idx)
{
	spin_lock(&mem_lock);
	for (unsigned k = 0; k < n; k++) {
		VMK_ASSERT(idx[k] < vmk_boot->nchunks && chunk_taken[idx[k]], "chunk not lent");
		chunk_taken[idx[k]] = 0;
	}
	spin_unlock(&mem_lock);
}

uint64_t mem_va_to_pa(const void *va)
{
	uint64_t off = (uint64_t)va - VMK_VBASE;

	VMK_ASSERT(off < vmk_boot->mem_size, "address outside vmkernel memory");
	return vmk_boot->chunk_pa[off >> VMK_CHUNK_SHIFT] + (off & (VMK_CHUNK_SIZE - 1));
}

int mem_is_own(uint64_t pa)
{
	for (uint32_t i = 0; i < vmk_boot->nchunks; i++)
		if (pa - vmk_boot->chunk_pa[i] < VMK_CHUNK_SIZE)
			return 1;
	return 0;
}

void *mem_pa_to_va(uint64_t pa)
{
	for (uint32_t i = 0; i < vmk_boot->nchunks; i++)
		if (pa - vmk_boot->chunk_pa[i] < VMK_CHUNK_SIZE)
			return (void *)(VMK_VBASE + ((uint64_t)i << VMK_CHUNK_SHIFT) +
					(pa - vmk_boot->chunk_pa[i]));
	VMK_ASSERT(0, "pa outside vmkernel memory: COS memory goes through cosmem");
	return NULL;
}

static int overlaps_own(uint64_t pa, uint64_t end)
{
	for (uint32_t i = 0; i < vmk_boot->nchunks; i++) {
		uint64_t c = vmk_boot->chunk_pa[i];

		if (pa < c + VMK_CHUNK_SIZE && c < end)
			return 1;
	}
	return 0;
}

int mem_cos_range_ok(uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	if (len == 0 || end < pa)
		return 0;
	for (uint32_t i = 0; i < vmk_boot->nram; i++) {
		const struct vmk_range *r = &vmk_boot->ram[i];

		if (pa >= r->start && end <= r->end)
			return !overlaps_own(pa, end);
	}
	return 0;
}
