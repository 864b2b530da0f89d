/* Just enough x86 instruction decoding for the MMIO accesses the vmkernel
 * traps without decode assists: 32-bit loads and stores, in 64-bit mode or
 * 32-bit protected mode.  Plain C, shared by the vmkernel and its hosted
 * tests. */
#ifndef VMK_X86_DECODE_H
#define VMK_X86_DECODE_H
#include <stdbool.h>
#include <vmk/types.h>

#define X86_INSN_MAX 15

/* One 32-bit memory access. */
struct x86_mmio {
	unsigned len;      /* instruction length */
	uint8_t op;        /* the opcode byte; on a refusal, the byte refused */
	bool load;         /* reads memory: MOV r32, m32 (8B), XCHG */
	bool store;        /* writes memory: MOV m32, r32 (89), MOV m32, imm32 (C7 /0), XCHG */
	uint32_t value;    /* store: the value written */
	int reg;           /* load: the register (encoding number) that gets the value, else -1 */
};

/* Decode the instruction at @b (@n bytes available) in 64-bit mode
 * (@long_mode) or 32-bit protected mode: [segment prefixes] [0x67 in
 * 64-bit mode] [REX in 64-bit mode] then 8B /r, 89 /r, C7 /0 or 87 /r with
 * a memory operand (every ModRM/SIB/displacement form).  @regs are the GPRs
 * by encoding number.  VMK_EINVAL for anything else, m->op naming the byte
 * refused: another opcode, a register operand, REX.W (64-bit), 0x66
 * (16-bit), LOCK/REP, 0x67 in 32-bit mode (16-bit addressing), more than
 * 15 bytes, or bytes cut short (m->op is then the opcode, or 0 if none was
 * reached).  The address is not computed: the caller knows it from the
 * fault. */
int x86_decode_mmio32(const uint8_t *b, unsigned n, bool long_mode, const uint64_t regs[16],
		      struct x86_mmio *m);

struct x86_store {
	unsigned len;      /* instruction length */
	uint32_t value;
	int xchg_reg;      /* XCHG: register that gets the old value, else -1 */
};

/* The stores alone, 64-bit mode (the COS's APIC writes): what
 * x86_decode_mmio32() accepts that writes memory; a load is VMK_EINVAL. */
int x86_decode_store32(const uint8_t *b, unsigned n, const uint64_t regs[16],
		       struct x86_store *w);

#endif
