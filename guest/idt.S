/* Exception stubs of the bench guest: each calls guest_exception(vector, rip),
 * which reports and ends the guest. */
	.text
.macro STUB v, err
gexc_\v:
	.if \err
	addq $8, %rsp            /* drop the error code */
	.endif
	movq $\v, %rdi
	movq (%rsp), %rsi        /* the faulting RIP */
	andq $-16, %rsp
	call guest_exception
	ud2
.endm
	STUB 0,0
	STUB 1,0
	STUB 2,0
	STUB 3,0
	STUB 4,0
	STUB 5,0
	STUB 6,0
	STUB 7,0
	STUB 8,1
	STUB 9,0
	STUB 10,1
	STUB 11,1
	STUB 12,1
	STUB 13,1
	STUB 14,1
	STUB 15,0
	STUB 16,0
	STUB 17,1
	STUB 18,0
	STUB 19,0
	STUB 20,0
	STUB 21,1
	STUB 22,0
	STUB 23,0
	STUB 24,0
	STUB 25,0
	STUB 26,0
	STUB 27,0
	STUB 28,0
	STUB 29,1
	STUB 30,1
	STUB 31,0

/* The timer's interrupt (VMK_GHC_TIMER): count it and return. */
	.globl guest_timer_stub
guest_timer_stub:
	incq guest_timer_count(%rip)
	iretq

/* #GP that the apicbad test provokes on purpose with WRMSR/RDMSR (2 bytes):
 * count it and go on after the instruction. */
	.globl guest_gp_skip
guest_gp_skip:
	addq $8, %rsp                /* the error code */
	addq $2, (%rsp)
	lock incq guest_gp_count(%rip)
	iretq

	.data
	.globl guest_gp_count
	.balign 8
guest_gp_count:
	.quad 0
	.text

/* vLAPIC interrupts (the x2APIC tests) and NMIs: each pushes its vector
 * and calls guest_irq(vector) with the caller-saved registers kept. */
.macro IRQ v
girq_\v:
	pushq $\v
	jmp girq_common
.endm
	.irp v, 0x02,0x30,0x40,0x41,0x42,0x43,0x44,0x45,0x46,0x47,0x48,0x50,0x51,0x52,0x53,0x54,0x55,0x56,0x57,0xff
	IRQ \v
	.endr
girq_common:
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
	subq $8, %rsp                /* the frame and 10 pushes leave RSP 8 off 16 */
	call guest_irq
	addq $8, %rsp
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
	.globl guest_exc_stubs
	.balign 8
guest_exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad gexc_\v
	.endr
	.globl guest_irq_stubs
guest_irq_stubs:             /* vector, stub */
	.irp v, 0x02,0x30,0x40,0x41,0x42,0x43,0x44,0x45,0x46,0x47,0x48,0x50,0x51,0x52,0x53,0x54,0x55,0x56,0x57,0xff
	.quad \v, girq_\v
	.endr
	.quad 0, 0
	.section .note.GNU-stack, "", @progbits
