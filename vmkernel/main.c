/* Start of every CPU in the vmkernel.  The first CPU to arrive sets up what
 * all share (memory, log, descriptor tables, nested page tables); every CPU
 * then builds its own system-world state and the COS world's VMCB, and all
 * meet in a rendezvous: if any CPU failed, every CPU returns to the COS bare
 * and the load fails as a whole; otherwise each resumes the COS as a guest. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "lapic.h"
#include "cpuctl.h"
#include "vmk_smp.h"

#define RENDEZVOUS_SPINS (1ull << 31)

enum { INIT_NONE, INIT_BUSY, INIT_DONE, INIT_FAILED };

struct pcpu *vmk_pcpus[VMK_MAX_CPUS];
extern uint64_t vmk_launch_tsc;
int svm_global_init(void);

static int init_state;
static int init_err;
static uint32_t arrived, failed;

static int global_init(struct vmk_boot_info *boot)
{
	int err;

	mem_init(boot);
	vmk_launch_tsc = rdtsc();
	vmk_log("vmkernel: %u CPUs, %lu MiB, %u-level paging, COS up to %lx\n",
		boot->ncpus, boot->mem_size >> 20, boot->paging_levels, boot->max_phys);
	desc_init();
	err = svm_global_init();
	if (err == VMK_OK)
		err = lapic_init();
	if (err == VMK_OK)
		err = npt_init();
	if (err == VMK_OK)
		err = cosmem_init();
	if (err == VMK_OK)
		err = trace_init();
	if (err == VMK_OK)
		err = vm_init();
	if (err == VMK_OK)
		err = vm_exit_init();
	if (err == VMK_OK)
		err = cpuctl_init();
	if (err == VMK_OK)
		err = vmk_smp_init();
	if (err != VMK_OK)
		vmk_log("vmkernel: global set-up failed: %s\n", vmk_strerror(err));
	return err;
}

static int wait_global_init(struct vmk_boot_info *boot)
{
	int expected = INIT_NONE;

	if (__atomic_compare_exchange_n(&init_state, &expected, INIT_BUSY, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		init_err = global_init(boot);
		__atomic_store_n(&init_state, init_err ? INIT_FAILED : INIT_DONE,
				 __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) < INIT_DONE)
		cpu_relax();
	return init_state == INIT_DONE ? VMK_OK : init_err;
}

/* The loader maps CPU i's launch block at VMK_LAUNCH_VA + i * 4 KiB. */
static int find_cpu(struct vmk_boot_info *boot, uint64_t lc_va)
{
	uint64_t i = (lc_va - VMK_LAUNCH_VA) / PAGE_SIZE;

	if (lc_va & (PAGE_SIZE - 1) || i >= boot->ncpus || i >= VMK_MAX_CPUS)
		return -1;
	return (int)i;
}

static int cpu_setup(struct pcpu **out, struct vmk_launch_cpu *lc, int idx)
{
	struct pcpu *p = mem_alloc_pages((sizeof(*p) + PAGE_SIZE - 1) / PAGE_SIZE, 0);
	int err;

	if (!p)
		return VMK_ENOMEM;
	p->index = (uint32_t)idx;
	p->cur = &p->cos;
	p->cos.kind = WORLD_COS;
	p->linux_cpu = lc->cpu;
	p->apic_id = lc->apic_id;
	p->owner = VMK_CPU_COS;
	p->sched_cur = -1;
	p->lc = lc;
	/* Kept here: the COS may rewrite its launch block once it runs. */
	p->tramp_leave = lc->tramp_leave;
	p->lc_va = lc->self_va;
	*out = p;
	if (lapic_cpu_check() != VMK_OK || lapic_id() != p->apic_id || p->apic_id > 255) {
		vmk_log("cpu%u: local APIC not where CPU 0's is, or its ID is not %u\n",
			lc->cpu, lc->apic_id);
		return VMK_ENODEV;
	}
	err = svm_cpu_setup(p);
	if (err != VMK_OK)
		return err;
	svm_cos_vmcb_init(p);
	vmk_pcpus[idx] = p;
	vmk_pcpu_by_apic[p->apic_id] = p;
	return VMK_OK;
}

/* Every CPU waits for all; a CPU that never comes fails the launch. */
static int rendezvous(uint32_t ncpus, int my_err)
{
	uint64_t spins = 0;

	if (my_err)
		__atomic_fetch_add(&failed, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < ncpus) {
		if (++spins == RENDEZVOUS_SPINS)
			return VMK_EAGAIN;
		cpu_relax();
	}
	return __atomic_load_n(&failed, __ATOMIC_ACQUIRE) ? VMK_EBUSY : VMK_OK;
}

void vmk_cpu_main(uint64_t lc_va) __attribute__((noreturn));
void vmk_cpu_main(uint64_t lc_va)
{
	struct vmk_launch_cpu *lc = (void *)lc_va;
	struct vmk_boot_info *boot = (void *)lc->boot_va;
	struct pcpu *p = NULL;
	int idx = find_cpu(boot, lc_va);
	int err = idx < 0 ? VMK_EINVAL : wait_global_init(boot);
	int r;

	if (err == VMK_OK)
		err = cpu_setup(&p, lc, idx);
	if (err != VMK_OK)
		vmk_log("cpu%u: set-up failed: %s\n", lc->cpu, vmk_strerror(err));
	r = rendezvous(boot->ncpus, err);
	if (err == VMK_OK)
		err = r;
	if (err != VMK_OK)
		leave_bare(lc, p, err);
	vmk_log("cpu%u: COS world resumes as a guest (apic %u)\n", lc->cpu, lc->apic_id);
	svm_world_run(p);
}

struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

void vmk_exception(struct exc_frame *f) __attribute__((noreturn));
void vmk_exception(struct exc_frame *f)
{
	vmk_log("vmkernel: exception %lu err %lx at rip %016lx rsp %016lx\n",
		f->vec, f->err, f->rip, f->rsp);
	vmk_log("  rax %016lx rbx %016lx rcx %016lx rdx %016lx rdi %016lx\n",
		f->rax, f->rbx, f->rcx, f->rdx, f->rdi);
	cpu_halt_forever();
}

void vmk_panic(const char *file, int line, const char *why)
{
	vmk_log("vmkernel: assertion failed at %s:%d: %s\n", file, line, why);
	cpu_halt_forever();
}
