/* Exit handling for the COS world: one small function per reason, found in a
 * table indexed by exit code.  QEMU gives no next-RIP (no nrip_save), so each
 * handler advances RIP by the length of the only encoding that exits here:
 * CPUID 0f a2, RDMSR/WRMSR 0f 32/0f 30, VMMCALL 0f 01 d9.  A prefixed form
 * would resume inside the instruction; it harms only the COS that wrote it. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"
#include "svm_cpuid.h"
#include "trace_emit.h"
#include "vm.h"
#include "lapic.h"
#include "cpuctl.h"

#define VEC_UD 6
#define VEC_GP 13
#define EFER_GUEST_BITS (EFER_SCE | EFER_NXE | EFER_FFXSR)

typedef void (*exit_fn)(struct pcpu *p);

static void dump_and_stop(struct pcpu *p, const char *why) __attribute__((noreturn));
static void dump_and_stop(struct pcpu *p, const char *why)
{
	const struct vmcb *v = p->cos.vmcb;
	const struct gprs *g = &p->cos.g;

	vmk_log("cpu%u: COS world stopped: %s (exit %lx info1 %lx info2 %lx)\n",
		p->linux_cpu, why, v->c.exit_code, v->c.exit_info_1, v->c.exit_info_2);
	vmk_log("  rip %016lx rsp %016lx rflags %08lx cpl %u\n",
		v->s.rip, v->s.rsp, v->s.rflags, v->s.cpl);
	vmk_log("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
		v->s.rax, g->rbx, g->rcx, g->rdx);
	vmk_log("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n",
		g->rsi, g->rdi, g->rbp, g->r8);
	vmk_log("  cr0 %016lx cr3 %016lx cr4 %016lx efer %lx\n",
		v->s.cr0, v->s.cr3, v->s.cr4, v->s.efer);
	cpu_halt_forever();
}

static void skip(struct pcpu *p, unsigned len)
{
	p->cos.vmcb->s.rip += len;
}

static void exit_cpuid(struct pcpu *p)
{
	svm_emulate_cpuid(&p->cos, 0);
	p->stat.exits[VMK_XS_CPUID]++;
	skip(p, 2);
}

static int msr_read(struct pcpu *p, uint32_t msr, uint64_t *val)
{
	if (msr == MSR_APIC_BASE) {
		*val = rdmsr(MSR_APIC_BASE);
		return 1;
	}
	if (msr != MSR_EFER)
		return 0;   /* VM_CR, VM_HSAVE_PA: as on a CPU without SVM */
	*val = p->cos.vmcb->s.efer & ~EFER_SVME;
	return 1;
}

/* EFER: SCE, NXE, FFXSR freely; LME only with paging off (a CPU the COS
 * starts again enters long mode); SVME stays on, LMA is the CPU's.  The APIC
 * base may be rewritten, not moved or switched to x2APIC: the trap on the
 * APIC page is what keeps INIT off the wire. */
static int msr_write(struct pcpu *p, uint32_t msr, uint64_t val)
{
	uint64_t cur = p->cos.vmcb->s.efer & ~EFER_SVME;
	uint64_t ok_bits = EFER_GUEST_BITS | (p->cos.vmcb->s.cr0 & (1ull << 31) ? 0 : EFER_LME);

	if (msr == MSR_APIC_BASE)
		return val == rdmsr(MSR_APIC_BASE);
	if (msr != MSR_EFER || ((val ^ cur) & ~ok_bits))
		return 0;
	p->cos.vmcb->s.efer = val | EFER_SVME;
	return 1;
}

static void exit_msr(struct pcpu *p)
{
	uint32_t msr = (uint32_t)p->cos.g.rcx;
	uint64_t val;
	int ok;

	p->stat.exits[VMK_XS_MSR]++;
	if (p->cos.vmcb->c.exit_info_1 == 0) {
		ok = msr_read(p, msr, &val);
		if (ok) {
			p->cos.vmcb->s.rax = (uint32_t)val;
			p->cos.g.rdx = val >> 32;
		}
	} else {
		val = (uint32_t)p->cos.vmcb->s.rax | (p->cos.g.rdx << 32);
		ok = msr_write(p, msr, val);
	}
	if (!ok) {
		svm_inject_exception(p, VEC_GP, 1, 0);
		return;
	}
	skip(p, 2);
}

static void exit_vmmcall(struct pcpu *p)
{
	struct vmcb *v = p->cos.vmcb;

	p->stat.exits[VMK_XS_VMMCALL]++;
	if (v->s.cpl != 0) {   /* only the COS kernel may call the vmkernel */
		svm_inject_exception(p, VEC_UD, 0, 0);
		return;
	}
	v->s.rax = (uint64_t)hypercall_dispatch(p, v->s.rax, p->cos.g.rdi, p->cos.g.rsi, p->cos.g.rdx);
	skip(p, 3);
}

/* INVD would drop dirty lines of vmkernel and VM memory: a no-op instead. */
static void exit_invd(struct pcpu *p)
{
	p->stat.exits[VMK_XS_OTHER]++;
	skip(p, 2);
}

/* XCR0 decides what a world switch saves: the COS may not change it while
 * the vmkernel runs (Linux sets it once at boot).  Rewriting the same value
 * is allowed; anything else is #GP. */
static void exit_xsetbv(struct pcpu *p)
{
	uint32_t lo, hi;

	p->stat.exits[VMK_XS_OTHER]++;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((uint32_t)p->cos.g.rcx != 0 || (uint32_t)p->cos.vmcb->s.rax != lo ||
	    (uint32_t)p->cos.g.rdx != hi || p->cos.vmcb->s.cpl != 0) {
		svm_inject_exception(p, VEC_GP, 1, 0);
		return;
	}
	skip(p, 3);
}

static void exit_svm_insn(struct pcpu *p)
{
	p->stat.exits[VMK_XS_SVM_INSN]++;
	svm_inject_exception(p, VEC_UD, 0, 0);
}

static void exit_npf(struct pcpu *p)
{
	p->stat.exits[VMK_XS_NPF]++;
	if ((p->cos.vmcb->c.exit_info_2 & ~(uint64_t)(PAGE_SIZE - 1)) == lapic_base_pa() &&
	    (p->cos.vmcb->c.exit_info_1 & 3) == 3) {   /* present, write */
		cos_apic_write(p);
		return;
	}
	if (npt_cos_violation(p->cos.vmcb->c.exit_info_2) != VMK_OK)
		dump_and_stop(p, "nested page fault that cannot be absorbed");
	p->stat.cos_violations++;
	p->cos.vmcb->c.tlb_control = SVM_TLB_FLUSH_ALL;
}

/* HLT exits only while the CPU is being given: the halt Linux ends an
 * offline CPU with parks the COS world; idle halts before it are skipped. */
static void exit_hlt(struct pcpu *p)
{
	p->stat.exits[VMK_XS_OTHER]++;
	if (!cpuctl_cos_halt(p))
		skip(p, 1);
}

static void exit_shutdown(struct pcpu *p)
{
	p->stat.exits[VMK_XS_SHUTDOWN]++;
	dump_and_stop(p, "shutdown (triple fault) in the COS");
}

static const exit_fn exit_table[] = {
	[SVM_EXIT_CPUID] = exit_cpuid,
	[SVM_EXIT_INVD] = exit_invd,
	[SVM_EXIT_HLT] = exit_hlt,
	[SVM_EXIT_XSETBV] = exit_xsetbv,
	[SVM_EXIT_MSR] = exit_msr,
	[SVM_EXIT_SHUTDOWN] = exit_shutdown,
	[SVM_EXIT_VMRUN] = exit_svm_insn,
	[SVM_EXIT_VMMCALL] = exit_vmmcall,
	[SVM_EXIT_VMLOAD] = exit_svm_insn,
	[SVM_EXIT_VMSAVE] = exit_svm_insn,
	[SVM_EXIT_STGI] = exit_svm_insn,
	[SVM_EXIT_CLGI] = exit_svm_insn,
	[SVM_EXIT_SKINIT] = exit_svm_insn,
};

static void cos_handle_exit(struct pcpu *p)
{
	uint64_t code = p->cos.vmcb->c.exit_code;
	exit_fn fn = 0;

	p->cos.vmcb->c.tlb_control = 0;
	p->cos.vmcb->c.event_inj = 0;
	if (code == SVM_EXIT_INVALID && !p->launched) {
		vmk_log("cpu%u: VMRUN refused the COS's VMCB; CPU returned bare\n",
			p->linux_cpu);
		leave_bare(p->lc, p, VMK_EINVAL);
	}
	p->launched = 1;
	/* An event whose delivery caused the exit is delivered again. */
	if (p->cos.vmcb->c.exit_int_info & SVM_EVT_VALID)
		p->cos.vmcb->c.event_inj = p->cos.vmcb->c.exit_int_info;
	if (code == SVM_EXIT_NPF)
		fn = exit_npf;
	else if (code < ARRAY_SIZE(exit_table))
		fn = exit_table[code];
	if (!fn) {
		p->stat.exits[VMK_XS_OTHER]++;
		dump_and_stop(p, code == SVM_EXIT_INVALID ? "VMRUN refused the VMCB"
							    : "unexpected exit");
	}
	fn(p);
}

void svm_handle_exit(struct pcpu *p)
{
	const struct vmcb *v = p->cur->vmcb;

	trace_cpu_sync(p);
	trace_vm_exit(&p->tw, p->index, (uint32_t)v->c.exit_code, v->s.rip,
		      v->c.exit_info_1, v->c.exit_info_2);
	if (p->cur->kind == WORLD_VM)
		vm_handle_exit(p, (struct vcpu *)p->cur);
	else
		cos_handle_exit(p);
	if (p->cur->kind == WORLD_SYSTEM)
		sysworld_run(p);   /* an owned CPU: until a world is chosen */
	if (p->cur->kind == WORLD_VM &&
	    __builtin_expect(__atomic_load_n(&((struct vcpu *)p->cur)->attn, __ATOMIC_RELAXED), 0))
		vcpu_entry_events(p, (struct vcpu *)p->cur);
	trace_vm_entry(&p->tw, p->index, p->cur->vmcb->s.rip);
}
