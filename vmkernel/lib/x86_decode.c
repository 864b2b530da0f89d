/* See x86_decode.h. */
#include <vmk/err.h>
#include "x86_decode.h"

static bool seg_prefix(uint8_t c)
{
	return c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65;
}

/* Bytes after the ModRM byte that address memory: SIB and displacement.
 * Identical in 64-bit mode and with 32-bit addressing, except that mod 0
 * r/m 5 is RIP-relative in one and absolute in the other (disp32 both).
 * -1 if the SIB byte is needed and not there. */
static int modrm_tail(const uint8_t *b, unsigned i, unsigned n, unsigned modrm)
{
	unsigned mod = modrm >> 6, rm = modrm & 7, k = 0;

	if (rm == 4) {                       /* SIB */
		if (i >= n)
			return -1;
		if (mod == 0 && (b[i] & 7) == 5)
			k += 4;              /* no base: disp32 */
		k++;
	} else if (mod == 0 && rm == 5) {
		k += 4;                      /* disp32 (RIP-relative in 64-bit mode) */
	}
	return (int)(k + (mod == 1 ? 1 : mod == 2 ? 4 : 0));
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The operation, once opcode and ModRM are known. */
static int mmio_op(const uint8_t *b, unsigned i, unsigned n, unsigned reg,
		   const uint64_t regs[16], struct x86_mmio *m)
{
	switch (m->op) {
	case 0x8b:
		m->load = true, m->reg = (int)reg;
		break;
	case 0x87:   /* both: memory gets the register, the register the old value */
		m->load = true, m->reg = (int)reg;
		m->store = true, m->value = (uint32_t)regs[reg];
		break;
	case 0x89:
		m->store = true, m->value = (uint32_t)regs[reg];
		break;
	case 0xc7:
		if (i + 4 > n)
			return VMK_EINVAL;
		m->store = true, m->value = le32(b + i);
		i += 4;
		break;
	}
	if (i > n || i > X86_INSN_MAX)
		return VMK_EINVAL;
	m->len = i;
	return VMK_OK;
}

int x86_decode_mmio32(const uint8_t *b, unsigned n, bool long_mode, const uint64_t regs[16],
		      struct x86_mmio *m)
{
	unsigned i = 0, rex = 0, modrm;
	int tail;

	*m = (struct x86_mmio){ .reg = -1 };
	/* Segment prefixes change nothing here: the fault gave the address.
	 * 0x67 keeps ModRM's format only in 64-bit mode (32-bit addressing). */
	while (i < n && i < X86_INSN_MAX && (seg_prefix(b[i]) || (long_mode && b[i] == 0x67)))
		i++;
	if (long_mode && i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return VMK_EINVAL;
	m->op = b[i++];
	if (rex & 8)
		return m->op = (uint8_t)rex, VMK_EINVAL;   /* REX.W: a 64-bit access */
	if (m->op != 0x8b && m->op != 0x89 && m->op != 0x87 && m->op != 0xc7)
		return VMK_EINVAL;
	if (i >= n)
		return VMK_EINVAL;
	modrm = b[i++];
	if (modrm >> 6 == 3 || (m->op == 0xc7 && (modrm & 0x38)))
		return VMK_EINVAL;   /* register operand, or C7 /1../7 */
	if ((tail = modrm_tail(b, i, n, modrm)) < 0)
		return VMK_EINVAL;
	return mmio_op(b, i + (unsigned)tail, n, ((modrm >> 3) & 7) | ((rex & 4) << 1), regs, m);
}

int x86_decode_store32(const uint8_t *b, unsigned n, const uint64_t regs[16],
		       struct x86_store *w)
{
	struct x86_mmio m;

	if (x86_decode_mmio32(b, n, true, regs, &m) != VMK_OK || !m.store)
		return VMK_EINVAL;
	w->len = m.len;
	w->value = m.value;
	w->xchg_reg = m.load ? m.reg : -1;
	return VMK_OK;
}
