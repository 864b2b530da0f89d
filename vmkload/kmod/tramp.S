/* The loader's trampoline: the only code mapped at the same address in
 * Linux's page tables and in the vmkernel's, so it can switch between them.
 * Offsets into struct vmk_launch_cpu come from launch_offsets.h (generated). */
#include <linux/linkage.h>
#include "launch_offsets.h"

	.text
	.balign 16
	.globl vmkload_tramp_start
vmkload_tramp_start:

/* long vmkload_tramp_enter(struct vmk_launch_cpu *lc): enter the vmkernel on
 * this CPU, handing it the block's address in its own address space.  Returns, as a guest of the vmkernel, 0; or, on bare metal after
 * a failed launch, a negative VMK_E* code. */
	.globl vmkload_tramp_enter
vmkload_tramp_enter:
	endbr64
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushfq
	cli
	movq %rsp, LC_RSP(%rdi)
	leaq vmkload_tramp_resume(%rip), %rax
	movq %rax, LC_RIP(%rdi)
	pushfq
	popq %rax
	movq %rax, LC_RFLAGS(%rdi)
	movq LC_VMK_STACK(%rdi), %rdx
	movq LC_VMK_ENTRY(%rdi), %rcx
	movq LC_VMK_CR3(%rdi), %rax
	movq LC_VMK_SELF(%rdi), %rdi
	movq %rax, %cr3
	movq %rdx, %rsp
	jmp *%rcx

/* Where the COS resumes: RAX holds the result. */
vmkload_tramp_resume:
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	RET

/* vmkload_tramp_leave(lc, cos_cr3): called by the vmkernel, in its address
 * space, SVM already off.  Switch to the COS's page tables, flush the TLB,
 * reload what the launch block's `leave` holds, and resume the COS there. */
	.globl vmkload_tramp_leave
vmkload_tramp_leave:
	endbr64
	movq %rsi, %cr3
	movq LV_CR4(%rdi), %rax
	movq %rax, %rcx
	andq $~0x80, %rcx          /* CR4.PGE off and on flushes global entries */
	movq %rcx, %cr4
	movq %rax, %cr4
	movq LV_CR0(%rdi), %rax
	movq %rax, %cr0
	lgdt LV_GDTR_LIMIT(%rdi)
	lidt LV_IDTR_LIMIT(%rdi)
	movq LV_DR7(%rdi), %rax
	movq %rax, %dr7
	movq LV_SS(%rdi), %rax
	movw %ax, %ss
	movq LV_DS(%rdi), %rax
	movw %ax, %ds
	movq LV_ES(%rdi), %rax
	movw %ax, %es
	/* The vmkernel's stack is not mapped here: use the COS's from now on. */
	movq LV_RSP(%rdi), %rsp
	pushq LV_CS(%rdi)
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	pushq LV_RIP(%rdi)
	pushq LV_RFLAGS(%rdi)
	movq LV_RAX(%rdi), %rax
	movq LV_RBX(%rdi), %rbx
	movq LV_RCX(%rdi), %rcx
	movq LV_RDX(%rdi), %rdx
	movq LV_RSI(%rdi), %rsi
	movq LV_RBP(%rdi), %rbp
	movq LV_R8(%rdi), %r8
	movq LV_R9(%rdi), %r9
	movq LV_R10(%rdi), %r10
	movq LV_R11(%rdi), %r11
	movq LV_R12(%rdi), %r12
	movq LV_R13(%rdi), %r13
	movq LV_R14(%rdi), %r14
	movq LV_R15(%rdi), %r15
	movq LV_RDI(%rdi), %rdi
	popfq
	RET

	.globl vmkload_tramp_end
vmkload_tramp_end:
