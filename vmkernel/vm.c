/* VM worlds: creation, guest memory, control from the COS, and the world
 * switch between a CPU's COS world and a VM.  Every request is untrusted:
 * ids, sizes, guest and COS addresses are checked before use. */
#include "vmk_core.h"
#include "vm.h"
#include "cpu.h"
#include "vmcb.h"
#include "spinlock.h"
#include "trace_emit.h"
#include "cpuctl.h"
#include "sched/sched.h"
#include "../lib/pagetable.h"
#include <vmk/guest.h>

/* Internal states, invisible to lookups: the VM is being built or freed. */
#define VMS_BUILDING 100u
#define VMS_DYING 101u

static struct vm vms[VMK_MAX_VMS];
static spinlock_t vm_lock;
static uint64_t xsave_mask;      /* XCR0: every state component the COS uses */
static int vm_usable;            /* XSAVE areas fit: VMs can run */
uint32_t vm_pause_filter;

static inline void xsave(void *area)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)xsave_mask),
			 "d"((uint32_t)(xsave_mask >> 32)) : "memory");
}

static inline void xrstor(const void *area)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)xsave_mask),
			 "d"((uint32_t)(xsave_mask >> 32)) : "memory");
}

int vm_init(void)
{
	uint32_t r[4];
	uint64_t xcr0_lo, xcr0_hi;

	/* Without XSAVE, or with more state than the areas hold, the vmkernel
	 * still runs the COS; only VM creation is refused. */
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)))   /* OSXSAVE */
		return VMK_OK;
	cpuid(0xd, 0, r);
	if (r[1] > VM_XSAVE_SIZE || r[1] > sizeof(((struct pcpu *)0)->cos_xsave))
		return VMK_OK;
	__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	xsave_mask = (xcr0_hi << 32) | (xcr0_lo & 0xffffffffu);
	vm_usable = 1;
	cpuid(0x8000000au, 0, r);
	vm_pause_filter = (r[3] >> 10 & 1) ? 1 + (r[3] >> 12 & 1) : 0;
	vmk_log("vm: pause filter %s\n", vm_pause_filter == 2 ? "with threshold: spinning vCPUs yield" :
		vm_pause_filter ? "(count only): spinning vCPUs yield" :
		"absent: a vCPU spinning in a PAUSE loop is not seen");
	return VMK_OK;
}

/* Under vm_lock, and the VM may be used only while it is held (or while
 * the VM runs on the caller's CPU). */
static struct vm *vm_get(uint64_t id)
{
	uint32_t st;

	if (id < 1 || id > VMK_MAX_VMS)
		return NULL;
	st = vms[id - 1].state;
	return st == VMK_VMS_FREE || st == VMS_BUILDING || st == VMS_DYING ? NULL : &vms[id - 1];
}

/* Nested page tables and the VMCB come from the VM's control chunk. */
static void *ctl_alloc(void *ctx, uint64_t *pa)
{
	struct vm *vm = ctx;
	void *va;

	if (vm->ctl_used + PAGE_SIZE > VMK_CHUNK_SIZE)
		return NULL;
	va = (void *)(VMK_VBASE + ((uint64_t)vm->ctl_chunk << VMK_CHUNK_SHIFT) + vm->ctl_used);
	vm->ctl_used += PAGE_SIZE;
	*pa = mem_va_to_pa(va);
	return va;
}

static void *ctl_table(void *ctx, uint64_t pa)
{
	(void)ctx;
	return mem_pa_to_va(pa);
}

/* Each vCPU: its struct in whole pages, then its VMCB, from the control
 * chunk (zeroed when the chunk was taken). */
static int vcpus_build(struct vm *vm)
{
	uint64_t pages = (sizeof(struct vcpu) + PAGE_SIZE - 1) / PAGE_SIZE, pa;

	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vc = ctl_alloc(vm, &pa);

		for (uint64_t k = 1; vc && k < pages; k++)
			if (!ctl_alloc(vm, &pa))
				vc = NULL;
		if (!vc || !(vc->w.vmcb = ctl_alloc(vm, &vc->w.vmcb_pa)))
			return VMK_ENOMEM;
		vc->w.kind = WORLD_VM;
		vc->w.id = vm->id;
		vc->vm = vm;
		vc->idx = i;
		vc->sid = VM_SID(vm->id, i);
		vc->cpu = -1;
		vc->run_state = i ? VCPU_WAIT_SIPI : VCPU_RUN;
		/* FPU/SSE start in their reset state: x87 init, MXCSR's default. */
		*(uint32_t *)(vc->xsave + 24) = 0x1f80;
		vcpu_apic_init(vc);
		vm->vcpu[i] = vc;
	}
	return VMK_OK;
}

static int vm_build(struct vm *vm)
{
	struct pt_ops o = { .alloc = ctl_alloc, .table = ctl_table, .ctx = vm,
			    .levels = vmk_boot->paging_levels };
	int err = vcpus_build(vm);

	if (err)
		return err;
	if (!ctl_alloc(vm, &vm->npt_root))
		return VMK_ENOMEM;
	for (uint32_t i = 0; i < vm->nchunks; i++) {
		err = pt_map(&o, vm->npt_root, (uint64_t)i << VMK_CHUNK_SHIFT,
			     vmk_boot->chunk_pa[vm->chunk[i]], VMK_CHUNK_SIZE, PT_2M,
			     PTE_RW | PTE_US);
		if (err)
			return err;
	}
	return VMK_OK;
}

static int64_t vm_create(uint64_t mem, uint64_t nvcpus)
{
	struct vm *vm = NULL;
	uint32_t n = (uint32_t)(ALIGN_UP(mem, VMK_CHUNK_SIZE) >> VMK_CHUNK_SHIFT);
	uint32_t idx[VM_MAX_CHUNKS + 1];
	int64_t err;

	if (!vm_usable)
		return VMK_ENODEV;
	if (mem < VMK_CHUNK_SIZE || mem > VMK_VM_MAX_MEM || nvcpus > VM_MAX_VCPUS)
		return VMK_EINVAL;
	spin_lock(&vm_lock);
	for (uint32_t i = 0; i < VMK_MAX_VMS && !vm; i++)
		if (vms[i].state == VMK_VMS_FREE)
			vm = &vms[i], vm->state = VMS_BUILDING, vm->id = i + 1;
	spin_unlock(&vm_lock);
	if (!vm)
		return VMK_ENOSPC;
	err = mem_take_chunks(n + 1, idx);
	if (err == VMK_OK) {
		vm->ctl_chunk = idx[n];
		vm->nchunks = n;
		for (uint32_t i = 0; i < n; i++)
			vm->chunk[i] = idx[i];
		vm->mem_size = (uint64_t)n << VMK_CHUNK_SHIFT;
		vm->cpu = -1;
		vm->home = -1;
		vm->nvcpus = nvcpus ? (uint32_t)nvcpus : 1;
		err = vm_build(vm);
		if (err != VMK_OK)
			mem_give_chunks(n + 1, idx);
	}
	if (err != VMK_OK) {
		spin_lock(&vm_lock);
		memset(vm, 0, sizeof(*vm));   /* back to VMK_VMS_FREE */
		spin_unlock(&vm_lock);
		return err;
	}
	vm->info.id = vm->id;
	vm->info.nvcpus = vm->nvcpus;
	vm->info.mem_size = vm->mem_size;
	vm->info.exit_status = -1;
	vmk_log("vm%u: created, %lu MiB, %u vCPU%s\n", vm->id, vm->mem_size >> 20, vm->nvcpus,
		vm->nvcpus == 1 ? "" : "s");
	spin_lock(&vm_lock);
	vm->state = VMK_VMS_CREATED;   /* visible from now on */
	spin_unlock(&vm_lock);
	return vm->id;
}

static void vm_free(struct vm *vm)
{
	uint32_t id = vm->id;

	mem_give_chunks(vm->nchunks, vm->chunk);
	mem_give_chunks(1, &vm->ctl_chunk);
	spin_lock(&vm_lock);
	memset(vm, 0, sizeof(*vm));   /* VMK_VMS_FREE */
	spin_unlock(&vm_lock);
	vmk_log("vm%u: destroyed, memory returned\n", id);
}

static void *gpa_va(struct vm *vm, uint64_t gpa)
{
	return (void *)(VMK_VBASE + ((uint64_t)vm->chunk[gpa >> VMK_CHUNK_SHIFT] << VMK_CHUNK_SHIFT) +
			(gpa & (VMK_CHUNK_SIZE - 1)));
}

int vm_guest_read(struct vm *vm, uint64_t gpa, void *dst, uint32_t len)
{
	if (gpa >= vm->mem_size || len > vm->mem_size - gpa ||
	    (gpa & (VMK_CHUNK_SIZE - 1)) + len > VMK_CHUNK_SIZE)
		return VMK_ERANGE;
	memcpy(dst, gpa_va(vm, gpa), len);
	return VMK_OK;
}

/* A direct 64-bit start: identity tables for the first 1 GiB in 2 MiB pages
 * and a flat GDT, where <vmk/guest.h> says (every VM has at least 2 MiB). */
void vm_long_mode_tables(struct vm *vm)
{
	uint64_t *pml4 = gpa_va(vm, VMK_GUEST_LM_PT_GPA), *pdpt = pml4 + 512, *pd = pdpt + 512;
	uint64_t *gdt = gpa_va(vm, VMK_GUEST_LM_GDT_GPA);

	memset(pml4, 0, 3 * PAGE_SIZE);
	pml4[0] = (VMK_GUEST_LM_PT_GPA + PAGE_SIZE) | PTE_P | PTE_RW;
	pdpt[0] = (VMK_GUEST_LM_PT_GPA + 2 * PAGE_SIZE) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	gdt[0] = 0;
	gdt[1] = GDT_CODE64;   /* 0x08 */
	gdt[2] = GDT_DATA;     /* 0x10 */
}

/* Copy from the COS into guest memory, one guest chunk at a time. */
static int64_t vm_write(struct pcpu *p, struct vm *vm, uint64_t gpa, uint64_t src,
			uint64_t len)
{
	if (len > VMK_HC_MAX_BUF || gpa > vm->mem_size || len > vm->mem_size - gpa)
		return VMK_ERANGE;
	while (len) {
		uint64_t in_chunk = VMK_CHUNK_SIZE - (gpa & (VMK_CHUNK_SIZE - 1));
		uint64_t n = len < in_chunk ? len : in_chunk;
		void *dst = gpa_va(vm, gpa);
		int err = cos_read(p->index, src, dst, n);

		if (err)
			return err;
		gpa += n, src += n, len -= n;
	}
	return 0;
}

/* Under vm_lock.  Bytes leave the ring only once the COS has them. */
static int64_t vm_console_take(struct pcpu *p, struct vm *vm, uint64_t pa, uint64_t len)
{
	char buf[256];
	uint64_t done = 0;

	while (done < len) {
		uint64_t n = 0;

		while (n < sizeof(buf) && done + n < len && vm->con_tail + n != vm->con_head) {
			buf[n] = vm->console[(vm->con_tail + n) % VM_CONSOLE_SIZE];
			n++;
		}
		if (!n)
			break;
		if (cos_write(p->index, pa + done, buf, n))
			return done ? (int64_t)done : VMK_EFAULT;
		vm->con_tail += n;
		done += n;
	}
	return (int64_t)done;
}

void vm_console_put(struct vm *vm, char c)
{
	spin_lock(&vm_lock);
	vm->console[vm->con_head++ % VM_CONSOLE_SIZE] = c;
	if (vm->con_head - vm->con_tail > VM_CONSOLE_SIZE)
		vm->con_tail = vm->con_head - VM_CONSOLE_SIZE;   /* oldest bytes go */
	spin_unlock(&vm_lock);
}

/* Every request but create runs under vm_lock, so a concurrent destroy
 * cannot free the VM under it.  The ones that change the VM need it off
 * every CPU. */
static int64_t vm_op_locked(struct pcpu *p, struct vm *vm, const struct vmk_vm_req *rq,
			    int *free_after)
{
	int64_t n;

	switch (rq->op) {
	case VMK_VM_INFO:
		sched_vm_info(vm);
		vm->info.state = vm->state;
		vm->info.rip = vm->vcpu[0]->w.vmcb->s.rip;
		vm->info.switches = vm->info.shadow_hlts = 0;
		for (uint32_t k = 0; k < VMK_VX_COUNT; k++)
			vm->info.exits[k] = 0;
		for (uint32_t i = 0; i < vm->nvcpus; i++) {   /* racy reads of counters */
			vm->info.switches += vm->vcpu[i]->switches;
			vm->info.shadow_hlts += vm->vcpu[i]->shadow_hlts;
			for (uint32_t k = 0; k < VMK_VX_COUNT; k++)
				vm->info.exits[k] += vm->vcpu[i]->exits[k];
		}
		n = rq->arg[1] < sizeof(vm->info) ? (int64_t)rq->arg[1] : (int64_t)sizeof(vm->info);
		return cos_write(p->index, rq->arg[0], &vm->info, (uint64_t)n) ?: n;
	case VMK_VM_CONSOLE:
		return rq->arg[1] > VMK_HC_MAX_BUF ? VMK_ERANGE :
		       vm_console_take(p, vm, rq->arg[0], rq->arg[1]);
	case VMK_VM_STOP:
		if (vm->state != VMK_VMS_STOPPED) {
			vmk_log("vm%u: the COS stops it\n", vm->id);
			for (uint32_t i = 0; i < vm->nvcpus; i++)
				vcpu_log_state(vm->vcpu[i]);
		}
		if (vm->cpu >= 0 || vm->info.scheduled) {
			/* Running vCPUs stop at their next exit; the scheduler
			 * drops the others now. */
			__atomic_store_n(&vm->stop_req, 1, __ATOMIC_RELEASE);
			if (!vm->info.scheduled || sched_vm_stop(vm, -1) != VMK_OK)
				return 0;
		}
		if (vm->state != VMK_VMS_STOPPED) {
			vm->state = VMK_VMS_STOPPED;
			memcpy(vm->info.reason, "stopped by the COS", 19);
		}
		return 0;
	}
	if (vm->cpu >= 0 || vm->info.scheduled)
		return VMK_EBUSY;   /* running, or the scheduler has it: stop it first */
	switch (rq->op) {
	case VMK_VM_SCHEDULE: {
		struct sched_params sp = { .shares = (uint32_t)rq->arg[0],
					   .reservation_ppm = (uint32_t)rq->arg[1],
					   .limit_ppm = (uint32_t)rq->arg[2] };

		if (vm->state != VMK_VMS_READY || rq->arg[0] > SCHED_MAX_SHARES ||
		    rq->arg[1] > SCHED_CPU_PPM || rq->arg[2] > SCHED_CPU_PPM)
			return VMK_EINVAL;
		return sched_vm_add(vm, &sp);
	}
	case VMK_VM_WRITE:
		return vm->state == VMK_VMS_CREATED ?
		       vm_write(p, vm, rq->arg[0], rq->arg[1], rq->arg[2]) : VMK_EBUSY;
	case VMK_VM_START:
		if (vm->state != VMK_VMS_CREATED || rq->arg[0] >= vm->mem_size ||
		    rq->arg[1] >= vm->mem_size || rq->arg[2] > VMK_VM_START_LONG)
			return VMK_EINVAL;
		/* Every vCPU gets the same TSC; the APs wait for a start-up IPI. */
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			vm_vmcb_init(vm->vcpu[i], rq->arg[0], rq->arg[1]);
		for (uint32_t i = 1; i < vm->nvcpus; i++)
			vm->vcpu[i]->w.vmcb->c.tsc_offset = vm->vcpu[0]->w.vmcb->c.tsc_offset;
		if (rq->arg[2] == VMK_VM_START_LONG) {
			vm_long_mode_tables(vm);
			vm_vmcb_long_mode(vm->vcpu[0]);
		}
		vm->state = VMK_VMS_READY;
		return 0;
	case VMK_VM_DESTROY:
		vm->state = VMS_DYING;   /* invisible from now on */
		*free_after = 1;         /* by the caller, once vm_lock is dropped */
		return 0;
	default:
		return VMK_ENOSYS;
	}
}

int64_t vm_ctl(struct pcpu *p, uint64_t pa, uint64_t len)
{
	struct vmk_vm_req rq;
	struct vm *vm;
	int free_after = 0;
	int64_t r;

	if (len != sizeof(rq) || cos_read(p->index, pa, &rq, sizeof(rq)))
		return VMK_EFAULT;
	if (rq.op == VMK_VM_CREATE)
		return vm_create(rq.arg[0], rq.arg[1]);
	if (rq.op == VMK_VM_LIST) {
		int64_t mask = 0;

		_Static_assert(VMK_MAX_VMS < 63, "the id mask is a positive int64_t");
		spin_lock(&vm_lock);
		for (uint32_t id = 1; id <= VMK_MAX_VMS; id++)
			if (vm_get(id))
				mask |= (int64_t)1 << id;
		spin_unlock(&vm_lock);
		return mask;
	}
	if (rq.op >= VMK_VM_OPS)
		return VMK_ENOSYS;
	spin_lock(&vm_lock);
	vm = vm_get(rq.id);
	r = vm ? vm_op_locked(p, vm, &rq, &free_after) : VMK_ENOENT;
	spin_unlock(&vm_lock);
	if (free_after)
		vm_free(vm);
	return r;
}

/* The world switch into a vCPU.  The state of the world that had the CPU is
 * already saved (its VMCB and GPRs, by the exit); the CPU runs with GIF
 * clear, so nothing interrupts.  From the COS (@from_cos): its FPU state is
 * saved first.  From a system world there is none: the vmkernel never
 * touches FPU or vector registers.  Then the vCPU's FPU state is loaded, it
 * becomes current, and the world-run loop loads and starts it. */
void vm_switch_in(struct pcpu *p, struct vcpu *vc, int from_cos)
{
	if (from_cos)
		xsave(p->cos_xsave);
	xrstor(vc->xsave);
	vc->w.vmcb->c.tlb_control = SVM_TLB_FLUSH_ALL;   /* ASIDs are not per CPU */
	vc->switches++;
	trace_world_switch(&p->tw, p->cur->id, vc->w.id, 0);
	trace_set_world(&p->tw, vc->w.id);
	p->cur = &vc->w;
}

/* The world switch out of a vCPU: to the COS, ending its VMK_HC_VM_RUN, or
 * on a CPU the vmkernel owns to its system world, which asks the scheduler. */
void vm_leave(struct pcpu *p, struct vcpu *vc, int64_t result)
{
	xsave(vc->xsave);
	if (p->owner == VMK_CPU_VMK) {
		trace_world_switch(&p->tw, vc->w.id, VMK_WORLD_SYSTEM, 0);
		trace_set_world(&p->tw, VMK_WORLD_SYSTEM);
		sched_vm_left(p, vc, result);
		return;
	}
	xrstor(p->cos_xsave);
	trace_world_switch(&p->tw, vc->w.id, 0, 0);
	trace_set_world(&p->tw, 0);
	p->cur = &p->cos;
	p->cos.vmcb->s.rax = (uint64_t)result;
	/* ASIDs keep the two worlds' translations apart on hardware, but QEMU's
	 * SVM ignores ASIDs (it honours only "flush all"): without this flush
	 * the COS ran on the VM's cached translations and corrupted its memory. */
	p->cos.vmcb->c.tlb_control = SVM_TLB_FLUSH_ALL;
	spin_lock(&vm_lock);
	vc->vm->cpu = -1;
	spin_unlock(&vm_lock);
}

/* The vCPU stops, and with it the VM: its first reason is kept, and every
 * other vCPU stops at its next exit (a running one is kicked, a waiting one
 * leaves the scheduler at once). */
void vm_stop(struct pcpu *p, struct vcpu *vc, const char *why)
{
	const struct vmcb *v = vc->w.vmcb;
	struct vm *vm = vc->vm;
	size_t n = 0;
	int first;

	while (why[n] && n < sizeof(vm->info.reason) - 1)
		n++;
	spin_lock(&vm_lock);   /* VMK_VM_INFO copies the reason under it */
	first = vm->state != VMK_VMS_STOPPED;
	if (first) {
		memcpy(vm->info.reason, why, n);
		vm->info.reason[n] = 0;
		vm->state = VMK_VMS_STOPPED;
	}
	spin_unlock(&vm_lock);
	if (first) {
		vmk_log("vm%u: stopped: %s (vcpu %u, exit %lx info1 %lx info2 %lx)\n", vm->id,
			why, vc->idx, v->c.exit_code, v->c.exit_info_1, v->c.exit_info_2);
		vmk_log("  rip %016lx rsp %016lx rflags %08lx rax %016lx\n", v->s.rip,
			v->s.rsp, v->s.rflags, v->s.rax);
		vmk_log("  cr0 %016lx cr3 %016lx cr4 %016lx efer %lx\n", v->s.cr0, v->s.cr3,
			v->s.cr4, v->s.efer);
		vmk_log("  gdtr %lx idtr %lx cs %x on cpu%u\n", v->s.gdtr.base, v->s.idtr.base,
			v->s.cs.sel, p->linux_cpu);
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			vcpu_log_state(vm->vcpu[i]);
	}
	if (vm->nvcpus > 1) {
		__atomic_store_n(&vm->stop_req, 1, __ATOMIC_RELEASE);
		sched_vm_stop(vm, (int32_t)p->index);   /* the others; this one leaves below */
	}
	vm_leave(p, vc, VMK_VM_STOPPED);
}

/* VMK_HC_VM_RUN: the caller's CPU runs the VM from the next VMRUN on. */
int64_t vm_run(struct pcpu *p, uint64_t id)
{
	struct vm *vm;
	int64_t r = 0;

	spin_lock(&vm_lock);
	vm = vm_get(id);
	if (!vm)
		r = VMK_ENOENT;
	else if (vm->cpu >= 0 || vm->info.scheduled)
		r = VMK_EBUSY;
	else if (vm->nvcpus > 1)
		r = VMK_EINVAL;   /* several vCPUs: only the scheduler runs them */
	else if (vm->home >= 0 && vm->home != (int32_t)p->index)
		r = VMK_EPERM;   /* VMs stay on the CPU they started on, for now */
	else if (vm->state == VMK_VMS_CREATED)
		r = VMK_EINVAL;
	else if (vm->state == VMK_VMS_HALTED)
		r = VMK_VM_HALTED;
	else if (vm->state == VMK_VMS_STOPPED)
		r = VMK_VM_STOPPED;
	else
		vm->cpu = vm->home = (int32_t)p->index;
	spin_unlock(&vm_lock);
	if (r)
		return r;
	vm->info.runs++;
	vm_switch_in(p, vm->vcpu[0], 1);
	return 0;   /* replaced by vm_leave's result before the COS runs again */
}
