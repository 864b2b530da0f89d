/* Just enough x86 instruction decoding for MMIO writes the vmkernel traps
 * without decode assists: 32-bit stores in 64-bit mode.  Plain C, shared by
 * the vmkernel and its hosted tests. */
#ifndef VMK_X86_DECODE_H
#define VMK_X86_DECODE_H
#include <vmk/types.h>

struct x86_store {
	unsigned len;      /* instruction length */
	uint32_t value;
	int xchg_reg;      /* XCHG: register that gets the old value, else -1 */
};

/* Decode the store at @b (@n bytes available): [segment/0x67 prefixes]
 * [REX] then 89 /r (MOV r/m32, r32), C7 /0 (MOV r/m32, imm32) or 87 /r (XCHG).
 * @regs are the GPRs by encoding number.  VMK_EINVAL for anything else
 * (register destination, REX.W, 0x66, truncated bytes).  The address is not
 * computed: the caller knows it from the fault. */
int x86_decode_store32(const uint8_t *b, unsigned n, const uint64_t regs[16],
		       struct x86_store *w);

#endif
