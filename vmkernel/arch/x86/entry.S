/* vmkernel entry, the world-run loop and the exception stubs. */
#include "pcpu_offsets.h"

#define MSR_EFER 0xc0000080
#define EFER_SVME_BIT 12

	.text
/* vmk_entry: each CPU arrives here from the loader's trampoline, on its
 * vmkernel stack and page tables, with RDI = its launch block's physical
 * address and interrupts off.  First SVM on and GIF clear, so that not even
 * an NMI reaches the COS's handlers (unmapped here) from now on. */
	.globl vmk_entry
vmk_entry:
	movl $MSR_EFER, %ecx
	rdmsr
	btsl $EFER_SVME_BIT, %eax
	wrmsr
	clgi
	/* Flush what Linux left in the TLB, global entries included. */
	movq %cr4, %rax
	movq %rax, %rcx
	andq $~0x80, %rcx
	movq %rcx, %cr4
	movq %rax, %cr4
	xorl %ebp, %ebp
	andq $-16, %rsp
	call vmk_cpu_main
	ud2

/* load_segments(code, data): reload CS through a far return, then SS/DS/ES. */
	.globl load_segments
load_segments:
	popq %rax
	pushq %rdi
	pushq %rax
	movw %si, %ss
	movw %si, %ds
	movw %si, %es
	lretq

/* svm_world_run(struct pcpu *p): run the CPU's current world (p->cur), over
 * and over, handling each exit in between; a world switch is the handler
 * changing p->cur.  Never returns: unload leaves from the handler.  VMRUN loads and
 * saves RAX, RSP, RIP, flags and the control/segment state; VMLOAD/VMSAVE the
 * rest of the guest's hidden state; the other GPRs are ours to switch. */
	.globl svm_world_run
svm_world_run:
	pushq %rdi
1:	movq (%rsp), %rax
	movq PCPU_CUR(%rax), %rax
	movq WORLD_RBX(%rax), %rbx
	movq WORLD_RCX(%rax), %rcx
	movq WORLD_RDX(%rax), %rdx
	movq WORLD_RSI(%rax), %rsi
	movq WORLD_RDI(%rax), %rdi
	movq WORLD_RBP(%rax), %rbp
	movq WORLD_R8(%rax), %r8
	movq WORLD_R9(%rax), %r9
	movq WORLD_R10(%rax), %r10
	movq WORLD_R11(%rax), %r11
	movq WORLD_R12(%rax), %r12
	movq WORLD_R13(%rax), %r13
	movq WORLD_R14(%rax), %r14
	movq WORLD_R15(%rax), %r15
	movq WORLD_VMCB_PA(%rax), %rax
	/* Host IF on across VMRUN (GIF, clear here, still blocks everything in
	 * the vmkernel): with V_INTR_MASKING a VM's physical interrupts then
	 * exit to us, so a VM that never exits cannot starve the COS.  Not
	 * right before VMRUN: its interrupt shadow has no business there. */
	sti
	vmload %rax
	vmrun %rax
	.globl svm_vmrun_resume
svm_vmrun_resume:           /* the host's RIP after #VMEXIT */
	cli
	vmsave %rax
	movq (%rsp), %rax
	movq PCPU_CUR(%rax), %rax
	movq %rbx, WORLD_RBX(%rax)
	movq %rcx, WORLD_RCX(%rax)
	movq %rdx, WORLD_RDX(%rax)
	movq %rsi, WORLD_RSI(%rax)
	movq %rdi, WORLD_RDI(%rax)
	movq %rbp, WORLD_RBP(%rax)
	movq %r8, WORLD_R8(%rax)
	movq %r9, WORLD_R9(%rax)
	movq %r10, WORLD_R10(%rax)
	movq %r11, WORLD_R11(%rax)
	movq %r12, WORLD_R12(%rax)
	movq %r13, WORLD_R13(%rax)
	movq %r14, WORLD_R14(%rax)
	movq %r15, WORLD_R15(%rax)
	movq (%rsp), %rax
	movq PCPU_HOST_VMCB_PA(%rax), %rax
	vmload %rax
	movq (%rsp), %rdi
	call svm_handle_exit
	jmp 1b

/* Exception stubs: a uniform frame (vector, error code, then the GPRs) for
 * vmk_exception(), which reports and stops the CPU: a fault inside the
 * vmkernel is a vmkernel bug. */
.macro EXC vec, has_err
exc_\vec:
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp exc_common
.endm

	EXC 0,0
	EXC 1,0
	EXC 2,0
	EXC 3,0
	EXC 4,0
	EXC 5,0
	EXC 6,0
	EXC 7,0
	EXC 8,1
	EXC 9,0
	EXC 10,1
	EXC 11,1
	EXC 12,1
	EXC 13,1
	EXC 14,1
	EXC 15,0
	EXC 16,0
	EXC 17,1
	EXC 18,0
	EXC 19,0
	EXC 20,0
	EXC 21,1
	EXC 22,0
	EXC 23,0
	EXC 24,0
	EXC 25,0
	EXC 26,0
	EXC 27,0
	EXC 28,0
	EXC 29,1
	EXC 30,1
	EXC 31,0

exc_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	andq $-16, %rsp
	call vmk_exception
	ud2

/* NMIs reach the vmkernel only in an owned CPU's interrupt window (GIF is
 * clear everywhere else); none is meant for it, so it just returns. */
	.globl nmi_ignore
nmi_ignore:
	iretq

/* Vectors 32-255: only owned CPUs take them, in their interrupt windows
 * (cpuctl.c).  Save what C may clobber, call vmk_irq(vector), return. */
/* One 16-byte stub per vector: irq_stubs + (vector - 32) * 16. */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.balign 16
	pushq $vec
	jmp irq_common
	.set vec, vec + 1
	.endr

irq_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq 72(%rsp), %rdi
	pushq %rbp
	movq %rsp, %rbp
	andq $-16, %rsp
	call vmk_irq
	movq %rbp, %rsp
	popq %rbp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp
	iretq

	.section .rodata
	.globl exc_stubs
	.balign 8
exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc_\v
	.endr

	.section .note.GNU-stack, "", @progbits
