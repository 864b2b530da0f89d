/* Core services of the vmkernel used everywhere: log, assertions, memory. */
#ifndef VMK_CORE_H
#define VMK_CORE_H
#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <vmk/err.h>
#include <vmk/launch.h>
#include <vmk/hypercall.h>

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE 4096u

/* log.c: a ring in vmkernel memory that the COS reads by hypercall. */
#define VMK_LOG_SIZE VMK_HC_LOG_RING
void vmk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmk_vlog(const char *fmt, va_list ap);
uint64_t vmk_log_total(void);
uint64_t vmk_log_oldest(void);   /* first offset the ring still holds */
uint64_t vmk_log_copy(char *dst, uint64_t len, uint64_t offset);
int vmk_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Invariants: a broken one is a vmkernel bug; log where and stop this CPU. */
void vmk_panic(const char *file, int line, const char *why) __attribute__((noreturn));
#define VMK_ASSERT(cond, why) \
	do { if (!(cond)) vmk_panic(__FILE__, __LINE__, (why)); } while (0)

/* mem.c: the chunks the loader gave us, and a page allocator over them. */
extern struct vmk_boot_info *vmk_boot;
void mem_init(struct vmk_boot_info *boot);
void *mem_alloc_pages(unsigned n, uint64_t *pa);   /* zeroed, or NULL */
/* The same, physically contiguous (within one chunk): n <= 512. */
void *mem_alloc_contig(unsigned n, uint64_t *pa);
uint64_t mem_va_to_pa(const void *va);
void *mem_pa_to_va(uint64_t pa);                   /* own memory only */
int mem_is_own(uint64_t pa);                       /* inside a vmkernel chunk */
uint64_t mem_free_bytes(void);
int mem_take_chunks(unsigned n, uint32_t *idx);      /* whole 2 MiB chunks */
void mem_give_chunks(unsigned n, const uint32_t *idx);
/* COS memory: [pa, pa + len) is COS RAM and not the vmkernel's. */
int mem_cos_range_ok(uint64_t pa, uint64_t len);

/* cosmem.c: COS memory, reached page by page through the per-CPU mapping
 * cache.  Ranges are checked with mem_cos_range_ok first; VMK_EFAULT else.
 * @cpu is the calling CPU's index. */
int cosmem_init(void);
/* Map one page at @va in the vmkernel's address space (set-up time only). */
int vmk_map_page(uint64_t va, uint64_t pa, uint64_t flags);
int cos_write(unsigned cpu, uint64_t pa, const void *src, uint64_t len);
int cos_read(unsigned cpu, uint64_t pa, void *dst, uint64_t len);
/* Hold one COS page mapped (for a pointer kept across exits); the address
 * is valid on @cpu only, until cos_unmap. */
void *cos_map(unsigned cpu, uint64_t pa);
void cos_unmap(unsigned cpu, const void *va);
struct pcpu_stats;
void cosmem_stats(unsigned cpu, struct pcpu_stats *out);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
