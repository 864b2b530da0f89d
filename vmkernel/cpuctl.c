/* CPUs the COS gives to the vmkernel, their system worlds, and the
 * scheduler that runs VM worlds on them.
 *
 * Give: the COS asks CPU N to arm itself (its COS world now exits on HLT;
 * halts are skipped), takes N offline the Linux way and then says so
 * (VMK_CPU_DEAD).  The next halt -- Linux's offline CPU does nothing else --
 * parks the COS world and the CPU is the vmkernel's.  It turns its local
 * APIC back on (Linux soft-disabled it), runs its own one-shot timer and
 * from then on its system world: idle in HLT between interrupts, and the
 * scheduler, which picks VM worlds.
 *
 * Take: the COS asks for N back (refused while VMs are scheduled); N stops
 * its timer and waits.  Linux then brings N online with INIT and start-up
 * IPIs, which the vmkernel traps (cos_apic.c): N restarts its COS world in
 * real mode at the start-up vector, as hardware would, but still under the
 * vmkernel.  No physical INIT ever reaches a CPU the vmkernel runs on.
 *
 * One lock (cpu_lock) covers ownership changes and the scheduler.  Lock
 * order: vm_lock (vm.c) before cpu_lock. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"
#include "lapic.h"
#include "cpuctl.h"
#include "spinlock.h"
#include "vm.h"
#include "sched/sched.h"
#include "trace_emit.h"
#include "vmk_smp.h"

#define BALANCE_TICKS 100   /* ticks (of at most 1 ms) between load balancing */
#define TICK_NS 1000000ull  /* the longest a CPU goes without a tick */

struct pcpu *vmk_pcpu_by_apic[256];

static spinlock_t cpu_lock;
static struct sched sched;           /* under cpu_lock */
static struct vcpu *sched_vc[VM_SID_LIMIT];  /* by scheduler id, under cpu_lock */
static int32_t sched_vc_end;         /* 1 + the highest id in sched_vc; under cpu_lock */
static uint64_t owned_mask;          /* vmkernel CPU indices; under cpu_lock */
static unsigned nscheduled;          /* VMs the scheduler has; under cpu_lock */
static unsigned ntaking;             /* CPUs on their way back; under cpu_lock */
/* The policy schedules CPUs 0..n-1 and counts all of them as capacity, so it
 * gets exactly the owned CPUs, renumbered: sched_cpu[vmkernel index] is a
 * CPU's number there, or -1.  Rebuilt when CPUs change hands with no VM
 * scheduled; a CPU given while VMs are scheduled is added to it
 * (sched_add_cpu), and a CPU is taken back only with none scheduled. */
static int32_t sched_cpu[VMK_MAX_CPUS];
static uint32_t sched_ncpus;
static uint32_t vmk_cpu_of[VMK_MAX_CPUS];
static uint32_t cosched_mode;        /* enum vmk_cosched; under cpu_lock */

/* Under cpu_lock, with nothing scheduled. */
static void sched_rebuild(void)
{
	struct sched_config cfg;

	sched_ncpus = 0;
	for (uint32_t i = 0; i < VMK_MAX_CPUS; i++) {
		sched_cpu[i] = -1;
		if (owned_mask & (1ull << i)) {
			sched_cpu[i] = (int32_t)sched_ncpus;
			vmk_cpu_of[sched_ncpus++] = i;
		}
	}
	sched_config_default(&cfg, sched_ncpus ? sched_ncpus : 1);
	cfg.cosched = cosched_mode == VMK_COSCHED_RELAXED ? SCHED_COSCHED_RELAXED
							  : SCHED_COSCHED_NONE;
	VMK_ASSERT(sched_init(&sched, &cfg) == VMK_OK, "scheduler set-up");
}

int cpuctl_init(void)
{
	if (!vmk_boot->tsc_khz)
		return VMK_EINVAL;
	sched_rebuild();
	return VMK_OK;
}

static uint64_t tsc_to_ns(uint64_t t)
{
	uint64_t khz = vmk_boot->tsc_khz;

	return t / khz * 1000000 + t % khz * 1000000 / khz;
}

static uint64_t now_ns(void)
{
	return tsc_to_ns(rdtsc());
}

uint64_t cpuctl_clock_ns(void)
{
	return now_ns();
}

/* Under cpu_lock: the policy's clock.  It must never go backwards, on any
 * of its CPUs, though calls come from different CPUs whose TSCs may differ
 * a little: each reading is at least the last one handed out. */
static uint64_t sched_now(void)
{
	static uint64_t last;
	uint64_t t = now_ns();

	if (t < last)
		t = last;
	return last = t;
}

static void kick(uint32_t index)
{
	if (index < vmk_boot->ncpus && vmk_pcpus[index])
		lapic_send_ipi(vmk_pcpus[index]->apic_id, VMK_VEC_KICK);
}

/* Interrupt windows: the vmkernel otherwise runs with GIF clear.  An owned
 * CPU opens one after each exit (a pending timer or kick is taken here) and
 * idles in one. */
static inline void irq_window(void)
{
	__asm__ volatile("stgi; sti; nop; nop; cli; clgi" : : : "memory");
}

static void idle_window(struct pcpu *p)
{
	uint64_t t0 = rdtsc();

	__asm__ volatile("stgi; sti; hlt; cli; clgi" : : : "memory");
	p->stat.idle_tsc += rdtsc() - t0;
}

void vmk_irq(uint64_t vec)
{
	struct pcpu *p;

	if (vec == VMK_VEC_SPURIOUS)
		return;   /* no EOI for the spurious vector */
	p = vmk_pcpu_by_apic[lapic_id() & 255];
	lapic_write(LAPIC_EOI, 0);
	if (!p)
		return;
	if (vec == VMK_VEC_TIMER) {
		p->stat.timer_ticks++;
		p->tick = 1;
	} else if (vec == VMK_VEC_KICK) {
		p->stat.kicks++;
		p->resched = 1;
	} else if (vec == VMK_VEC_NOTIFY) {
		p->stat.kicks++;   /* a vCPU here has an interrupt: its exit is enough */
	} else if (vec == VMK_VEC_CALL) {
		vmk_smp_irq(p);    /* a cross-call or shootdown (smp/) */
	} else {
		p->stat.stray_irqs++;   /* a device or IPI the COS aimed here */
	}
}

/* ---- give and take ------------------------------------------------------ */

int64_t cpuctl_hypercall(struct pcpu *p, uint64_t op, uint64_t index)
{
	struct pcpu *t = index < vmk_boot->ncpus ? vmk_pcpus[index] : 0;
	int64_t r = VMK_OK;

	if (op == VMK_CPU_COSCHED) {
		if (index > VMK_COSCHED_QUERY)
			return VMK_EINVAL;
		spin_lock(&cpu_lock);
		if (index == VMK_COSCHED_QUERY) {
			r = cosched_mode;
		} else if (nscheduled || ntaking) {
			r = VMK_EBUSY;   /* the policy is rebuilt with none scheduled */
		} else {
			cosched_mode = (uint32_t)index;
			sched_rebuild();
			r = cosched_mode;
		}
		spin_unlock(&cpu_lock);
		return r;
	}
	if (!t || op >= VMK_CPU_OPS)
		return t ? VMK_ENOSYS : VMK_EINVAL;
	if (op == VMK_CPU_OWNER)
		return __atomic_load_n(&t->owner, __ATOMIC_ACQUIRE);
	if ((op == VMK_CPU_ARM || op == VMK_CPU_DISARM) && t != p)
		return VMK_EINVAL;   /* a CPU arms itself: its VMCB is its own */
	spin_lock(&cpu_lock);
	switch (op) {
	case VMK_CPU_ARM:
		if (p->linux_cpu == 0)
			r = VMK_EPERM;   /* CPU 0 stays the COS's */
		else if (p->owner != VMK_CPU_COS)
			r = VMK_EBUSY;
		else
			p->owner = VMK_CPU_GIVING, p->cos_dead = 0;
		break;
	case VMK_CPU_DISARM:
		if (p->owner == VMK_CPU_GIVING)
			p->owner = VMK_CPU_COS;
		else
			r = VMK_EINVAL;
		break;
	case VMK_CPU_DEAD:
		if (t->owner == VMK_CPU_GIVING)
			t->cos_dead = 1;
		else
			r = VMK_EINVAL;
		break;
	case VMK_CPU_TAKE:
		if (t->take_req)
			r = VMK_OK;      /* again, after a failed start: nothing new */
		else if (t->owner != VMK_CPU_VMK)
			r = VMK_EINVAL;
		else if (nscheduled)
			r = VMK_EBUSY;   /* stop the VMs first */
		else
			t->take_req = 1, ntaking++;
		break;
	}
	spin_unlock(&cpu_lock);
	if (r == VMK_OK && op == VMK_CPU_ARM)
		p->cos.vmcb->c.intercept_misc1 |= SVM_I1_HLT;
	if (r == VMK_OK && op == VMK_CPU_DISARM)
		p->cos.vmcb->c.intercept_misc1 &= ~SVM_I1_HLT;
	if (r == VMK_OK && op == VMK_CPU_TAKE)
		kick((uint32_t)index);
	return r;
}

/* The CPU becomes the vmkernel's: its APIC on, its timer ticking. */
static void apic_take(struct pcpu *p)
{
	p->apic_saved[0] = lapic_read(LAPIC_SVR);
	p->apic_saved[1] = lapic_read(LAPIC_LVTT);
	p->apic_saved[2] = lapic_read(LAPIC_TDCR);
	p->apic_saved[3] = lapic_read(LAPIC_TPR);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VMK_VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	/* Whatever Linux left in service would mask our vectors below it. */
	for (int n = 0; n < 256 && lapic_isr_pending(); n++)
		lapic_write(LAPIC_EOI, 0);
	p->apic_per_ms = lapic_timer_calibrate(vmk_boot->tsc_khz);
	if (!p->apic_per_ms)
		p->apic_per_ms = 1;
	lapic_write(LAPIC_LVTT, VMK_VEC_TIMER);   /* one-shot, armed per decision */
	lapic_write(LAPIC_TICR, p->apic_per_ms);
}

static uint64_t timers_next_tsc(void);

/* The next tick: at the end of the running world's slice or when the first
 * VM timer is due, at most 1 ms on. */
static void timer_arm(struct pcpu *p, uint64_t now)
{
	uint64_t ns = TICK_NS, counts, due = timers_next_tsc(), tsc = rdtsc();

	if (p->slice_end > now && p->slice_end - now < ns)
		ns = p->slice_end - now;
	if (due && (due <= tsc || tsc_to_ns(due - tsc) < ns))
		ns = due <= tsc ? 1 : tsc_to_ns(due - tsc);
	counts = ns * p->apic_per_ms / 1000000;
	lapic_write(LAPIC_TICR, counts ? (uint32_t)counts : 1);
}

static void apic_timer_stop(void)
{
	lapic_write(LAPIC_LVTT, LVT_MASKED);
	lapic_write(LAPIC_TICR, 0);
}

/* Back as Linux left it, before its start-up code sees it. */
static void apic_give_back(struct pcpu *p)
{
	apic_timer_stop();
	lapic_write(LAPIC_TDCR, p->apic_saved[2]);
	lapic_write(LAPIC_LVTT, p->apic_saved[1]);
	lapic_write(LAPIC_TPR, p->apic_saved[3]);
	lapic_write(LAPIC_SVR, p->apic_saved[0]);
}

int cpuctl_cos_halt(struct pcpu *p)
{
	/* Linux's dead CPU halts with IF clear, again and again; the COS says
	 * it is dead (VMK_CPU_DEAD) only once cpu_down() has returned on
	 * another CPU.  Wait for that here, 10 ms at a time, rather than take
	 * an exit per HLT (one give in the lab took 120,203 of them). */
	if (__atomic_load_n(&p->owner, __ATOMIC_ACQUIRE) == VMK_CPU_GIVING &&
	    !(p->cos.vmcb->s.rflags & RFLAGS_IF)) {
		uint64_t end = rdtsc() + vmk_boot->tsc_khz * 10;

		while (!__atomic_load_n(&p->cos_dead, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&p->owner, __ATOMIC_ACQUIRE) == VMK_CPU_GIVING &&
		       rdtsc() < end)
			__builtin_ia32_pause();
	}
	if (p->owner != VMK_CPU_GIVING || !__atomic_load_n(&p->cos_dead, __ATOMIC_ACQUIRE))
		return 0;   /* an idle halt while the COS winds the CPU down */
	p->cos.vmcb->c.intercept_misc1 &= ~SVM_I1_HLT;
	apic_take(p);
	p->sys = (struct world){ .kind = WORLD_SYSTEM, .id = VMK_WORLD_SYSTEM };
	p->sched_cur = SCHED_NONE;
	p->resched = p->tick = 0;
	p->slice_end = 0;
	spin_lock(&cpu_lock);
	owned_mask |= 1ull << p->index;
	if (!nscheduled) {
		sched_rebuild();
	} else {
		/* VMs are scheduled: the policy gets one more CPU, and they reach
		 * it by stealing and balancing. */
		int c = sched_add_cpu(&sched, sched_now());

		if (c >= 0) {
			sched_cpu[p->index] = c;
			vmk_cpu_of[c] = p->index;
			sched_ncpus++;
		} else {
			vmk_log("cpu%u: the scheduler refused it (%d); it idles until no VM "
				"is scheduled\n", p->linux_cpu, c);
		}
	}
	p->stat.gives++;
	__atomic_store_n(&p->owner, VMK_CPU_VMK, __ATOMIC_RELEASE);
	spin_unlock(&cpu_lock);
	trace_world_switch(&p->tw, 0, VMK_WORLD_SYSTEM, 0);
	trace_set_world(&p->tw, VMK_WORLD_SYSTEM);
	p->cur = &p->sys;
	/* Its interrupts are the vmkernel's now: it can take cross-calls. */
	vmk_smp_cpu_online(p, 1);
	vmk_log("cpu%u: given to the vmkernel (APIC timer %u counts/ms)\n", p->linux_cpu,
		p->apic_per_ms);
	return 1;
}

/* INIT and start-up IPIs the COS sends (never put on the wire).  The only
 * ones that do anything are to a CPU handed back, in INIT-SIPI order. */
void cpuctl_cos_startup_ipi(struct pcpu *p, uint32_t icr, uint32_t dest)
{
	struct pcpu *t = ICR_SHORTHAND(icr) || (icr & ICR_LOGICAL) ? 0 : vmk_pcpu_by_apic[dest & 255];
	int init = ICR_MODE(icr) == ICR_INIT, refused = 0;

	spin_lock(&cpu_lock);
	if (!t || t->owner != VMK_CPU_RETURNING)
		refused = init;   /* a stray SIPI does nothing, as on hardware */
	else if (init && (icr & (1u << 14)))   /* assert; the de-assert is a no-op */
		t->init_seen = 1;
	else if (!init && t->init_seen && !t->sipi_pending)
		t->sipi_vec = icr & 0xff, t->sipi_pending = 1;   /* it polls for this */
	spin_unlock(&cpu_lock);
	if (refused && p->stat.ipis_blocked++ < 8)
		vmk_log("cpu%u: COS INIT IPI (icr %x, dest %u) refused%s\n", p->linux_cpu, icr,
			dest, p->stat.ipis_blocked == 8 ? "; not logging more" : "");
}

/* Hand the CPU back: the COS world starts at the start-up vector.  Under
 * cpu_lock, having seen sipi_pending. */
static void cos_restart(struct pcpu *p)
{
	irq_window();   /* nothing of the vmkernel's left pending in the APIC */
	apic_give_back(p);
	svm_cos_vmcb_sipi(p, p->sipi_vec);
	owned_mask &= ~(1ull << p->index);
	ntaking--;
	sched_rebuild();   /* no VM is scheduled: takes wait for that, adds for takes */
	p->take_req = p->init_seen = p->sipi_pending = 0;
	__atomic_store_n(&p->owner, VMK_CPU_COS, __ATOMIC_RELEASE);
	trace_world_switch(&p->tw, VMK_WORLD_SYSTEM, 0, 0);
	trace_set_world(&p->tw, 0);
	p->cur = &p->cos;
}

/* ---- the scheduler ------------------------------------------------------ */

/* Under cpu_lock: vCPUs of the scheduler with a timer armed, so that a tick
 * and a pick look through the table only when one is. */
static uint32_t ntimers;

static void timer_update(struct vcpu *vc)
{
	uint64_t t = vc->pv_deadline;

	if (vc->apic_deadline && (!t || vc->apic_deadline < t))
		t = vc->apic_deadline;
	ntimers += (t != 0) - (vc->timer_deadline != 0);
	vc->timer_deadline = t;
}

static void kick_notify(uint32_t index)
{
	if (index < vmk_boot->ncpus && vmk_pcpus[index])
		lapic_send_ipi(vmk_pcpus[index]->apic_id, VMK_VEC_NOTIFY);
}

/* Under cpu_lock: the VM's scheduler figures, summed over its vCPUs: the
 * policy's for those it has, the last ones for those that left it. */
static void info_update(struct vm *vm)
{
	uint64_t run = 0, ent = 0, mig = 0, costops = 0, costop_ns = 0, lead = 0, yields = 0;

	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vc = vm->vcpu[i];

		if (sched_vc[vc->sid] == vc &&
		    sched_world_info(&sched, vc->sid, &vc->last) == VMK_OK)
			ent += vc->last.entitlement_ppm;
		run += vc->last.run_ns;
		mig += vc->last.migrations;
		costops += vc->last.costops;
		costop_ns += vc->last.costop_ns;
		yields += vc->last.yields;
		if (vc->last.lead_max_ns > lead)
			lead = vc->last.lead_max_ns;
	}
	vm->info.run_ns = run;
	vm->info.entitled_ppm = ent;
	vm->info.migrations = mig;
	vm->info.costops = costops;
	vm->info.costop_ns = costop_ns;
	vm->info.lead_max_ns = lead;
	vm->info.yields = yields;
}

/* Under cpu_lock: the vCPU, not running, leaves the scheduler for good;
 * the VM does with its last vCPU.  With none left, the policy is rebuilt
 * for the CPUs owned now. */
static void unschedule(struct vcpu *vc)
{
	struct vm *vm = vc->vm;

	if (sched_vc[vc->sid] != vc)
		return;   /* gone already */
	info_update(vm);
	vc->pv_deadline = vc->apic_deadline = 0;
	timer_update(vc);
	vc->waiting = 0;
	VMK_ASSERT(sched_remove_world(&sched, vc->sid) == VMK_OK, "scheduler lost a world");
	sched_vc[vc->sid] = 0;
	while (sched_vc_end && !sched_vc[sched_vc_end - 1])
		sched_vc_end--;
	if (--vm->nsched)
		return;
	nscheduled--;
	vm->info.scheduled = 0;
	if (!nscheduled && !ntaking)
		sched_rebuild();
}

/* Every vCPU becomes a world with the same parameters; vCPU 0 is woken,
 * the others wait for their start-up IPI. */
int sched_vm_add(struct vm *vm, const struct sched_params *sp)
{
	int32_t kick_cpu = SCHED_NONE;
	int err = VMK_OK;
	uint32_t n = 0;

	spin_lock(&cpu_lock);
	if (!sched_ncpus)
		err = VMK_ENODEV;
	else if (ntaking)
		err = VMK_EBUSY;   /* a CPU is leaving: the scheduler is rebuilt then */
	for (; err == VMK_OK && n < vm->nvcpus; n++)
		if ((err = sched_add_world(&sched, vm->vcpu[n]->sid, sp, SCHED_AFFINITY_ALL)) ==
		    VMK_OK && (err = sched_set_group(&sched, vm->vcpu[n]->sid, (int32_t)vm->id)) !=
		    VMK_OK)
			sched_remove_world(&sched, vm->vcpu[n]->sid);
	if (err == VMK_OK)
		err = sched_wake(&sched, vm->vcpu[0]->sid, sched_now(), &kick_cpu);
	if (err != VMK_OK) {
		while (n--)
			sched_remove_world(&sched, vm->vcpu[n]->sid);
		kick_cpu = SCHED_NONE;
	} else {
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			sched_vc[vm->vcpu[i]->sid] = vm->vcpu[i];
			if (vm->vcpu[i]->sid >= sched_vc_end)
				sched_vc_end = vm->vcpu[i]->sid + 1;
		}
		vm->nsched = vm->nvcpus;
		nscheduled++;
		vm->info.scheduled = 1;
		vm->info.shares = sp->shares;
		vm->info.reservation_ppm = sp->reservation_ppm;
		vm->info.limit_ppm = sp->limit_ppm;
	}
	spin_unlock(&cpu_lock);
	if (kick_cpu != SCHED_NONE)
		kick(vmk_cpu_of[kick_cpu]);
	return err;
}

/* vCPUs that are not running leave the scheduler; running ones are kicked
 * (they stop at their next exit, seeing vm->stop_req).  VMK_OK if none was
 * running (the VM is off the scheduler), EBUSY otherwise. */
int sched_vm_stop(struct vm *vm, int32_t self)
{
	int busy = 0;

	spin_lock(&cpu_lock);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vc = vm->vcpu[i];

		if (sched_vc[vc->sid] != vc)
			continue;
		if (vc->cpu >= 0) {
			busy = 1;
			if (vc->cpu != self)
				kick_notify((uint32_t)vc->cpu);
		} else {
			unschedule(vc);
		}
	}
	spin_unlock(&cpu_lock);
	return busy ? VMK_EBUSY : VMK_OK;
}

void sched_vm_info(struct vm *vm)
{
	spin_lock(&cpu_lock);
	if (vm->info.scheduled)
		info_update(vm);
	spin_unlock(&cpu_lock);
}

int64_t sched_vm_timer(struct vcpu *vc, uint64_t ns, uint64_t vec)
{
	int64_t r = VMK_OK;

	if (vec < 32 || vec > 255 || ns > (1ull << 40))
		return VMK_EINVAL;
	spin_lock(&cpu_lock);
	if (!vc->vm->info.scheduled) {
		r = VMK_EPERM;
	} else {
		vc->pv_deadline = ns ? rdtsc() + ns * vmk_boot->tsc_khz / 1000000 + 1 : 0;
		timer_update(vc);
		vc->timer_vec = (uint32_t)vec;
		vc->pv_pending = 0;
	}
	spin_unlock(&cpu_lock);
	return r;
}

/* The vLAPIC timer of the vCPU running on @p is due at host TSC @tsc (0:
 * disarmed).  The CPU's own timer is brought forward if it is earlier. */
void sched_vcpu_apic_timer(struct pcpu *p, struct vcpu *vc, uint64_t tsc)
{
	spin_lock(&cpu_lock);
	if (sched_vc[vc->sid] == vc) {
		vc->apic_deadline = tsc;
		timer_update(vc);
		if (tsc && p->owner == VMK_CPU_VMK)
			timer_arm(p, sched_now());
	}
	spin_unlock(&cpu_lock);
}

/* Before entry, with vc->timer_due seen: which of its timers fired.  The
 * paravirtual one becomes pv_pending; the vLAPIC's goes through its model
 * (the caller holds nothing). */
void sched_vcpu_timers(struct vcpu *vc)
{
	uint64_t tsc = rdtsc(), next;

	spin_lock(&cpu_lock);
	if (vc->pv_deadline && vc->pv_deadline <= tsc) {
		vc->pv_deadline = 0;
		vc->pv_pending = 1;
	}
	if (vc->apic_deadline && vc->apic_deadline <= tsc) {
		spin_lock(&vc->apic_lock);
		vlapic_timer_expire(&vc->apic, tsc + vc->w.vmcb->c.tsc_offset);
		next = vlapic_timer_next_deadline(&vc->apic);
		spin_unlock(&vc->apic_lock);
		vc->apic_deadline = next == VLAPIC_NO_DEADLINE ? 0 :
				    next - vc->w.vmcb->c.tsc_offset ?: 1;
	}
	timer_update(vc);
	spin_unlock(&cpu_lock);
}

/* Under cpu_lock: the earliest armed vCPU timer (TSC), 0 if none. */
static uint64_t timers_next_tsc(void)
{
	uint64_t first = 0;

	if (!ntimers)
		return 0;
	for (int32_t id = 0; id < sched_vc_end; id++)
		if (sched_vc[id] && sched_vc[id]->timer_deadline &&
		    (!first || sched_vc[id]->timer_deadline < first))
			first = sched_vc[id]->timer_deadline;
	return first;
}

/* Under cpu_lock: the vCPU has something for its entry path; a waiting one
 * is woken, a running one elsewhere is kicked out of the guest. */
static void notify_locked(struct vcpu *vc, uint64_t now, uint32_t me)
{
	int32_t kick_cpu = SCHED_NONE;

	__atomic_store_n(&vc->attn, 1, __ATOMIC_RELEASE);
	if (vc->waiting && vc->run_state == VCPU_RUN &&
	    (__atomic_load_n(&vc->timer_due, __ATOMIC_ACQUIRE) || vcpu_has_wakeup(vc))) {
		vc->waiting = 0;
		if (sched_wake(&sched, vc->sid, now, &kick_cpu) == VMK_OK && kick_cpu != SCHED_NONE)
			kick(vmk_cpu_of[kick_cpu]);   /* sending never waits */
	} else if (vc->cpu >= 0 && (uint32_t)vc->cpu != me) {
		kick_notify((uint32_t)vc->cpu);
	}
}

/* Under cpu_lock, at a tick: expired timers become due, and a vCPU that
 * waits for one is woken. */
static void timers_expire(uint64_t now, uint32_t me)
{
	uint64_t tsc = rdtsc();

	if (!ntimers)
		return;
	for (int32_t id = 0; id < sched_vc_end; id++) {
		struct vcpu *vc = sched_vc[id];

		if (!vc || !vc->timer_deadline || tsc < vc->timer_deadline)
			continue;
		ntimers--;
		vc->timer_deadline = 0;   /* until the vCPU looks (sched_vcpu_timers) */
		__atomic_store_n(&vc->timer_due, 1, __ATOMIC_RELEASE);
		notify_locked(vc, now, me);
	}
}

/* Another vCPU (or a device) gave @vc something to take (vm_apic.c). */
void sched_vcpu_notify(struct pcpu *p, struct vcpu *vc)
{
	spin_lock(&cpu_lock);
	if (sched_vc[vc->sid] == vc)
		notify_locked(vc, sched_now(), p->index);
	else
		__atomic_store_n(&vc->attn, 1, __ATOMIC_RELEASE);
	spin_unlock(&cpu_lock);
}

/* Under cpu_lock: what INIT does to a vCPU -- its vLAPIC resets, its
 * timers stop, what was pending for it goes -- but its run state. */
static void init_reset_locked(struct vcpu *vc)
{
	spin_lock(&vc->apic_lock);
	vlapic_init_signal(&vc->apic);
	spin_unlock(&vc->apic_lock);
	vc->pv_deadline = vc->apic_deadline = 0;
	timer_update(vc);
	vc->pv_pending = vc->waiting = 0;
	__atomic_store_n(&vc->nmi_req, 0, __ATOMIC_RELAXED);
	vc->nmi_masked = vc->nmi_stepping = 0;   /* its VMCB is rebuilt at start-up */
}

/* Under cpu_lock: INIT on a vCPU that is not running: it waits for a
 * start-up IPI. */
static void init_locked(struct vcpu *vc, uint64_t now)
{
	struct sched_world_info wi;

	if (sched_world_info(&sched, vc->sid, &wi) == VMK_OK && wi.state == SCHED_READY)
		sched_block(&sched, vc->sid, now);
	init_reset_locked(vc);
	vc->run_state = VCPU_WAIT_SIPI;
}

/* Under cpu_lock: a vCPU waiting for SIPI, not running, starts at vec:0. */
static void sipi_locked(struct vcpu *vc, uint32_t vec, uint64_t now)
{
	int32_t kick_cpu = SCHED_NONE;

	vm_vmcb_sipi(vc, vec);
	vc->run_state = VCPU_RUN;
	if (sched_wake(&sched, vc->sid, now, &kick_cpu) == VMK_OK && kick_cpu != SCHED_NONE)
		kick(vmk_cpu_of[kick_cpu]);
}

void sched_vcpu_init(struct pcpu *p, struct vcpu *vc)
{
	spin_lock(&cpu_lock);
	if (sched_vc[vc->sid] != vc) {
		/* not scheduled (VMK_HC_VM_RUN: one vCPU, so a self-INIT): ignored */
	} else if (vc->cpu >= 0) {
		__atomic_store_n(&vc->init_req, 1, __ATOMIC_RELEASE);
		vc->sipi_latched = 0;
		if ((uint32_t)vc->cpu != p->index)
			kick_notify((uint32_t)vc->cpu);
		__atomic_store_n(&vc->attn, 1, __ATOMIC_RELEASE);
	} else {
		init_locked(vc, sched_now());
	}
	spin_unlock(&cpu_lock);
}

void sched_vcpu_sipi(struct pcpu *p, struct vcpu *vc, uint32_t vec)
{
	(void)p;
	spin_lock(&cpu_lock);
	if (sched_vc[vc->sid] != vc)
		;   /* not scheduled: nothing to start */
	else if (__atomic_load_n(&vc->init_req, __ATOMIC_ACQUIRE))
		vc->sipi_latched = (int32_t)vec + 1;   /* its INIT is still on its way */
	else if (vc->run_state == VCPU_WAIT_SIPI && vc->cpu < 0)
		sipi_locked(vc, vec, sched_now());
	spin_unlock(&cpu_lock);   /* else ignored, as a running CPU ignores SIPI */
}

/* The running vCPU takes its own INIT (vc->init_req): 1 if it goes on
 * (a start-up IPI came with it), 0 if it must leave to wait for one. */
int sched_vcpu_take_init(struct vcpu *vc)
{
	int go_on = 0;

	spin_lock(&cpu_lock);
	__atomic_store_n(&vc->init_req, 0, __ATOMIC_RELAXED);
	init_reset_locked(vc);
	if (vc->sipi_latched) {
		vm_vmcb_sipi(vc, (uint32_t)vc->sipi_latched - 1);
		go_on = 1;
	} else {
		vc->run_state = VCPU_WAIT_SIPI;
	}
	vc->sipi_latched = 0;
	spin_unlock(&cpu_lock);
	return go_on;
}

/* The vCPU that ran here left the CPU (its state is saved). */
void sched_vm_left(struct pcpu *p, struct vcpu *vc, int64_t result)
{
	spin_lock(&cpu_lock);
	vc->cpu = -1;
	if (result == VMK_VM_HALTED || result == VMK_VM_STOPPED || result == VMK_VM_WAITING) {
		VMK_ASSERT(sched_block(&sched, vc->sid, sched_now()) == VMK_OK,
			   "scheduler refused to block a running world");
		p->sched_cur = SCHED_NONE;
	}
	if (result == VMK_VM_WAITING && vc->run_state == VCPU_RUN) {
		/* Something came meanwhile: wake it at once. */
		int32_t kick_cpu = SCHED_NONE;

		if (__atomic_load_n(&vc->timer_due, __ATOMIC_ACQUIRE) || vcpu_has_wakeup(vc))
			sched_wake(&sched, vc->sid, sched_now(), &kick_cpu);
		else
			vc->waiting = 1;
	}
	/* vm->info's scheduler figures are refreshed when the COS asks
	 * (sched_vm_info) and at unschedule, not on every leave. */
	if (result == VMK_VM_STOPPED)
		unschedule(vc);
	if (result == VMK_VM_YIELDED) {
		/* A yield hypercall or a PAUSE loop: passed over once, so a
		 * sibling that holds what it waits for runs first. */
		sched_yield_world(&sched, vc->sid, sched_now());
		p->resched = 1;
	}
	spin_unlock(&cpu_lock);
	p->cur = &p->sys;
}

/* Under cpu_lock: what runs next on this CPU, NULL for idle.  The running
 * world goes on unless it yielded, a kick asked for a new pick, or its slice
 * ran out at this tick. */
static struct vcpu *sched_next(struct pcpu *p, uint32_t *kick_cpu)
{
	struct sched_pick pick;
	struct sched_migration mv[8];
	uint32_t nmv = 0;
	uint64_t now = sched_now();
	int32_t prev = p->sched_cur, me = sched_cpu[p->index];
	int rearm = p->tick;   /* else the countdown runs on: exits do not delay ticks */

	*kick_cpu = (uint32_t)SCHED_NONE;
	if (p->tick)
		timers_expire(now, p->index);
	if (me < 0) {          /* the policy refused it when given (see give): idle */
		p->sched_cur = SCHED_NONE;
		p->slice_end = 0;
		goto out;
	}
	if (p->tick && me == 0 && p->stat.timer_ticks % BALANCE_TICKS == 0 &&
	    sched_balance(&sched, now, mv, 8, &nmv) == VMK_OK)
		for (uint32_t i = 0; i < nmv; i++)
			if (mv[i].pending && mv[i].from_cpu != (uint32_t)me)
				kick(vmk_cpu_of[mv[i].from_cpu]);   /* sending never waits */
	if (prev == SCHED_NONE || p->resched || (p->tick && sched_tick(&sched, (uint32_t)me, now) != 0)) {
		if (sched_pick_next(&sched, (uint32_t)me, now, &pick) != VMK_OK)
			pick = (struct sched_pick){ .world = SCHED_NONE, .kick_cpu = SCHED_NONE };
		*kick_cpu = pick.kick_cpu == SCHED_NONE ? (uint32_t)SCHED_NONE :
			    vmk_cpu_of[pick.kick_cpu];
		p->sched_cur = pick.world;
		p->slice_end = pick.slice_ns ? now + pick.slice_ns : 0;
		rearm = 1;
		if (pick.world != prev)
			trace_sched(&p->tw, prev == SCHED_NONE ? VMK_WORLD_SYSTEM : (uint32_t)prev,
				    pick.world == SCHED_NONE ? VMK_WORLD_SYSTEM : (uint32_t)pick.world,
				    0, 0, 0);
	}
out:
	p->tick = 0;
	p->resched = 0;
	if (rearm)
		timer_arm(p, now);
	if (p->sched_cur < 0 || p->sched_cur >= VM_SID_LIMIT)
		return 0;
	return sched_vc[p->sched_cur];
}

/* An interrupt exit on an owned CPU: the interrupt is taken here; the vCPU
 * goes on unless it was a tick or a kick (then the scheduler decides). */
int sched_vcpu_irq_exit(struct pcpu *p)
{
	irq_window();
	return p->tick || p->resched;
}

void sysworld_run(struct pcpu *p)
{
	for (;;) {
		struct vcpu *vc;
		uint32_t kick_cpu;

		irq_window();
		trace_cpu_sync(p);   /* an idle CPU joins a new trace session here */
		if (p->take_req && p->owner == VMK_CPU_VMK) {
			/* Before the COS gets its APIC back: no call may wait
			 * for it from here on (one in flight is answered). */
			vmk_smp_cpu_online(p, 0);
			apic_timer_stop();
			spin_lock(&cpu_lock);
			p->init_seen = p->sipi_pending = 0;
			__atomic_store_n(&p->owner, VMK_CPU_RETURNING, __ATOMIC_RELEASE);
			spin_unlock(&cpu_lock);
			vmk_log("cpu%u: handed back; waiting for the COS to start it\n",
				p->linux_cpu);
		}
		if (p->owner == VMK_CPU_RETURNING) {
			/* Poll: a kick could still be pending when the COS gets the
			 * APIC back.  Linux sends INIT and SIPI within milliseconds. */
			int go;

			spin_lock(&cpu_lock);
			go = p->sipi_pending;
			if (go)
				cos_restart(p);
			spin_unlock(&cpu_lock);
			if (go) {
				vmk_log("cpu%u: back to the COS (start-up vector %02x)\n",
					p->linux_cpu, p->sipi_vec);
				return;
			}
			cpu_relax();
			continue;
		}
		spin_lock(&cpu_lock);
		vc = sched_next(p, &kick_cpu);
		if (vc) {
			vc->cpu = (int32_t)p->index;
			vc->vm->info.last_cpu = (int32_t)p->index;
		}
		spin_unlock(&cpu_lock);
		if (kick_cpu != (uint32_t)SCHED_NONE)
			kick(kick_cpu);
		if (vc) {
			vm_switch_in(p, vc, 0);
			return;
		}
		idle_window(p);
	}
}
