/* The VMM's exit handling for VM worlds: one function per exit code, in a
 * table.  What a guest may do is explicit: CPUID, a short list of MSRs, the
 * console and exit ports, HLT, VMMCALL; anything else is refused (#GP, #UD)
 * or stops the VM with its reason and registers in the log.  Nothing a guest
 * does reaches vmkernel, COS or other-VM memory: its nested page tables map
 * its own chunks and nothing else. */
#include "vmk_core.h"
#include "vm.h"
#include "cpu.h"
#include "vmcb.h"
#include "svm_cpuid.h"
#include <vmk/guest.h>
#include "cpuctl.h"
#include "world_insn.h"

#define SVM_I1_VINTR_MASKING (1u << 24)   /* int_ctl: physical IF governs INTR */
#define SVM_I2_MONITOR (1u << 10)
#define SVM_I2_MWAIT (1u << 11)
#define VEC_UD 6
#define VEC_GP 13
#define MSR_TSC 0x10u


typedef void (*vm_exit_fn)(struct pcpu *p, struct vcpu *vc);
void svm_vmrun_resume(void);   /* entry.S */

static uint8_t *all_ones;   /* IOPM and MSRPM: every port and MSR exits */
static uint64_t all_ones_pa;

#define VM_PAUSE_COUNT 3000   /* PAUSEs in a row before an exit (KVM's default) */
#define VM_PAUSE_THRESH 128   /* cycles between two PAUSEs of one loop (likewise) */

static struct vmk_seg flat(uint16_t attrib)
{
	return (struct vmk_seg){ .sel = 0, .attrib = attrib, .limit = 0xffffffffu, .base = 0 };
}

/* What every vCPU state starts from: the intercepts, nested paging. */
static void vmcb_control(struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;
	uint64_t tsc_offset = v->c.tsc_offset;

	memset(v, 0, sizeof(*v));
	v->c.tsc_offset = tsc_offset;
	v->c.intercept_dr = 0xffffffffu;   /* debug registers are the COS's */
	v->c.intercept_misc1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_CPUID | SVM_I1_HLT |
			       SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN | SVM_I1_INVLPGA |
			       SVM_I1_INVD;
	v->c.intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
			       SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_MONITOR |
			       SVM_I2_MWAIT | SVM_I2_XSETBV;
	if (vm_pause_filter) {
		/* A vCPU that spins on a lock its preempted sibling holds gives
		 * its CPU up: PAUSE exits after this many PAUSEs in a row (with
		 * a threshold: closer than this many cycles apart), as KVM does. */
		v->c.intercept_misc1 |= SVM_I1_PAUSE;
		v->c.pause_filter_count = VM_PAUSE_COUNT;
		if (vm_pause_filter > 1)
			v->c.pause_filter_thresh = VM_PAUSE_THRESH;
	}
	v->c.iopm_base_pa = all_ones_pa;
	v->c.msrpm_base_pa = all_ones_pa;
	v->c.asid = 1 + vc->w.id;
	v->c.int_ctl = SVM_I1_VINTR_MASKING;
	v->c.nested_ctl = SVM_NP_ENABLE;
	v->c.nested_cr3 = vc->vm->npt_root;
	v->s.dr6 = 0xffff0ff0;
	v->s.dr7 = 0x400;
	v->s.g_pat = PAT_RESET;
	v->s.rflags = 2;
}

/* Multiboot's machine state: 32-bit protected mode, flat segments, paging
 * off, EAX = magic, EBX = the information structure.  The TSC starts at 0. */
void vm_vmcb_init(struct vcpu *vc, uint64_t entry, uint64_t ebx)
{
	struct vmcb *v = vc->w.vmcb;

	vmcb_control(vc);
	v->s.cs = flat(0xc9b);
	v->s.cs.sel = 0x08;
	v->s.ds = v->s.es = v->s.ss = v->s.fs = v->s.gs = flat(0xc93);
	v->s.ds.sel = v->s.es.sel = v->s.ss.sel = 0x10;
	v->s.tr = (struct vmk_seg){ .attrib = 0x8b, .limit = 0x67 };
	v->s.ldtr = (struct vmk_seg){ .attrib = 0x82, .limit = 0xffff };
	v->s.gdtr.limit = v->s.idtr.limit = 0xffff;
	v->s.cr0 = 0x11;   /* PE, ET */
	v->s.efer = EFER_SVME;
	v->c.tsc_offset = -rdtsc();   /* the VM's own TSC, from 0 at its start */
	v->s.rip = entry;
	v->s.rax = 0x2badb002;
	vc->w.g = (struct gprs){ .rbx = ebx };
}

/* INIT, then a start-up IPI: real mode at vec:0, as on hardware (the TSC
 * runs on; the FPU and vector state are back in their reset state). */
void vm_vmcb_sipi(struct vcpu *vc, uint32_t vec)
{
	uint32_t sig[4];

	vmcb_control(vc);
	svm_vmcb_real_mode(vc->w.vmcb, vec);
	cpuid(1, 0, sig);
	vc->w.g = (struct gprs){ .rdx = sig[0] };
	memset(vc->xsave, 0, sizeof(vc->xsave));
	*(uint32_t *)(vc->xsave + 24) = 0x1f80;
}

/* The same machine already in 64-bit mode, on the tables and GDT that
 * vm_long_mode_tables() wrote (<vmk/guest.h>). */
void vm_vmcb_long_mode(struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;

	v->s.cs = flat(0xa9b);   /* L and G: 64-bit code */
	v->s.cs.sel = 0x08;
	v->s.gdtr = (struct vmk_seg){ .limit = 23, .base = VMK_GUEST_LM_GDT_GPA };
	v->s.cr0 = 0x80000011;   /* PG, ET, PE */
	v->s.cr3 = VMK_GUEST_LM_PT_GPA;
	v->s.cr4 = (1u << 5) | (1u << 9) | (1u << 10);   /* PAE, OSFXSR, OSXMMEXCPT */
	v->s.efer = EFER_LME | EFER_LMA | EFER_SVME;
	v->s.rax = VMK_GUEST_LM_MAGIC;
}

int vm_exit_init(void)
{
	all_ones = mem_alloc_contig(3, &all_ones_pa);   /* IOPM 12 KiB >= MSRPM 8 KiB */
	if (!all_ones)
		return VMK_ENOMEM;
	memset(all_ones, 0xff, 3 * PAGE_SIZE);
	return VMK_OK;
}

static void inject(struct vcpu *vc, unsigned vec, int err)
{
	vc->w.vmcb->c.event_inj = SVM_EVT_VALID | SVM_EVT_EXCEPTION | vec |
				  (err ? SVM_EVT_ERR : 0);
}

int vcpu_mem(void *ctx, uint64_t pa, void *dst, uint32_t len)
{
	return vm_guest_read(ctx, pa, dst, len);
}

static void vx_hlt(struct pcpu *p, struct vcpu *vc);

/* A physical interrupt.  On a CPU the COS owns it is the COS's: leave.  On
 * an owned CPU the vmkernel takes it here, and the vCPU goes on unless it
 * was a tick or a kick for the scheduler (a notify needs only the exit).
 *
 * The interrupt may have come between STI and the instruction after it
 * (int_state's shadow: the physical interrupt is taken there, the guest's
 * are not).  QEMU 7.2's VMRUN does not restore that shadow, so a virtual
 * interrupt would then be taken before the HLT of "sti; hlt", its handler
 * would return to the HLT, and the vCPU would halt with its wake-up spent
 * (seen in the lab: a vCPU halted for good with nothing pending).  So when
 * the shadowed instruction is HLT, the HLT is done here, as the CPU would
 * have done it. */
static void vx_preempt(struct pcpu *p, struct vcpu *vc)
{
	uint8_t insn[X86_INSN_MAX];

	vc->exits[VMK_VX_INTR]++;
	if ((vc->w.vmcb->c.int_state & 1) && world_fetch(&vc->w, vcpu_mem, vc->vm, insn) &&
	    insn[0] == 0xf4) {
		if (p->owner == VMK_CPU_VMK)
			sched_vcpu_irq_exit(p);   /* take the interrupt; the halt decides */
		vc->shadow_hlts++;
		vx_hlt(p, vc);
		return;
	}
	if (p->owner == VMK_CPU_VMK && !sched_vcpu_irq_exit(p))
		return;
	vm_leave(p, vc, VMK_VM_PREEMPTED);
}


static void vx_cpuid(struct pcpu *p, struct vcpu *vc)
{
	(void)p;
	uint32_t leaf = (uint32_t)vc->w.vmcb->s.rax;

	vc->exits[VMK_VX_CPUID]++;
	svm_emulate_cpuid(&vc->w, 1);
	if (leaf == 1) {
		/* The vLAPIC: x2APIC and the TSC-deadline timer, whatever the host
		 * has; the initial APIC ID is the vCPU's index. */
		vc->w.g.rcx |= (1u << 21) | (1u << 24);
		vc->w.g.rbx = (vc->w.g.rbx & 0x00ffffffu) | ((uint64_t)vc->idx << 24);
	} else if (leaf == 0xb) {
		vc->w.g.rdx = vc->idx;   /* x2APIC ID */
	}
	vc->w.vmcb->s.rip += 2;
}

/* HLT blocks the vCPU until an interrupt it can take arrives (its timers,
 * an IPI); with one already due it goes on at once.  A one-vCPU VM with
 * nothing that could wake it (not scheduled, or no timer armed and its
 * vLAPIC software-disabled) is halted for good. */
static void vx_hlt(struct pcpu *p, struct vcpu *vc)
{
	struct vm *vm = vc->vm;

	vc->exits[VMK_VX_HLT]++;
	vc->w.vmcb->s.rip += 1;
	vc->w.vmcb->c.int_state = 0;
	if (__atomic_load_n(&vc->timer_due, __ATOMIC_ACQUIRE) || vcpu_has_wakeup(vc)) {
		__atomic_store_n(&vc->attn, 1, __ATOMIC_RELAXED);
		return;   /* the interrupt goes in at the next entry */
	}
	if (vm->info.scheduled && (vm->nvcpus > 1 || vc->timer_deadline ||
				   vlapic_enabled(&vc->apic))) {
		vm_leave(p, vc, VMK_VM_WAITING);
		return;
	}
	vm->state = VMK_VMS_HALTED;
	vm_leave(p, vc, VMK_VM_HALTED);
}

/* The console's 16550 transmit side and the exit port; other ports read
 * as all ones and ignore writes, as empty ISA space does. */
static void vx_io(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;
	uint64_t info = v->c.exit_info_1;
	uint16_t port = (uint16_t)(info >> 16);
	int in = info & 1;
	uint32_t size_mask = info & (1u << 6) ? 0xffffffffu : info & (1u << 5) ? 0xffffu : 0xffu;
	uint32_t val = (uint32_t)v->s.rax & size_mask;

	vc->exits[VMK_VX_IO]++;
	if (info & (1u << 2))
		{ vm_stop(p, vc, "string port I/O is not supported"); return; }
	v->s.rip = v->c.exit_info_2;   /* QEMU and hardware give the next RIP here */
	if (!in && port == VMK_GUEST_EXIT_PORT) {
		if (vc->vm->state != VMK_VMS_STOPPED)
			vc->vm->info.exit_status = ((int64_t)(val & 0xff) << 1) | 1;
		{ vm_stop(p, vc, "wrote the exit port"); return; }
	}
	if (!in && port == VMK_GUEST_CONSOLE_PORT) {
		vm_console_put(vc->vm, (char)val);
		return;
	}
	if (in) {
		uint32_t r = port == VMK_GUEST_CONSOLE_PORT + 5 ? 0x60 :   /* LSR: idle */
			     (port & ~7u) == VMK_GUEST_CONSOLE_PORT ? 0 : size_mask;
		v->s.rax = (v->s.rax & ~(uint64_t)size_mask) | r;
	}
}

static int pat_ok(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));
		if (t == 2 || t == 3 || t > 7)
			return 0;
	}
	return 1;
}

/* The explicit list: EFER (SCE, LME, NXE), PAT, TSC (a write sets this
 * VM's own offset; RDTSC applies it without an exit). */
static int msr_access(struct pcpu *p, struct vcpu *vc, uint32_t msr, int write, uint64_t *val)
{
	struct vmcb *v = vc->w.vmcb;

	if (msr == MSR_EFER && !write) {
		*val = v->s.efer & ~EFER_SVME;
	} else if (msr == MSR_EFER) {
		if (*val & ~(EFER_SCE | EFER_LME | EFER_NXE | EFER_LMA))
			return 0;
		v->s.efer = (*val & ~EFER_LMA) | (v->s.efer & EFER_LMA) | EFER_SVME;
	} else if (msr == MSR_PAT && !write) {
		*val = v->s.g_pat;
	} else if (msr == MSR_PAT && pat_ok(*val)) {
		v->s.g_pat = *val;
	} else if (msr == MSR_TSC && !write) {
		*val = rdtsc() + v->c.tsc_offset;
	} else if (msr == MSR_TSC) {
		v->c.tsc_offset = *val - rdtsc();
	} else if (vlapic_msr_owned(msr)) {
		return vcpu_apic_msr(p, vc, msr, write, val);
	} else {
		return 0;
	}
	return 1;
}

static void vx_msr(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;
	int write = v->c.exit_info_1 == 1;
	uint64_t val = (uint32_t)v->s.rax | (vc->w.g.rdx << 32);

	vc->exits[VMK_VX_MSR]++;
	if (!msr_access(p, vc, (uint32_t)vc->w.g.rcx, write, &val)) {
		inject(vc, VEC_GP, 1);
		return;
	}
	if (!write) {
		v->s.rax = (uint32_t)val;
		vc->w.g.rdx = val >> 32;
	}
	v->s.rip += 2;
}

static void vx_vmmcall(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;

	vc->exits[VMK_VX_VMMCALL]++;
	v->s.rip += 3;
	switch (v->s.rax) {
	case VMK_GHC_VERSION:
		v->s.rax = VMK_GUEST_ABI_VERSION;
		break;
	case VMK_GHC_YIELD:
		v->s.rax = 0;
		vm_leave(p, vc, VMK_VM_YIELDED);
		break;
	case VMK_GHC_TIMER:
		v->s.rax = (uint64_t)sched_vm_timer(vc, vc->w.g.rdx, vc->w.g.rcx);
		break;
	default:
		v->s.rax = (uint64_t)(int64_t)VMK_ENOSYS;
	}
}

/* Outside guest RAM only the vCPU's xAPIC page is anything (vm_apic.c);
 * the rest stops the VM. */
static void vx_npf(struct pcpu *p, struct vcpu *vc)
{
	char why[96];

	vc->exits[VMK_VX_NPF]++;
	if (vcpu_apic_mmio(p, vc, vc->w.vmcb->c.exit_info_2))
		return;
	vmk_snprintf(why, sizeof(why), "access outside its memory at guest pa %lx",
		     vc->w.vmcb->c.exit_info_2);
	vm_stop(p, vc, why);
}

static void vx_shutdown(struct pcpu *p, struct vcpu *vc)
{
	vc->exits[VMK_VX_SHUTDOWN]++;
	vm_stop(p, vc, "shutdown (triple fault)");
}

static void vx_undefined(struct pcpu *p, struct vcpu *vc)
{
	(void)p;
	vc->exits[VMK_VX_OTHER]++;
	inject(vc, VEC_UD, 0);
}

/* INVD would drop dirty cache lines of memory that is not the guest's:
 * done as a no-op (its data stays coherent; the guest cannot tell). */
static void vx_invd(struct pcpu *p, struct vcpu *vc)
{
	(void)p;
	vc->exits[VMK_VX_OTHER]++;
	vc->w.vmcb->s.rip += 2;
}

/* The IRET of the guest's NMI handler (intercepted while an NMI is in
 * service; the intercept comes before it runs).  NMIs stay blocked until it
 * has run.  Without nrip_save it is not emulated here: it runs with TF set,
 * and the single-step #DB that follows it ends the blocking (vx_db), as KVM
 * does on such CPUs.  If it faults instead, the fault's own IRET steps. */
static void vx_iret(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;

	(void)p;
	vc->exits[VMK_VX_OTHER]++;
	v->c.intercept_misc1 &= ~SVM_I1_IRET;
	if (vc->nmi_stepping)
		return;
	vc->nmi_stepping = 1;
	vc->nmi_tf = (v->s.rflags & RFLAGS_TF) != 0;
	vc->nmi_dr6 = v->s.dr6;
	v->s.rflags |= RFLAGS_TF;
	v->c.intercept_exc |= 1u << 1;
}

/* #DB, intercepted only while an NMI handler's IRET is stepped: that step
 * is ours and the guest never sees it (its DR6 is put back); NMIs are open
 * again and one that waited goes in at the next entry. */
static void vx_db(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;

	(void)p;
	vc->exits[VMK_VX_OTHER]++;
	if (!vc->nmi_stepping) {   /* cannot happen: the intercept is off then */
		v->c.event_inj = SVM_EVT_VALID | SVM_EVT_EXCEPTION | 1;
		return;
	}
	vc->nmi_stepping = vc->nmi_masked = 0;
	v->c.intercept_exc &= ~(1u << 1);
	if (vc->nmi_tf)   /* the guest stepped its handler itself: its #DB */
		v->c.event_inj = SVM_EVT_VALID | SVM_EVT_EXCEPTION | 1;
	else
		v->s.dr6 = vc->nmi_dr6;
	__atomic_store_n(&vc->attn, 1, __ATOMIC_RELEASE);
}

/* The pause filter ran out: the vCPU spins, likely on a lock a preempted
 * sibling holds.  It yields (the scheduler passes it over once); RIP stays
 * on the PAUSE, whose count starts again at the next entry. */
static void vx_pause(struct pcpu *p, struct vcpu *vc)
{
	vc->exits[VMK_VX_PAUSE]++;
	vm_leave(p, vc, VMK_VM_YIELDED);
}

static void vx_unsupported(struct pcpu *p, struct vcpu *vc)
{
	vc->exits[VMK_VX_OTHER]++;
	vm_stop(p, vc, "unsupported instruction (XSETBV, MONITOR, MWAIT or INVLPGA)");
}

static const vm_exit_fn vm_exit_table[] = {
	[SVM_EXIT_INTR] = vx_preempt,
	[SVM_EXIT_NMI] = vx_preempt,
	[SVM_EXIT_EXCP_DB] = vx_db,
	[SVM_EXIT_IRET] = vx_iret,
	[SVM_EXIT_CPUID] = vx_cpuid,
	[SVM_EXIT_INVD] = vx_invd,
	[SVM_EXIT_PAUSE] = vx_pause,
	[SVM_EXIT_HLT] = vx_hlt,
	[SVM_EXIT_IOIO] = vx_io,
	[SVM_EXIT_MSR] = vx_msr,
	[SVM_EXIT_SHUTDOWN] = vx_shutdown,
	[SVM_EXIT_VMRUN] = vx_undefined,
	[SVM_EXIT_VMMCALL] = vx_vmmcall,
	[SVM_EXIT_VMLOAD] = vx_undefined,
	[SVM_EXIT_VMSAVE] = vx_undefined,
	[SVM_EXIT_STGI] = vx_undefined,
	[SVM_EXIT_CLGI] = vx_undefined,
	[SVM_EXIT_SKINIT] = vx_undefined,
	[0x07a] = vx_unsupported,   /* INVLPGA */
	[0x08a] = vx_unsupported,   /* MONITOR */
	[0x08b] = vx_unsupported,   /* MWAIT */
	[SVM_EXIT_XSETBV] = vx_unsupported,
};

void vm_handle_exit(struct pcpu *p, struct vcpu *vc)
{
	uint64_t code = vc->w.vmcb->c.exit_code;
	vm_exit_fn fn = 0;

	vc->w.vmcb->c.tlb_control = 0;
	vc->w.vmcb->c.event_inj = 0;
	if (vc->w.vmcb->c.exit_int_info & SVM_EVT_VALID) {
		/* An event whose delivery the exit cut short goes in again.  QEMU
		 * reports a virtual interrupt cut short as an exception with its
		 * vector (which VMRUN would refuse): that one goes back to V_IRQ. */
		uint64_t e = vc->w.vmcb->c.exit_int_info;

		if ((e & SVM_EVT_TYPE) != SVM_EVT_EXCEPTION || (e & 0xff) < 32)
			vc->w.vmcb->c.event_inj = e;
		else if (!(vc->w.vmcb->c.int_ctl & SVM_INT_V_IRQ))
			vcpu_virq(vc, (uint32_t)(e & 0xff));   /* else V_IRQ still holds it */
	}
	/* Seen in the lab with QEMU 7.2's multi-threaded TCG, never with one
	 * TCG thread (README, "The lab"): the VMCB was clean before VMRUN, yet
	 * the #VMEXIT leaves the host's own state in its save area (RIP just
	 * after our VMRUN, the vmkernel's CR3).  Running that as the guest
	 * goes wild; stop the VM and say so. */
	if (vc->w.vmcb->s.rip == (uint64_t)svm_vmrun_resume ||
	    vc->w.vmcb->s.cr3 == vmk_boot->pt_root) {
		char why[96];

		vc->exits[VMK_VX_OTHER]++;
		vmk_snprintf(why, sizeof(why), "VMCB save area holds host state (exit %lx)", code);
		vm_stop(p, vc, why);
		return;
	}
	if (__builtin_expect(__atomic_load_n(&vc->vm->stop_req, __ATOMIC_ACQUIRE), 0)) {
		vc->exits[VMK_VX_OTHER]++;
		vm_stop(p, vc, "stopped by the COS");
		return;
	}
	if (__builtin_expect(__atomic_load_n(&vc->init_req, __ATOMIC_ACQUIRE), 0) &&
	    !sched_vcpu_take_init(vc)) {
		vc->exits[VMK_VX_OTHER]++;
		vm_leave(p, vc, VMK_VM_WAITING);   /* until a start-up IPI */
		return;
	}
	if (code == SVM_EXIT_NPF)
		fn = vx_npf;
	else if (code < ARRAY_SIZE(vm_exit_table))
		fn = vm_exit_table[code];
	if (fn) {
		fn(p, vc);
		return;
	}
	vc->exits[VMK_VX_OTHER]++;
	vm_stop(p, vc, code == SVM_EXIT_INVALID ? "VMRUN refused its state" : "unsupported exit");
}
