/* Entry of the bench guest.  A multiboot (v1) loader enters in 32-bit
 * protected mode with paging off; we build identity page tables for the first
 * 1 GiB (2 MiB pages), enter long mode and call guest_main().  The a.out
 * kludge fields let loaders that refuse ELF64 (QEMU's -kernel) load us. */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010000   /* addresses below are valid (a.out kludge) */

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, __load_start, __load_end, __bss_end, _start32

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
	lgdt gdt_ptr
	ljmp $0x08, $start64

	.code64
start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
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
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

	.section .data
	.globl mb_info_ptr
	.align 4
mb_info_ptr:
	.long 0

	.section .bss
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
