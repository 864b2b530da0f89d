/* See world_insn.h. */
#include "vmk_core.h"
#include "cpu.h"
#include "vmcb.h"
#include "world_insn.h"
#include "../lib/pagetable.h"

#define CR0_PG (1ull << 31)
#define CS_L 0x200u   /* vmcb segment attrib: 64-bit code */

struct walk {
	world_read_fn read;
	void *ctx;
};

static int walk_entry(void *ctx, uint64_t pa, uint64_t *e)
{
	struct walk *wk = ctx;

	return wk->read(wk->ctx, pa, e, 8);
}

uint64_t world_gva_to_gpa(const struct world *w, uint64_t va, world_read_fn read, void *ctx)
{
	const struct vmcb *v = w->vmcb;
	struct walk wk = { read, ctx };

	if (!(v->s.cr0 & CR0_PG))
		return va;
	if (!(v->s.efer & EFER_LMA))
		return (uint64_t)-1;
	return pt_translate(v->s.cr4 & CR4_LA57 ? 5 : 4, v->s.cr3, va, walk_entry, &wk);
}

unsigned world_fetch(const struct world *w, world_read_fn read, void *ctx,
		     uint8_t buf[X86_INSN_MAX])
{
	const struct vmcb *v = w->vmcb;
	uint64_t lin = v->s.rip + (v->s.cs.attrib & CS_L ? 0 : v->s.cs.base);
	unsigned n = 0;

	while (n < X86_INSN_MAX) {
		uint64_t pa = world_gva_to_gpa(w, lin + n, read, ctx);
		unsigned in_page = PAGE_SIZE - (unsigned)((lin + n) & (PAGE_SIZE - 1));
		unsigned k = X86_INSN_MAX - n < in_page ? X86_INSN_MAX - n : in_page;

		if (pa == (uint64_t)-1 || read(ctx, pa, buf + n, k))
			break;
		n += k;
	}
	return n;
}

void world_gprs(const struct world *w, uint64_t r[16])
{
	const struct gprs *g = &w->g;

	r[0] = w->vmcb->s.rax, r[1] = g->rcx, r[2] = g->rdx, r[3] = g->rbx;
	r[4] = w->vmcb->s.rsp, r[5] = g->rbp, r[6] = g->rsi, r[7] = g->rdi;
	r[8] = g->r8, r[9] = g->r9, r[10] = g->r10, r[11] = g->r11;
	r[12] = g->r12, r[13] = g->r13, r[14] = g->r14, r[15] = g->r15;
}

void world_gpr_set(struct world *w, unsigned n, uint64_t v)
{
	struct gprs *g = &w->g;
	uint64_t *by_num[16] = { 0, &g->rcx, &g->rdx, &g->rbx, 0, &g->rbp, &g->rsi, &g->rdi,
				 &g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13,
				 &g->r14, &g->r15 };

	if (n == 0)
		w->vmcb->s.rax = v;
	else if (n == 4)
		w->vmcb->s.rsp = v;
	else
		*by_num[n & 15] = v;
}
