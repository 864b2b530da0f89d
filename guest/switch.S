/* World-switch state check: before each yield to the vmkernel, fill every
 * general register, the carry flag and XMM0/XMM1 with values derived from
 * the iteration; after it, compare them all.  Run with the COS busy, it
 * shows that nothing of one world leaks into another.
 *
 *   uint64_t guest_switch_test(uint64_t n)
 *     -> 0, or the (nonzero) iterations left when a register came back wrong */
#define GHC_YIELD 1
#define PAT 0x5a5aa5a5c3c33c3c

	.text
	.globl guest_switch_test
guest_switch_test:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rdi, %r15              /* iterations left */
1:	testq %r15, %r15
	jz 9f
	movq $PAT, %rax
	xorq %r15, %rax              /* this iteration's pattern */
	movq %rax, %rbx
	rolq $7, %rbx
	movq %rax, %rcx
	rolq $13, %rcx
	movq %rax, %rdx
	rolq $19, %rdx
	movq %rax, %rsi
	rolq $23, %rsi
	movq %rax, %rdi
	rolq $29, %rdi
	movq %rax, %rbp
	rolq $31, %rbp
	movq %rax, %r8
	rolq $37, %r8
	movq %rax, %r9
	rolq $41, %r9
	movq %rax, %r10
	rolq $43, %r10
	movq %rax, %r11
	rolq $47, %r11
	movq %rax, %r12
	rolq $53, %r12
	movq %rax, %r13
	rolq $59, %r13
	movq %rax, %r14
	notq %r14
	movq %rax, %xmm0
	movq %rbx, %xmm1
	pushq %rax                   /* 8(%rsp): the pattern */
	pushq %r15                   /* 0(%rsp): the counter */
	movq $GHC_YIELD, %rax
	stc                          /* CF must survive the yield */
	vmmcall
	jnc 8f
	testq %rax, %rax             /* the yield returns 0 */
	jnz 8f
	cmpq (%rsp), %r15
	jne 8f
	movq 8(%rsp), %rax
	rolq $7, %rax
	cmpq %rax, %rbx
	jne 8f
	movq 8(%rsp), %rax
	rolq $13, %rax
	cmpq %rax, %rcx
	jne 8f
	movq 8(%rsp), %rax
	rolq $19, %rax
	cmpq %rax, %rdx
	jne 8f
	movq 8(%rsp), %rax
	rolq $23, %rax
	cmpq %rax, %rsi
	jne 8f
	movq 8(%rsp), %rax
	rolq $29, %rax
	cmpq %rax, %rdi
	jne 8f
	movq 8(%rsp), %rax
	rolq $31, %rax
	cmpq %rax, %rbp
	jne 8f
	movq 8(%rsp), %rax
	rolq $37, %rax
	cmpq %rax, %r8
	jne 8f
	movq 8(%rsp), %rax
	rolq $41, %rax
	cmpq %rax, %r9
	jne 8f
	movq 8(%rsp), %rax
	rolq $43, %rax
	cmpq %rax, %r10
	jne 8f
	movq 8(%rsp), %rax
	rolq $47, %rax
	cmpq %rax, %r11
	jne 8f
	movq 8(%rsp), %rax
	rolq $53, %rax
	cmpq %rax, %r12
	jne 8f
	movq 8(%rsp), %rax
	rolq $59, %rax
	cmpq %rax, %r13
	jne 8f
	movq 8(%rsp), %rax
	notq %rax
	cmpq %rax, %r14
	jne 8f
	movq %xmm0, %rax
	cmpq 8(%rsp), %rax
	jne 8f
	movq %xmm1, %rax
	cmpq %rax, %rbx
	jne 8f
	addq $16, %rsp
	decq %r15
	jmp 1b
8:	popq %rax                    /* the counter, nonzero: which iteration failed */
	addq $8, %rsp
	jmp 10f
9:	xorl %eax, %eax
10:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.section .note.GNU-stack, "", @progbits
