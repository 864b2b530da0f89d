/* Sending a CPU back to the COS on bare metal: after unload, or when a launch
 * fails before the COS ran as a guest.  The vmkernel reinstates what only it
 * can (the VMLOAD state, PAT, CR2, EFER without SVME, GIF), writes the rest
 * into the launch block, and jumps to the loader's trampoline, which switches
 * to the COS's page tables and reloads descriptor tables, segments, control
 * registers and GPRs. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"

typedef void (*tramp_leave_fn)(uint64_t lc_va, uint64_t cos_cr3);

static void __attribute__((noreturn)) jump_out(struct vmk_launch_cpu *lc,
					       struct pcpu *p, uint64_t efer,
					       uint64_t cr3)
{
	/* Once the COS has run as a guest, only the copies in pcpu are trusted. */
	tramp_leave_fn fn = (tramp_leave_fn)(p ? p->tramp_leave : lc->tramp_leave);
	uint64_t lc_va = p ? p->lc_va : lc->self_va;

	if (p && p->cos_state_saved)
		svm_vmload(p->cos.vmcb_pa);   /* FS, GS, TR, LDTR, syscall MSRs */
	__asm__ volatile("cli");          /* so that STGI lets nothing fire here */
	svm_stgi();
	wrmsr(MSR_EFER, efer & ~EFER_SVME);
	fn(lc_va, cr3);
	__builtin_unreachable();
}

/* The COS state is the VMCB's: it resumes after its VMMCALL with @rax. */
void leave_to_cos(struct pcpu *p, int64_t rax)
{
	const struct vmcb *v = p->cos.vmcb;
	const struct gprs *g = &p->cos.g;
	struct vmk_cos_regs *r = &p->lc->leave;

	*r = (struct vmk_cos_regs){
		.rax = (uint64_t)rax, .rbx = g->rbx, .rcx = g->rcx, .rdx = g->rdx,
		.rsi = g->rsi, .rdi = g->rdi, .rbp = g->rbp, .r8 = g->r8,
		.r9 = g->r9, .r10 = g->r10, .r11 = g->r11, .r12 = g->r12,
		.r13 = g->r13, .r14 = g->r14, .r15 = g->r15,
		.rsp = v->s.rsp, .rip = v->s.rip + 3, .rflags = v->s.rflags,
		.cr0 = v->s.cr0, .cr3 = v->s.cr3, .cr4 = v->s.cr4, .dr7 = v->s.dr7,
		.gdtr = { .limit = (uint16_t)v->s.gdtr.limit, .base = v->s.gdtr.base },
		.idtr = { .limit = (uint16_t)v->s.idtr.limit, .base = v->s.idtr.base },
		.cs = v->s.cs.sel, .ss = v->s.ss.sel, .ds = v->s.ds.sel, .es = v->s.es.sel,
	};
	write_cr2(v->s.cr2);
	wrmsr(MSR_PAT, v->s.g_pat);
	jump_out(p->lc, p, v->s.efer, v->s.cr3);
}

/* The COS never ran as a guest: resume it where it called in, with the
 * state the loader captured, returning @status. */
void leave_bare(struct vmk_launch_cpu *lc, struct pcpu *p, int64_t status)
{
	struct vmk_cos_regs *r = &lc->leave;

	lc->status = status;
	*r = (struct vmk_cos_regs){
		.rax = (uint64_t)status, .rsp = lc->rsp, .rip = lc->rip,
		.rflags = lc->rflags, .cr0 = lc->cr0, .cr3 = lc->cr3, .cr4 = lc->cr4,
		.dr7 = lc->dr7, .gdtr = lc->gdtr, .idtr = lc->idtr,
		.cs = lc->cs.sel, .ss = lc->ss.sel, .ds = lc->ds.sel, .es = lc->es.sel,
	};
	jump_out(lc, p, lc->efer, lc->cr3);
}
