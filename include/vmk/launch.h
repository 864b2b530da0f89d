/* ABI between the loader (vmkload.ko and its trampoline) and the vmkernel:
 * the memory layout the loader builds, the boot information it passes, and
 * the per-CPU launch block through which each CPU enters the vmkernel and,
 * on unload or failure, returns to bare metal.  Versioned; the assembly on
 * both sides uses offsets generated from these structs (asm-offsets). */
#ifndef VMK_LAUNCH_H
#define VMK_LAUNCH_H
#include <vmk/types.h>

#define VMK_LAUNCH_ABI_VERSION 2u

#define VMK_MAX_CPUS 64u
#define VMK_CHUNK_SHIFT 21u                       /* memory comes in 2 MiB chunks */
#define VMK_CHUNK_SIZE (1ull << VMK_CHUNK_SHIFT)
#define VMK_MAX_CHUNKS 256u                       /* so at most 512 MiB */
#define VMK_MAX_RAM_RANGES 32u
#define VMK_STACK_SIZE (16u << 10)

/* The vmkernel's own address space (its CR3, built by the loader):
 * - its memory, chunk after chunk, from VMK_VBASE (the image is linked there);
 * - each CPU's launch block (COS memory) at VMK_LAUNCH_VA + index * 4 KiB;
 * - the loader's trampoline page(s) at the same address as in Linux.
 * Nothing else of the COS is mapped: the vmkernel reaches COS memory through
 * its per-CPU mapping cache, whose windows start at VMK_MAPWIN (it builds
 * those page tables itself), and the local APIC's page at VMK_LAPIC_VA (it
 * maps that too). */
#define VMK_VBASE 0xffffffff90000000ull
#define VMK_LAUNCH_VA 0xffffff8000000000ull
#define VMK_LAPIC_VA 0xffffff803ffff000ull
#define VMK_MAPWIN 0xffffff8040000000ull

struct vmk_range {
	uint64_t start, end;   /* [start, end) */
};

/* A segment in the VMCB's format: attrib = descriptor bits 40-47 and 52-55. */
struct vmk_seg {
	uint16_t sel;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

/* Descriptor-table register; &limit is what LGDT/LIDT/SGDT take, so the
 * padding goes first to keep limit and base adjacent. */
struct vmk_dtr {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};

/* COS CPU state the trampoline reinstates on the way back to bare metal.
 * FS, GS, TR, LDTR and the syscall MSRs are restored by the vmkernel with
 * VMLOAD before it jumps to the trampoline; EFER and PAT by WRMSR. */
struct vmk_cos_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rsp, rip, rflags;
	uint64_t cr0, cr3, cr4, dr7;
	struct vmk_dtr gdtr, idtr;
	uint64_t cs, ss, ds, es;   /* selectors */
};

/* One page of COS memory per CPU, allocated by vmkload.ko.  The trampoline
 * reaches it at its Linux address, the vmkernel at VMK_LAUNCH_VA + 4K * i. */
struct vmk_launch_cpu {
	/* Written by the module before entry. */
	uint64_t vmk_cr3;        /* root of the vmkernel's page tables */
	uint64_t vmk_self;       /* this block's address in the vmkernel */
	uint64_t vmk_entry;      /* vmkernel entry (its address space) */
	uint64_t vmk_stack;      /* top of this CPU's vmkernel stack */
	uint64_t self_pa;        /* physical address of this block */
	uint64_t boot_va;        /* struct vmk_boot_info, vmkernel address */
	uint64_t self_va;        /* this block's Linux address (for leave) */
	uint64_t tramp_leave;    /* the trampoline's way back to bare metal */
	uint32_t cpu, apic_id;   /* Linux CPU number and APIC ID */
	/* COS state the module captured just before entry. */
	uint64_t cr0, cr2, cr3, cr4, efer, pat, dr7;
	struct vmk_dtr gdtr, idtr;
	struct vmk_seg cs, ss, ds, es;
	/* Written by the trampoline: where the COS resumes. */
	uint64_t rsp, rip, rflags;
	/* Written by the vmkernel when it sends this CPU back to bare metal. */
	struct vmk_cos_regs leave;
	int64_t status;          /* 0 or VMK_E*: why the launch failed */
};

struct vmk_boot_cpu {
	uint32_t cpu, apic_id;
	uint64_t launch_pa;      /* struct vmk_launch_cpu */
};

/* Written by the loader at the start of the vmkernel's memory after the
 * image; everything the vmkernel needs to know about the machine. */
struct vmk_boot_info {
	uint32_t abi_version;    /* VMK_LAUNCH_ABI_VERSION */
	uint32_t ncpus;
	uint32_t nchunks;
	uint32_t nram;
	uint32_t paging_levels;  /* 4 or 5: the COS's (CR4.LA57) */
	uint32_t maxphyaddr;
	uint64_t mem_size;       /* nchunks * VMK_CHUNK_SIZE */
	uint64_t free_offset;    /* first byte the loader left unused */
	uint64_t image_load_size;
	uint64_t max_phys;       /* identity-map the COS up to here */
	uint64_t pt_root;        /* root of the vmkernel's page tables */
	uint64_t tsc_khz;        /* the COS's measure of the TSC rate */
	uint64_t tramp_va, tramp_pages;
	uint64_t chunk_pa[VMK_MAX_CHUNKS];
	struct vmk_range ram[VMK_MAX_RAM_RANGES];  /* COS RAM, for checks */
	struct vmk_boot_cpu cpus[VMK_MAX_CPUS];
};

#endif
