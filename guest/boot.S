/* Entry of the bench guest.  A multiboot (v1) loader enters in 32-bit
 * protected mode with paging off; we build identity page tables for the first
 * 1 GiB (2 MiB pages), enter long mode and call guest_main().  The a.out
 * kludge fields let loaders that refuse ELF64 (QEMU's -kernel) load us. */
#include <vmk/guest.h>
#define GUEST_MAX_CPUS 8             /* a power of two; main.c's too */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010000   /* addresses below are valid (a.out kludge) */

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, __load_start, __load_end, __bss_end, _start32

	/* vmk's long-mode header (<vmk/guest.h>): the VMM may start us in
	 * 64-bit mode at start64_vmm instead. */
	.section .vmklm, "a"
	.align 8
	.long VMK_GUEST_LM_MAGIC, 0, -VMK_GUEST_LM_MAGIC, 0
	.quad start64_vmm

/* From 32-bit protected mode to long mode (compatibility) on our tables:
 * PAE and SSE on, CR3 = pml4, EFER.LME, then paging. */
/* In 64-bit code: DS, ES, SS the flat data segment (0x10), FS, GS null. */
.macro DATA_SEGS_64
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
.endm

.macro PAGING_ON_32
	movl %cr4, %eax
	orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax   /* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx       /* EFER.LME */
	rdmsr
	orl $(1 << 8), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax        /* PG | PE */
	movl %eax, %cr0
.endm

	.section .text32, "ax"
	.code32
	.globl _start32
_start32:
	cli
	movl %ebx, mb_info_ptr        /* multiboot information (EAX = magic) */
	movl $boot_stack_top, %esp
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB, present|rw|ps */
	movl $pdpt, %eax
	orl $3, %eax
	movl %eax, pml4
	movl $pd, %eax
	orl $3, %eax
	movl %eax, pdpt
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b
	PAGING_ON_32
	lgdt gdt_ptr
	ljmp $0x08, $start64

/* The application processors' start-up code: guest_smp_start() copies it to
 * VMK_GUEST_AP_TRAMP_PA and starts each AP there with INIT and a start-up
 * IPI (real mode, CS = PA >> 4, IP = 0).  It loads our GDT, reaches 32-bit
 * protected mode, then long mode on the BSP's page tables, and jumps to
 * ap_start64.  Position-dependent on the PA only through the far jump. */
	.globl ap_tramp_start, ap_tramp_end
	.code16
ap_tramp_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (ap_tramp_gdtp - ap_tramp_start)
	movl %cr0, %eax
	andl $0x9fffffff, %eax       /* caches on: CD and NW off */
	orl $1, %eax                 /* PE */
	movl %eax, %cr0
	ljmpl $0x18, $(VMK_GUEST_AP_TRAMP_PA + ap_tramp32 - ap_tramp_start)
	.code32
ap_tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	PAGING_ON_32
	ljmp $0x08, $ap_start64
	.balign 8
ap_tramp_gdtp:
	.word gdt_end - gdt - 1
	.long gdt
ap_tramp_end:

	.code64
/* An AP in long mode: its index is its initial APIC ID (CPUID 1, EBX
 * 31:24), its stack ap_stacks[index]. */
ap_start64:
	DATA_SEGS_64
	movl $1, %eax
	cpuid
	shrl $24, %ebx
	andl $(GUEST_MAX_CPUS - 1), %ebx
	movl %ebx, %edi
	leal 1(%ebx), %eax
	shlq $14, %rax
	leaq ap_stacks(%rip), %rsp
	addq %rax, %rsp
	call guest_ap_main
3:	hlt
	jmp 3b

/* Entered by the VMM in 64-bit mode on its own tables: RBX = multiboot
 * information.  Our tables and GDT take over from here as on the 32-bit
 * path, so both paths run the same code from start64 on. */
start64_vmm:
	leaq boot_stack_top(%rip), %rsp
	movl %ebx, mb_info_ptr(%rip)
	movl $1, boot_by_vmm(%rip)
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB, as _start32 does */
	leaq pdpt(%rip), %rax
	orq $3, %rax
	movq %rax, pml4(%rip)
	leaq pd(%rip), %rax
	orq $3, %rax
	movq %rax, pdpt(%rip)
	xorl %ecx, %ecx
	leaq pd(%rip), %rdi
1:	movq %rcx, %rax
	shlq $21, %rax
	orq $0x83, %rax
	movq %rax, (%rdi, %rcx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b
	leaq pml4(%rip), %rax
	movq %rax, %cr3
	lgdt gdt_ptr64(%rip)
	pushq $0x08
	leaq start64(%rip), %rax
	pushq %rax
	lretq

start64:
	DATA_SEGS_64
	movq $boot_stack_top, %rsp
	call guest_main
2:	hlt
	jmp 2b

	.section .rodata
	.align 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff     /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff     /* 0x10: data */
	.quad 0x00cf9a000000ffff     /* 0x18: 32-bit code (the AP trampoline) */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
gdt_ptr64:
	.word gdt_end - gdt - 1
	.quad gdt

	.section .data
	.globl mb_info_ptr
	.align 4
mb_info_ptr:
	.long 0
	.globl boot_by_vmm
boot_by_vmm:                 /* 1 if the VMM started us in long mode */
	.long 0

	.section .bss
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
boot_stack:
	.skip 16384
boot_stack_top:
	.align 16
ap_stacks:                   /* 16 KiB each, by CPU index (0 unused) */
	.skip 16384 * GUEST_MAX_CPUS

	.section .note.GNU-stack, "", @progbits
