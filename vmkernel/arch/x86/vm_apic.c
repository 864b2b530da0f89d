/* The VMM's side of each vCPU's virtual local APIC (vmkernel/vlapic/, the
 * model): its MSRs, IPIs between the VM's vCPUs, its timer on the
 * vmkernel's timers, and interrupt injection before each entry.
 *
 * Locks: a vCPU's vLAPIC is under its apic_lock, taken by the vCPU and by
 * the vCPUs that send it IPIs; cpuctl's lock may be held around it, never
 * the other way round.  A sender accepts the vector, then notifies the
 * target (cpuctl.c): a waiting target is woken, a running one on another CPU
 * gets a VMK_VEC_NOTIFY IPI, whose exit makes it look (vc->attn) before it
 * enters again.
 *
 * In xAPIC mode the APIC page (wherever IA32_APIC_BASE puts it) is never
 * mapped: each access is a nested page fault whose instruction the vmkernel
 * fetches, decodes and does on the model (vcpu_apic_mmio). */
#include "vmk_core.h"
#include "vm.h"
#include "cpu.h"
#include "vmcb.h"
#include "cpuctl.h"
#include "world_insn.h"

#define BUS_KHZ 100000u   /* the APIC bus the vCPUs see: 100 MHz */

void vcpu_apic_init(struct vcpu *vc)
{
	uint32_t r[4];
	struct vlapic_config cfg = {
		.vcpu = vc->idx, .apic_id = vc->idx, .bsp = vc->idx == 0,
		.x2apic = true, .tsc_deadline = true,
	};
	uint64_t per_tick = vmk_boot->tsc_khz / BUS_KHZ;

	cfg.tsc_per_tick = (uint32_t)(per_tick < 1 ? 1 : per_tick > VLAPIC_MAX_TSC_PER_TICK ?
				      VLAPIC_MAX_TSC_PER_TICK : per_tick);
	cpuid(0x80000008u, 0, r);
	cfg.maxphyaddr = (uint8_t)(r[0] & 0xff);
	if (cfg.maxphyaddr < 32 || cfg.maxphyaddr > 52)
		cfg.maxphyaddr = 36;
	VMK_ASSERT(vlapic_init(&vc->apic, &cfg) == VMK_OK, "vLAPIC configuration");
}

static uint64_t guest_tsc(const struct vcpu *vc)
{
	return rdtsc() + vc->w.vmcb->c.tsc_offset;
}

int vcpu_has_wakeup(struct vcpu *vc)
{
	int r;

	if (!vc->nmi_masked && __atomic_load_n(&vc->nmi_req, __ATOMIC_ACQUIRE))
		return 1;
	if (!(vc->w.vmcb->s.rflags & RFLAGS_IF))
		return 0;
	if (vc->pv_pending || (vc->w.vmcb->c.int_ctl & SVM_INT_V_IRQ))
		return 1;
	spin_lock(&vc->apic_lock);
	r = vlapic_pending(&vc->apic) >= 0;
	spin_unlock(&vc->apic_lock);
	return r;
}

/* An IPI the vCPU sent, to every vCPU it addresses. */
static void route_ipi(struct pcpu *p, struct vcpu *src, const struct vlapic_ipi *ipi)
{
	struct vm *vm = src->vm;
	const struct vlapic *t[VM_MAX_VCPUS];
	uint64_t mask = 0;

	for (uint32_t i = 0; i < vm->nvcpus; i++)
		t[i] = &vm->vcpu[i]->apic;   /* addressing registers, read unlocked */
	if (vlapic_ipi_targets(t, vm->nvcpus, ipi, &mask) != VMK_OK)
		mask = 0;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *tv = vm->vcpu[i];
		int r = VMK_OK;

		if (!(mask & (1ull << i)))
			continue;
		switch (ipi->mode) {
		case VLAPIC_DM_FIXED:
		case VLAPIC_DM_LOWEST:
			spin_lock(&tv->apic_lock);
			r = vlapic_accept(&tv->apic, ipi->vector, false);
			spin_unlock(&tv->apic_lock);
			if (r == VMK_OK)
				sched_vcpu_notify(p, tv);
			break;
		case VLAPIC_DM_NMI:
			__atomic_store_n(&tv->nmi_req, 1, __ATOMIC_RELEASE);
			sched_vcpu_notify(p, tv);
			break;
		case VLAPIC_DM_INIT:
			sched_vcpu_init(p, tv);
			break;
		case VLAPIC_DM_SIPI:
			sched_vcpu_sipi(p, tv, ipi->vector);
			break;
		default:
			break;   /* SMI: there is no SMM */
		}
	}
	spin_lock(&src->apic_lock);
	vlapic_ipi_sent(&src->apic, ipi, mask);
	spin_unlock(&src->apic_lock);
}

/* What a register write asked of the VMM. */
static void apic_events(struct pcpu *p, struct vcpu *vc, const struct vlapic_out *out)
{
	if (out->events & VLAPIC_EV_TIMER) {
		uint64_t next;

		spin_lock(&vc->apic_lock);
		next = vlapic_timer_next_deadline(&vc->apic);
		spin_unlock(&vc->apic_lock);
		sched_vcpu_apic_timer(p, vc, next == VLAPIC_NO_DEADLINE ? 0 :
					     next - vc->w.vmcb->c.tsc_offset ?: 1);
	}
	if (out->events & VLAPIC_EV_IPI)
		route_ipi(p, vc, &out->ipi);
	if (out->events & (VLAPIC_EV_IRQ | VLAPIC_EV_IPI))
		__atomic_store_n(&vc->attn, 1, __ATOMIC_RELAXED);   /* a self-IPI, or EOI */
	/* VLAPIC_EV_EOI_LEVEL: there is no virtual I/O APIC yet.  VLAPIC_EV_MODE:
	 * the xAPIC page is never mapped (each fault asks the model where the
	 * page is now), so nothing to remap. */
}

int vcpu_apic_msr(struct pcpu *p, struct vcpu *vc, uint32_t msr, int write, uint64_t *val)
{
	struct vlapic_out out = { 0 };
	int r;

	spin_lock(&vc->apic_lock);
	r = write ? vlapic_msr_write(&vc->apic, msr, *val, guest_tsc(vc), &out)
		  : vlapic_msr_read(&vc->apic, msr, guest_tsc(vc), val);
	spin_unlock(&vc->apic_lock);
	if (r != VMK_OK)
		return 0;   /* #GP, as the model's contract says */
	if (out.events)
		apic_events(p, vc, &out);
	return 1;
}

#define NPF_WRITE (1ull << 1)
#define NPF_FETCH (1ull << 4)
#define NPF_WALK (1ull << 33)    /* the fault hit a guest page-table access */
#define CS_L 0x200u
#define CS_D 0x400u

/* Is @gpa in the vCPU's APIC page?  Only in xAPIC mode: with the APIC
 * globally disabled or in x2APIC mode the page is not the APIC's (SDM:
 * x2APIC mode turns off the MMIO interface). */
static int apic_page(struct vcpu *vc, uint64_t gpa)
{
	int r;

	spin_lock(&vc->apic_lock);
	r = vlapic_mode(&vc->apic) == VLAPIC_MODE_XAPIC &&
	    (gpa & ~(uint64_t)(PAGE_SIZE - 1)) == vlapic_base_address(&vc->apic);
	spin_unlock(&vc->apic_lock);
	return r;
}

/* The access on the model, under the vLAPIC's lock.  Only 16-byte aligned
 * 32-bit accesses are architectural; a 32-bit access at any other offset
 * reads 0 and its write is dropped (the model refuses it and counts it in
 * stats.bad_access; KVM ignores such accesses too).  XCHG reads, then
 * writes. */
static int apic_access(struct vcpu *vc, uint32_t off, const struct x86_mmio *m,
		       uint32_t *val, struct vlapic_out *out)
{
	uint64_t now = guest_tsc(vc);
	int r = VMK_OK;

	spin_lock(&vc->apic_lock);
	if (m->load)
		r = vlapic_mmio_read(&vc->apic, off, 4, now, val);
	if (m->store && r == VMK_OK)
		r = vlapic_mmio_write(&vc->apic, off, 4, m->value, now, out);
	spin_unlock(&vc->apic_lock);
	if (r == VMK_EINVAL)
		*val = 0, out->events = 0;
	return r;
}

/* Why the access cannot be emulated, or NULL.  Anything but a MOV that the
 * vCPU itself made, from 32- or 64-bit code, stops the VM. */
static const char *apic_insn(struct vcpu *vc, int *lm, struct x86_mmio *m, char *why,
			     unsigned sz)
{
	const struct vmcb *v = vc->w.vmcb;
	uint64_t regs[16];
	uint8_t insn[X86_INSN_MAX];
	unsigned n;

	*lm = (v->s.efer & EFER_LMA) && (v->s.cs.attrib & CS_L);
	if (v->c.exit_info_1 & (NPF_WALK | NPF_FETCH) || v->c.exit_int_info & SVM_EVT_VALID)
		return "its page tables, code or an event delivery on its APIC page";
	if (!*lm && (!(v->s.cr0 & 1) || !(v->s.cs.attrib & CS_D)))
		return "APIC page access from 16-bit code (not decoded)";
	if (!(n = world_fetch(&vc->w, vcpu_mem, vc->vm, insn)))
		return "APIC page access by an instruction it cannot read (32-bit paging?)";
	world_gprs(&vc->w, regs);
	if (x86_decode_mmio32(insn, n, *lm, regs, m) != VMK_OK) {
		vmk_snprintf(why, sz, "APIC page access by opcode %02x at rip %lx: not a 32-bit MOV",
			     m->op, v->s.rip);
		return why;
	}
	if (m->load != m->store && m->store != !!(v->c.exit_info_1 & NPF_WRITE))
		return "APIC page: the instruction does not match the fault";
	return 0;
}

static unsigned misaligned_logged;   /* the first 8 since the load */

int vcpu_apic_mmio(struct pcpu *p, struct vcpu *vc, uint64_t gpa)
{
	struct vmcb *v = vc->w.vmcb;
	struct vlapic_out out = { 0 };
	struct x86_mmio m;
	const char *stop;
	char why[96];
	uint32_t val = 0, off = (uint32_t)(gpa & (PAGE_SIZE - 1));
	int lm;

	if (!apic_page(vc, gpa))
		return 0;
	if ((stop = apic_insn(vc, &lm, &m, why, sizeof(why)))) {
		vm_stop(p, vc, stop);
		return 1;
	}
	if (apic_access(vc, off, &m, &val, &out) == VMK_EINVAL &&
	    __atomic_fetch_add(&misaligned_logged, 1, __ATOMIC_RELAXED) < 8)
		vmk_log("vm%u vcpu%u: xAPIC access at %03x not 16-byte aligned: %s\n",
			vc->vm->id, vc->idx, off, m.store ? "write dropped" : "read 0");
	if (m.load)
		world_gpr_set(&vc->w, (unsigned)m.reg, val);   /* 32-bit: zero-extended */
	v->s.rip = lm ? v->s.rip + m.len : (uint32_t)(v->s.rip + m.len);
	v->c.int_state = 0;   /* an STI or MOV SS shadow ends with the instruction */
	if (out.events)
		apic_events(p, vc, &out);
	return 1;
}

/* Before entry, with vc->attn set: timers that came due, an NMI (EVENTINJ),
 * then, unless one is still waiting in the VMCB, one external interrupt --
 * the paravirtual timer's vector or the vLAPIC's highest deliverable one,
 * acknowledged now -- as a virtual interrupt (V_IRQ, int_vector): the CPU
 * delivers it as soon as the guest's IF allows, without an exit.
 *
 * Not through EVENTINJ: under QEMU 7.2 an injected interrupt was now and
 * then delivered twice with more than one vCPU (bench=ipi saw 1 to 3 extra
 * interrupts in 500 while the injections were counted exactly; the likely
 * cause is in README.md).  A virtual
 * interrupt is delivered by another path, once.  The cost: the vector is
 * in service from the moment V_IRQ is set, so a higher one that comes
 * meanwhile waits for it. */
void vcpu_entry_events(struct pcpu *p, struct vcpu *vc)
{
	struct vmcb *v = vc->w.vmcb;
	int vec = -1;

	(void)p;
	__atomic_store_n(&vc->attn, 0, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&vc->timer_due, 0, __ATOMIC_ACQ_REL))
		sched_vcpu_timers(vc);
	if (!vc->nmi_masked && !(v->c.event_inj & SVM_EVT_VALID) &&
	    __atomic_exchange_n(&vc->nmi_req, 0, __ATOMIC_ACQ_REL)) {
		/* Blocked until its handler's IRET (vm_exit.c, vx_iret); one
		 * more that comes meanwhile waits in nmi_req, as in the CPU's
		 * NMI latch. */
		v->c.event_inj = SVM_EVT_VALID | SVM_EVT_NMI | 2;
		vc->nmi_masked = 1;
		v->c.intercept_misc1 |= SVM_I1_IRET;
	}
	if (v->c.int_ctl & SVM_INT_V_IRQ)
		return;   /* the last one is not taken yet; its EOI or exit brings us back */
	if (vc->pv_pending) {
		vc->pv_pending = 0;
		vec = (int)vc->timer_vec;
	} else {
		spin_lock(&vc->apic_lock);
		if (vlapic_pending(&vc->apic) >= 0)
			vec = vlapic_ack(&vc->apic);
		spin_unlock(&vc->apic_lock);
	}
	if (vec >= 0)
		vcpu_virq(vc, (uint32_t)vec);
}

void vcpu_virq(struct vcpu *vc, uint32_t vec)
{
	struct vmcb *v = vc->w.vmcb;

	v->c.int_vector = vec;
	v->c.int_ctl = (v->c.int_ctl & ~(15u << SVM_INT_V_PRIO_SHIFT)) | SVM_INT_V_IRQ |
		       SVM_INT_V_IGN_TPR | (15u << SVM_INT_V_PRIO_SHIFT);
}

/* One line per vCPU when a VM with several stops: where each was and what
 * it was waiting for (racy reads: a diagnostic). */
void vcpu_log_state(struct vcpu *vc)
{
	const struct vmcb *v = vc->w.vmcb;
	int pend, ppr;

	spin_lock(&vc->apic_lock);
	pend = vlapic_pending(&vc->apic);
	ppr = (int)vlapic_ppr(&vc->apic);
	spin_unlock(&vc->apic_lock);
	vmk_log("  vcpu%u: rip %lx rflags %lx %s%s cpu %d v_irq %s%x pending %d ppr %x\n",
		vc->idx, v->s.rip, v->s.rflags,
		vc->run_state == VCPU_WAIT_SIPI ? "wait-for-SIPI" : "run",
		vc->waiting ? " halted" : "", vc->cpu,
		v->c.int_ctl & SVM_INT_V_IRQ ? "" : "none/", v->c.int_vector, pend, ppr);
}
