/* SVM for the COS world: per-CPU set-up, the COS's VMCB built from the state
 * the loader captured, and the exit handlers (a table indexed by exit code). */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"
#include "lapic.h"

#define MSRPM_PAGES 2
#define IOPM_PAGES 3
#define COS_ASID 1

static uint8_t *msrpm;        /* shared by every COS vCPU; read-only after init */
static uint64_t msrpm_pa, iopm_pa;

/* 2 bits per MSR (read, write) in three 2 KiB ranges. */
static void msrpm_intercept(uint32_t msr)
{
	uint32_t base, off;

	if (msr < 0x2000)
		base = 0, off = 0;
	else if (msr - 0xc0000000u < 0x2000)
		base = 0xc0000000u, off = 0x800;
	else
		base = 0xc0010000u, off = 0x1000;
	off = off * 8 + (msr - base) * 2;
	msrpm[off / 8] |= (uint8_t)(3u << (off % 8));
}

int svm_global_init(void);
int svm_global_init(void)
{
	msrpm = mem_alloc_pages(MSRPM_PAGES, &msrpm_pa);
	if (!msrpm || !mem_alloc_pages(IOPM_PAGES, &iopm_pa))
		return VMK_ENOMEM;
	/* EFER keeps SVME for VMRUN's sake; the others belong to the vmkernel. */
	msrpm_intercept(MSR_EFER);
	msrpm_intercept(MSR_VM_CR);
	msrpm_intercept(MSR_VM_HSAVE_PA);
	msrpm_intercept(MSR_APIC_BASE);
	return VMK_OK;
}

int svm_cpu_setup(struct pcpu *p)
{
	uint64_t hsave_pa, ist_pa;
	uint8_t *ist;

	p->cos.vmcb = mem_alloc_pages(1, &p->cos.vmcb_pa);
	p->host_vmcb = mem_alloc_pages(1, &p->host_vmcb_pa);
	ist = mem_alloc_pages(2, &ist_pa);
	if (!p->cos.vmcb || !p->host_vmcb || !ist || !mem_alloc_pages(1, &hsave_pa))
		return VMK_ENOMEM;
	/* Capture the COS's FS/GS/TR/LDTR and syscall MSRs before ours replace
	 * TR; the VMCB then holds them for the COS world. */
	svm_vmsave(p->cos.vmcb_pa);
	p->cos_state_saved = 1;
	desc_cpu_load(p, (uint64_t)ist + 2 * PAGE_SIZE);
	svm_vmsave(p->host_vmcb_pa);
	wrmsr(MSR_VM_HSAVE_PA, hsave_pa);
	return VMK_OK;
}

void svm_cos_vmcb_init(struct pcpu *p)
{
	struct vmcb *v = p->cos.vmcb;
	const struct vmk_launch_cpu *lc = p->lc;

	v->c.intercept_misc1 = SVM_I1_CPUID | SVM_I1_MSR | SVM_I1_SHUTDOWN | SVM_I1_INVD;
	v->c.intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD |
			       SVM_I2_VMSAVE | SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT |
			       SVM_I2_XSETBV;
	v->c.msrpm_base_pa = msrpm_pa;
	v->c.iopm_base_pa = iopm_pa;
	v->c.asid = COS_ASID;
	v->c.tlb_control = SVM_TLB_FLUSH_ALL;
	v->c.nested_ctl = SVM_NP_ENABLE;
	v->c.nested_cr3 = npt_root_pa();
	v->s.cs = lc->cs;
	v->s.ss = lc->ss;
	v->s.ds = lc->ds;
	v->s.es = lc->es;
	v->s.gdtr = (struct vmk_seg){ .limit = lc->gdtr.limit, .base = lc->gdtr.base };
	v->s.idtr = (struct vmk_seg){ .limit = lc->idtr.limit, .base = lc->idtr.base };
	v->s.cpl = 0;
	v->s.efer = lc->efer | EFER_SVME;
	v->s.cr0 = lc->cr0;
	v->s.cr2 = lc->cr2;
	v->s.cr3 = lc->cr3;
	v->s.cr4 = lc->cr4;
	v->s.dr6 = 0xffff0ff0;
	v->s.dr7 = lc->dr7;
	v->s.g_pat = lc->pat;
	v->s.rflags = lc->rflags;
	v->s.rip = lc->rip;
	v->s.rsp = lc->rsp;
	v->s.rax = 0;   /* what the COS's call into the trampoline returns */
}

void svm_inject_exception(struct pcpu *p, unsigned vec, int has_err, uint32_t err)
{
	p->cos.vmcb->c.event_inj = SVM_EVT_VALID | SVM_EVT_EXCEPTION | vec |
			       (has_err ? SVM_EVT_ERR | ((uint64_t)err << 32) : 0);
}

/* INIT then a start-up IPI with vector @vec: real mode at vec << 12, the
 * reset values of the APM's table 14-1 (EDX = the CPU's signature).  The
 * intercepts, nested paging and ASID stay; the TLB is flushed. */
void svm_vmcb_real_mode(struct vmcb *v, uint32_t vec)
{
	struct vmk_seg data = { .sel = 0, .attrib = 0x93, .limit = 0xffff, .base = 0 };

	v->c.tlb_control = SVM_TLB_FLUSH_ALL;
	v->s.cs = (struct vmk_seg){ .sel = (uint16_t)(vec << 8), .attrib = 0x9b, .limit = 0xffff,
				    .base = (uint64_t)vec << 12 };
	v->s.ds = v->s.es = v->s.ss = v->s.fs = v->s.gs = data;
	v->s.gdtr = v->s.idtr = (struct vmk_seg){ .limit = 0xffff };
	v->s.ldtr = (struct vmk_seg){ .attrib = 0x82, .limit = 0xffff };
	v->s.tr = (struct vmk_seg){ .attrib = 0x8b, .limit = 0xffff };
	v->s.cpl = 0;
	v->s.efer = EFER_SVME;
	v->s.cr0 = 0x60000010;   /* CD, NW, ET */
}

void svm_cos_vmcb_sipi(struct pcpu *p, uint32_t vec)
{
	struct vmcb *v = p->cos.vmcb;
	uint32_t sig[4];

	v->c.intercept_misc1 &= ~SVM_I1_HLT;
	v->c.event_inj = 0;
	svm_vmcb_real_mode(v, vec);
	v->s.cr2 = v->s.cr3 = v->s.cr4 = 0;
	v->s.dr6 = 0xffff0ff0;
	v->s.dr7 = 0x400;
	v->s.rflags = 2;
	v->s.rip = 0;
	v->s.rsp = 0;
	v->s.rax = 0;
	v->s.star = v->s.lstar = v->s.cstar = v->s.sfmask = v->s.kernel_gs_base = 0;
	v->s.sysenter_cs = v->s.sysenter_esp = v->s.sysenter_eip = 0;
	v->s.g_pat = PAT_RESET;
	cpuid(1, 0, sig);
	p->cos.g = (struct gprs){ .rdx = sig[0] };
}
