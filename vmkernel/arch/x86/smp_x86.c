/* The vmkernel's side of smp/ (vmk_smp.h): the hooks of struct smp_ops on
 * x86 with SVM, and the call vector.
 *
 * How the call vector reaches an online CPU: in its system world's idle
 * HLT and its interrupt window after each exit (vmk_irq), and while it
 * runs a VM world as an INTR #VMEXIT (VM VMCBs intercept INTR, V_INTR_
 * MASKING), whose window then takes it (vx_preempt, sched_vcpu_irq_exit);
 * the vCPU goes on afterwards.  Everywhere else the vmkernel runs with GIF
 * clear: the IPI waits in the APIC until the next window, and a CPU that
 * spins on a lock polls for calls instead (spin_lock, vmk_smp_poll). */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "lapic.h"
#include "vmcb.h"
#include "vmk_smp.h"

#define SMP_TIMEOUT_MS 1000u

struct smp vmk_smp;
static int smp_ready;                      /* set once vmk_smp is initialised */
static uint64_t call_irqs[VMK_MAX_CPUS];   /* owner: VMK_VEC_CALL interrupts */

static struct pcpu *this_pcpu(void)
{
	return vmk_pcpu_by_apic[lapic_id() & 255];
}

static unsigned x86_this_cpu(void *ctx)
{
	struct pcpu *p = this_pcpu();

	(void)ctx;
	return p ? p->index : SMP_MAX_CPUS;
}

static void x86_send_ipi(void *ctx, const struct smp_cpuset *set)
{
	unsigned cpu;

	(void)ctx;
	smp_cpuset_for_each(cpu, set)
		if (cpu < VMK_MAX_CPUS && vmk_pcpus[cpu])
			lapic_send_ipi(vmk_pcpus[cpu]->apic_id, VMK_VEC_CALL);
}

/* Guest translations: SVM has no host instruction that drops one ASID, so
 * the next VMRUN here flushes (TLB_CONTROL) -- that of the world this CPU
 * resumes; a switch to another world flushes anyway (vm_switch_in,
 * vm_leave, svm_vmcb_real_mode).  The lab's QEMU honours only flush-all. */
static void guest_flush_next_vmrun(void)
{
	struct pcpu *p = this_pcpu();

	if (p && p->cur && p->cur->vmcb)
		p->cur->vmcb->c.tlb_control = SVM_TLB_FLUSH_ALL;
}

/* The vmkernel's own translations, global ones included. */
static void host_flush_all(void)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

static void x86_flush_page(void *ctx, uint32_t asid, uintptr_t va)
{
	(void)ctx;
	if (asid == 0)
		invlpg(va);
	else
		invlpga(va, asid);
}

static void x86_flush_asid(void *ctx, uint32_t asid)
{
	(void)ctx;
	if (asid == 0)
		host_flush_all();
	else
		guest_flush_next_vmrun();
}

static void x86_flush_all(void *ctx)
{
	(void)ctx;
	host_flush_all();
	guest_flush_next_vmrun();
}

static void x86_pause(void *ctx)
{
	(void)ctx;
	cpu_relax();
}

static uint64_t x86_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

int vmk_smp_init(void)
{
	static const struct smp_ops ops = {
		.send_ipi = x86_send_ipi, .flush_page = x86_flush_page,
		.flush_asid = x86_flush_asid, .flush_all = x86_flush_all,
		.pause = x86_pause, .this_cpu = x86_this_cpu, .now = x86_now,
	};
	struct smp_config cfg;
	int err;

	smp_config_default(&cfg, vmk_boot->ncpus);
	err = smp_init(&vmk_smp, &ops, &cfg);
	if (err == VMK_OK)
		__atomic_store_n(&smp_ready, 1, __ATOMIC_RELEASE);
	return err;
}

void vmk_smp_cpu_online(struct pcpu *p, int online)
{
	int err;

	if (online)
		x86_flush_all(0);
	err = smp_cpu_set_online(&vmk_smp, p->index, online);
	VMK_ASSERT(err == VMK_OK, "smp refused a CPU's online change");
}

void vmk_smp_irq(struct pcpu *p)
{
	smp_count(&call_irqs[p->index], 1);
	smp_handle_ipi(&vmk_smp);
}

void vmk_smp_poll(void)
{
	if (__atomic_load_n(&smp_ready, __ATOMIC_ACQUIRE))
		smp_handle_ipi(&vmk_smp);
}

uint64_t vmk_smp_irqs(unsigned cpu)
{
	return cpu < VMK_MAX_CPUS ? __atomic_load_n(&call_irqs[cpu], __ATOMIC_RELAXED) : 0;
}

uint64_t vmk_smp_timeout(void)
{
	return (uint64_t)vmk_boot->tsc_khz * SMP_TIMEOUT_MS;
}

void vmk_smp_log_missing(const char *what, const struct smp_cpuset *missing)
{
	char buf[256];
	int n = 0;
	unsigned cpu;

	buf[0] = 0;
	smp_cpuset_for_each(cpu, missing) {
		const struct pcpu *t = cpu < VMK_MAX_CPUS ? vmk_pcpus[cpu] : 0;

		if (n < (int)sizeof(buf) - 16)
			n += vmk_snprintf(buf + n, sizeof(buf) - (size_t)n, " cpu%u",
					  t ? t->linux_cpu : cpu);
	}
	vmk_log("smp: %s; CPUs that did not answer:%s\n", what, buf);
}
