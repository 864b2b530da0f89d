/* See x86_decode.h. */
#include <vmk/err.h>
#include "x86_decode.h"

int x86_decode_store32(const uint8_t *b, unsigned n, const uint64_t regs[16],
		       struct x86_store *w)
{
	unsigned i = 0, rex = 0, op, modrm, mod, rm, reg;

	while (i < n && (b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 ||
			 b[i] == 0x64 || b[i] == 0x65 || b[i] == 0x67))
		i++;   /* segment and address-size prefixes change no length below */
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (rex & 8 || i + 2 > n)
		return VMK_EINVAL;   /* REX.W: a 64-bit store; or truncated */
	op = b[i++];
	modrm = b[i++];
	mod = modrm >> 6, rm = modrm & 7, reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
	if (mod == 3 || (op != 0x89 && op != 0x87 && !(op == 0xc7 && (modrm & 0x38) == 0)))
		return VMK_EINVAL;
	if (rm == 4) {                       /* SIB */
		if (i >= n)
			return VMK_EINVAL;
		if (mod == 0 && (b[i] & 7) == 5)
			i += 4;              /* no base: disp32 */
		i++;
	} else if (mod == 0 && rm == 5) {
		i += 4;                      /* RIP-relative disp32 */
	}
	i += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	w->xchg_reg = -1;
	if (op == 0xc7) {
		if (i + 4 > n)
			return VMK_EINVAL;
		w->value = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
			   (uint32_t)b[i + 3] << 24;
		i += 4;
	} else {
		w->value = (uint32_t)regs[reg];
		if (op == 0x87)
			w->xchg_reg = (int)reg;
	}
	if (i > n)
		return VMK_EINVAL;
	w->len = i;
	return VMK_OK;
}

