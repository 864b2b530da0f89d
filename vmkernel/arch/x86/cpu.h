/* One-instruction wrappers: the only inline assembly in the vmkernel. */
#ifndef VMK_X86_CPU_H
#define VMK_X86_CPU_H
#include <stdint.h>

#define MSR_EFER        0xc0000080u
#define MSR_STAR        0xc0000081u
#define MSR_PAT         0x00000277u
#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)
#define EFER_SVME  (1ull << 12)
#define EFER_FFXSR (1ull << 14)
#define PAT_RESET  0x0007040600070406ull   /* the PAT after reset */
#define GDT_CODE64 0x00af9a000000ffffull   /* flat 64-bit code, DPL 0 */
#define GDT_DATA   0x00cf92000000ffffull   /* flat data, DPL 0 */
#define CR4_PGE    (1ull << 7)
#define CR4_LA57   (1ull << 12)

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void write_cr2(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr2" : : "r"(v));
}

static inline void lgdt(const void *dtr)
{
	__asm__ volatile("lgdt %0" : : "m"(*(const char (*)[10])dtr));
}

static inline void lidt(const void *dtr)
{
	__asm__ volatile("lidt %0" : : "m"(*(const char (*)[10])dtr));
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

static inline void svm_vmsave(uint64_t pa)
{
	__asm__ volatile("vmsave %%rax" : : "a"(pa) : "memory");
}

static inline void svm_vmload(uint64_t pa)
{
	__asm__ volatile("vmload %%rax" : : "a"(pa) : "memory");
}

static inline void svm_stgi(void)
{
	__asm__ volatile("stgi" : : : "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* The page holding @va in address space @asid (SVM). */
static inline void invlpga(uintptr_t va, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" : : "a"(va), "c"(asid) : "memory");
}

/* The lab's instruction-count markers (scripts/lab --insncount): xchg
 * %bx,%bx and xchg %cx,%cx, no-ops on any CPU (<vmk/guest_bench.h>). */
static inline void insn_mark_begin(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xdb" : : : "memory");
}

static inline void insn_mark_end(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xc9" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
