// SPDX-License-Identifier: GPL-2.0
/* Loading and removing the vmkernel.
 *
 * Load: check the image, allocate its memory in 2 MiB chunks, copy the image,
 * build the vmkernel's page tables and boot information, then enter the
 * vmkernel on every online CPU at once (stop_machine is the rendezvous).
 * Each CPU comes back either as a guest of the vmkernel (0) or, if any CPU
 * failed, on bare metal with the reason; a partial launch is undone.
 *
 * Unload: every CPU asks the vmkernel to leave (VMK_HC_UNLOAD) at once and
 * comes back on bare metal; then the memory goes back to Linux. */
#include <linux/kernel.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/io.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tsc.h>
#include <vmk/err.h>
#include <vmk/hypercall.h>
#include <vmk/image.h>
#include <vmk/launch.h>
#include "pagetable.h"
#include "vmkload.h"

extern char vmkload_tramp_start[], vmkload_tramp_end[];
long vmkload_tramp_enter(struct vmk_launch_cpu *lc);
void vmkload_tramp_leave(u64 lc_va, u64 cos_cr3);

struct vmk_loaded {
	struct page *chunk[VMK_MAX_CHUNKS];
	unsigned int nchunks;
	u64 used;                         /* bytes of vmkernel memory laid out */
	u64 pt_root;
	u64 boot_off;                     /* where the boot info lies */
	struct vmk_boot_info *boot;       /* ... and its Linux address */
	struct vmk_launch_cpu *lc[NR_CPUS];
	long status[NR_CPUS];             /* per CPU: launch/unload result */
	bool launched[NR_CPUS];           /* CPU runs under the vmkernel */
	bool given[NR_CPUS];              /* offline: the vmkernel owns it */
	int index[NR_CPUS];               /* the vmkernel's number for the CPU */
	/* Linux's CPU feature words at load, boot_cpu_data's then each CPU's
	 * (nr_cpu_ids + 1 entries): see restore_caps(). */
	u32 (*caps)[NCAPINTS + NBUGINTS];
};

static inline long vmk_hypercall(unsigned long nr, unsigned long a0,
				 unsigned long a1, unsigned long a2)
{
	long ret;

	asm volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
	return ret;
}

static_assert(sizeof(struct vmk_boot_info) <= PAGE_SIZE);

static struct vmk_loaded *vmk;        /* under vmkload_lock */
DEFINE_MUTEX(vmkload_lock);
/* Threads running a VM right now (they hold no lock); unload waits for 0. */
static atomic_t vm_runners = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(vm_runners_wq);

bool vmkload_runner_get(void)
{
	bool ok;

	mutex_lock(&vmkload_lock);
	ok = vmk != NULL;
	if (ok)
		atomic_inc(&vm_runners);
	mutex_unlock(&vmkload_lock);
	return ok;
}

void vmkload_runner_put(void)
{
	if (atomic_dec_and_test(&vm_runners))
		wake_up(&vm_runners_wq);
}

/* Only between vmkload_runner_get and _put. */
long vmkload_raw_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
			   unsigned long a2)
{
	return vmk_hypercall(nr, a0, a1, a2);
}

bool vmkload_is_loaded(void)
{
	return READ_ONCE(vmk) != NULL;
}

static void *mem_at(struct vmk_loaded *ld, u64 off)
{
	return page_address(ld->chunk[off >> VMK_CHUNK_SHIFT]) + (off & (VMK_CHUNK_SIZE - 1));
}

static u64 pa_at(struct vmk_loaded *ld, u64 off)
{
	return page_to_phys(ld->chunk[off >> VMK_CHUNK_SHIFT]) + (off & (VMK_CHUNK_SIZE - 1));
}

static void free_loaded(struct vmk_loaded *ld)
{
	unsigned int i;

	kfree(ld->caps);
	for (i = 0; i < ld->nchunks; i++)
		__free_pages(ld->chunk[i], VMK_CHUNK_SHIFT - PAGE_SHIFT);
	for (i = 0; i < NR_CPUS; i++)
		if (ld->lc[i])
			free_page((unsigned long)ld->lc[i]);
	kfree(ld);
}

/* A CPU the COS takes back is identified again by Linux while the vmkernel
 * answers its CPUID with SVM hidden (svm_cpuid.h), and Linux keeps in
 * boot_cpu_data only the features every CPU has: from then on this boot had
 * no SVM, and kvm-amd refused to load even after unload.  So the feature
 * words are saved at load and, once the vmkernel is gone, every bit that was
 * set then is set again; nothing is added that Linux did not have. */
static int save_caps(struct vmk_loaded *ld)
{
	unsigned int cpu;

	ld->caps = kcalloc(nr_cpu_ids + 1, sizeof(*ld->caps), GFP_KERNEL);
	if (!ld->caps)
		return -ENOMEM;
	memcpy(ld->caps[0], boot_cpu_data.x86_capability, sizeof(ld->caps[0]));
	for_each_possible_cpu(cpu)
		memcpy(ld->caps[cpu + 1], cpu_data(cpu).x86_capability, sizeof(ld->caps[0]));
	return 0;
}

static unsigned int restore_caps(const struct vmk_loaded *ld)
{
	unsigned int cpu, i, n = 0;

	for (i = 0; i < NCAPINTS + NBUGINTS; i++) {
		n += hweight32(ld->caps[0][i] & ~boot_cpu_data.x86_capability[i]);
		boot_cpu_data.x86_capability[i] |= ld->caps[0][i];
	}
	for_each_possible_cpu(cpu)
		for (i = 0; i < NCAPINTS + NBUGINTS; i++)
			cpu_data(cpu).x86_capability[i] |= ld->caps[cpu + 1][i];
	return n;
}

/* Page-table pages come from vmkernel memory after the laid-out part. */
static void *pool_alloc(void *ctx, u64 *pa)
{
	struct vmk_loaded *ld = ctx;
	void *va;

	if (ld->used + PAGE_SIZE > (u64)ld->nchunks * VMK_CHUNK_SIZE)
		return NULL;
	va = mem_at(ld, ld->used);
	*pa = pa_at(ld, ld->used);
	ld->used += PAGE_SIZE;
	memset(va, 0, PAGE_SIZE);
	return va;
}

static void *pool_table(void *ctx, u64 pa)
{
	return phys_to_virt(pa);
}

static int ram_cb(struct resource *r, void *arg)
{
	struct vmk_boot_info *b = arg;

	if (b->nram == VMK_MAX_RAM_RANGES)
		return -ENOSPC;
	b->ram[b->nram].start = r->start;
	b->ram[b->nram].end = r->end + 1;
	b->nram++;
	return 0;
}

static int iomem_end_cb(struct resource *r, void *arg)
{
	u64 *max = arg;

	*max = max_t(u64, *max, r->end + 1);
	return 0;
}

/* The COS's physical address space: its RAM (for checks and the vmkernel's
 * map of it) and where any resource ends (for the nested page tables). */
static int describe_machine(struct vmk_boot_info *b, u32 maxphyaddr)
{
	u64 max = 0;
	int err;

	err = walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				  0, -1, b, ram_cb);
	if (err < 0 && err != -EINVAL)
		return err;
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM, 0, -1, &max, iomem_end_cb);
	max = max_t(u64, max, 4ull << 30);
	b->max_phys = min_t(u64, ALIGN(max, 1ull << 30), 1ull << maxphyaddr);
	return b->nram ? 0 : -ENODEV;
}

/* Each CPU's launch block, where the vmkernel expects it. */
static int map_launch_blocks(struct vmk_loaded *ld, const struct pt_ops *o)
{
	unsigned int i;
	int err;

	for (i = 0; i < ld->boot->ncpus; i++) {
		err = pt_map(o, ld->pt_root, VMK_LAUNCH_VA + (u64)i * PAGE_SIZE,
			     ld->boot->cpus[i].launch_pa, PAGE_SIZE, PT_4K, PTE_RW | PTE_NX);
		if (err)
			return err;
	}
	return 0;
}

static int map_tramp(struct vmk_loaded *ld, const struct pt_ops *o)
{
	unsigned long va = (unsigned long)vmkload_tramp_start & PAGE_MASK;
	int err;

	ld->boot->tramp_va = va;
	for (; va < (unsigned long)vmkload_tramp_end; va += PAGE_SIZE) {
		struct page *pg = vmalloc_to_page((void *)va);

		if (!pg)
			return VMK_EFAULT;
		err = pt_map(o, ld->pt_root, va, page_to_phys(pg), PAGE_SIZE, PT_4K, 0);
		if (err)
			return err;
		ld->boot->tramp_pages++;
	}
	return 0;
}

/* The vmkernel's address space: its memory at VMK_VBASE, the launch blocks
 * at VMK_LAUNCH_VA, the trampoline where Linux has it. */
static int build_tables(struct vmk_loaded *ld)
{
	struct pt_ops o = { .alloc = pool_alloc, .table = pool_table, .ctx = ld,
			    .levels = ld->boot->paging_levels };
	unsigned int i;
	int err;

	if (!pool_alloc(ld, &ld->pt_root))
		return VMK_ENOMEM;
	for (i = 0; i < ld->nchunks; i++) {
		err = pt_map(&o, ld->pt_root, VMK_VBASE + ((u64)i << VMK_CHUNK_SHIFT),
			     page_to_phys(ld->chunk[i]), VMK_CHUNK_SIZE, PT_2M, PTE_RW);
		if (err)
			return err;
	}
	err = map_launch_blocks(ld, &o);
	if (!err)
		ld->boot->pt_root = ld->pt_root;
	return err ? err : map_tramp(ld, &o);
}

static int alloc_chunks(struct vmk_loaded *ld, u64 mem_size)
{
	ld->nchunks = 0;
	while ((u64)ld->nchunks * VMK_CHUNK_SIZE < mem_size) {
		struct page *pg = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
					      VMK_CHUNK_SHIFT - PAGE_SHIFT);
		if (!pg)
			return -ENOMEM;
		ld->chunk[ld->nchunks++] = pg;
	}
	return 0;
}

/* Copy the image into vmkernel memory, chunk by chunk. */
static void copy_image(struct vmk_loaded *ld, const u8 *img, u64 len)
{
	u64 off;

	for (off = 0; off < len; off += VMK_CHUNK_SIZE)
		memcpy(mem_at(ld, off), img + off, min_t(u64, len - off, VMK_CHUNK_SIZE));
}

static void seg_from_gdt(struct vmk_seg *s, u16 sel, const struct desc_ptr *gdt)
{
	u64 d;

	memset(s, 0, sizeof(*s));
	s->sel = sel;
	if (!(sel & ~3) || (sel | 7) > gdt->size)
		return;   /* null selector: unusable segment */
	d = *(u64 *)(gdt->address + (sel & ~7));
	s->attrib = ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8);
	s->limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	if (d & (1ull << 55))
		s->limit = (s->limit << 12) | 0xfff;
	s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
}

/* Everything of this CPU's state that the COS world must start from. */
static void capture_cpu(struct vmk_launch_cpu *lc)
{
	struct desc_ptr gdt, idt;
	unsigned long dr7;
	u16 sel;

	lc->cr0 = read_cr0();
	lc->cr2 = native_read_cr2();
	lc->cr3 = __read_cr3();
	lc->cr4 = __read_cr4();
	rdmsrl(MSR_EFER, lc->efer);
	rdmsrl(MSR_IA32_CR_PAT, lc->pat);
	get_debugreg(dr7, 7);
	lc->dr7 = dr7;
	native_store_gdt(&gdt);
	store_idt(&idt);
	lc->gdtr.limit = gdt.size;
	lc->gdtr.base = gdt.address;
	lc->idtr.limit = idt.size;
	lc->idtr.base = idt.address;
	savesegment(cs, sel);
	seg_from_gdt(&lc->cs, sel, &gdt);
	savesegment(ss, sel);
	seg_from_gdt(&lc->ss, sel, &gdt);
	savesegment(ds, sel);
	seg_from_gdt(&lc->ds, sel, &gdt);
	savesegment(es, sel);
	seg_from_gdt(&lc->es, sel, &gdt);
}

static int launch_on_cpu(void *arg)
{
	struct vmk_loaded *ld = arg;
	unsigned int cpu = smp_processor_id();
	struct vmk_launch_cpu *lc = ld->lc[cpu];

	if (!lc) {
		ld->status[cpu] = VMK_EINVAL;
		return 0;
	}
	capture_cpu(lc);
	ld->status[cpu] = vmkload_tramp_enter(lc);
	ld->launched[cpu] = ld->status[cpu] == 0;
	return 0;
}


/* On a CPU still under the vmkernel: leave it.  Returns on bare metal. */
static int unload_on_cpu(void *arg)
{
	struct vmk_loaded *ld = arg;
	unsigned int cpu = smp_processor_id();
	u64 efer;

	if (!ld->launched[cpu])
		return 0;
	ld->status[cpu] = vmk_hypercall(VMK_HC_UNLOAD, 0, 0, 0);
	rdmsrl(MSR_EFER, efer);
	if (!ld->status[cpu] && (efer & EFER_SVME))
		ld->status[cpu] = VMK_EBUSY;
	ld->launched[cpu] = ld->status[cpu] != 0;
	return 0;
}

static int setup_cpus(struct vmk_loaded *ld, u64 entry)
{
	struct vmk_boot_info *b = ld->boot;
	u64 stacks = ld->used;
	unsigned int cpu, n = 0;

	ld->used += (u64)num_online_cpus() * VMK_STACK_SIZE;
	if (ld->used > (u64)ld->nchunks * VMK_CHUNK_SIZE)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct vmk_launch_cpu *lc = (void *)get_zeroed_page(GFP_KERNEL);

		if (!lc)
			return -ENOMEM;
		ld->lc[cpu] = lc;
		lc->vmk_entry = entry;
		lc->vmk_stack = VMK_VBASE + stacks + (u64)(n + 1) * VMK_STACK_SIZE;
		lc->self_pa = virt_to_phys(lc);
		lc->vmk_self = VMK_LAUNCH_VA + (u64)n * PAGE_SIZE;
		lc->self_va = (u64)lc;
		lc->boot_va = VMK_VBASE + ld->boot_off;
		lc->tramp_leave = (u64)vmkload_tramp_leave;
		lc->cpu = cpu;
		lc->apic_id = cpu_data(cpu).initial_apicid;
		b->cpus[n].cpu = cpu;
		ld->index[cpu] = (int)n;
		b->cpus[n].apic_id = lc->apic_id;
		b->cpus[n].launch_pa = lc->self_pa;
		n++;
	}
	b->ncpus = n;
	return 0;
}

/* Every online CPU must offer SVM with nested paging, unused. */
static int check_cpus(char *err, u32 *levels, u32 *maxphyaddr)
{
	struct vmk_cpu_probe *tab;
	unsigned int i, n;
	int ret = 0;

	tab = kcalloc(VMKLOAD_MAX_CPUS, sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return -ENOMEM;
	n = vmkload_probe_all(tab, VMKLOAD_MAX_CPUS);
	if (n > VMK_MAX_CPUS) {
		snprintf(err, VMK_IOC_ERRLEN, "%u CPUs online, the vmkernel takes at most %u",
			 n, VMK_MAX_CPUS);
		ret = -E2BIG;
	}
	for (i = 0; i < n && !ret; i++) {
		const struct vmk_cpu_probe *p = &tab[i];

		if (!(p->flags & VMK_PROBE_SVM) || !(p->svm_features & VMK_SVMF_NPT) ||
		    (p->flags & VMK_PROBE_SVM_LOCK))
			snprintf(err, VMK_IOC_ERRLEN,
				 "cpu%u lacks SVM with nested paging (or firmware disabled it)",
				 p->cpu), ret = -ENODEV;
		else if (p->flags & VMK_PROBE_SVME)
			snprintf(err, VMK_IOC_ERRLEN,
				 "SVM is already in use on cpu%u (is kvm-amd loaded?)", p->cpu),
				ret = -EBUSY;
	}
	*levels = n && (tab[0].flags & VMK_PROBE_LA57) ? 5 : 4;
	*maxphyaddr = n ? tab[0].maxphyaddr : 0;
	kfree(tab);
	return ret;
}

static int check_image(const u8 *img, u64 len, struct vmk_image_info *info, char *err)
{
	const char *why = "";
	int r = vmk_image_check(img, len, info, &why);

	if (r == VMK_OK)
		return 0;
	snprintf(err, VMK_IOC_ERRLEN, "bad vmkernel image: %s", why);
	return r == VMK_EVERSION ? -EPROTO : -ENOEXEC;
}

/* Lay out and fill vmkernel memory: image, boot info, stacks, page tables. */
static int prepare(struct vmk_loaded *ld, const u8 *img, const struct vmk_image_info *info,
		   u32 levels, u32 maxphyaddr, u64 mem_size, char *err)
{
	unsigned int cpu;
	int r;

	if (alloc_chunks(ld, mem_size)) {
		snprintf(err, VMK_IOC_ERRLEN, "cannot allocate %llu MiB in 2 MiB chunks",
			 mem_size >> 20);
		return -ENOMEM;
	}
	copy_image(ld, img, info->image_size);
	ld->boot_off = ALIGN(info->load_size, PAGE_SIZE);
	ld->used = ld->boot_off + PAGE_SIZE;
	ld->boot = mem_at(ld, ld->boot_off);
	ld->boot->abi_version = VMK_LAUNCH_ABI_VERSION;
	ld->boot->tsc_khz = tsc_khz;
	ld->boot->nchunks = ld->nchunks;
	ld->boot->mem_size = (u64)ld->nchunks * VMK_CHUNK_SIZE;
	ld->boot->image_load_size = info->load_size;
	ld->boot->paging_levels = levels;
	ld->boot->maxphyaddr = maxphyaddr;
	for (cpu = 0; cpu < ld->nchunks; cpu++)
		ld->boot->chunk_pa[cpu] = page_to_phys(ld->chunk[cpu]);
	r = describe_machine(ld->boot, maxphyaddr) ?: setup_cpus(ld, info->entry);
	if (r) {
		snprintf(err, VMK_IOC_ERRLEN, "cannot describe the machine or CPUs (%d)", r);
		return r;
	}
	r = build_tables(ld);
	if (r) {
		snprintf(err, VMK_IOC_ERRLEN, "cannot build the vmkernel page tables: %s",
			 vmk_strerror(r));
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		if (ld->lc[cpu])
			ld->lc[cpu]->vmk_cr3 = ld->pt_root;
	ld->boot->free_offset = ld->used;
	return 0;
}

/* Runs with CPU hotplug disabled: the online set is the one prepared. */
static int launch(struct vmk_loaded *ld, char *err)
{
	unsigned int cpu, bad = 0, good = 0;
	long why = 0;

	stop_machine(launch_on_cpu, ld, cpu_online_mask);
	for_each_online_cpu(cpu) {
		if (ld->status[cpu]) {
			bad++;
			why = why ?: ld->status[cpu];
			pr_err(VMKLOAD_NAME ": cpu%u: launch failed: %s\n", cpu,
			       vmk_strerror((int)ld->status[cpu]));
		} else {
			good++;
		}
	}
	if (!bad)
		return 0;
	if (good)   /* some CPUs run as guests: take them back */
		stop_machine(unload_on_cpu, ld, cpu_online_mask);
	snprintf(err, VMK_IOC_ERRLEN, "launch failed on %u CPU(s): %s", bad,
		 vmk_strerror((int)why));
	return -EIO;
}

static bool any_launched(struct vmk_loaded *ld)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (ld->launched[cpu])
			return true;
	return false;
}

int vmkload_load(struct vmk_ioc_load __user *uarg)
{
	struct vmk_ioc_load *arg;
	struct vmk_image_info info;
	struct vmk_loaded *ld = NULL;
	u32 levels = 4, maxphyaddr = 0;
	u8 *img = NULL;
	u64 mem;
	int r;

	arg = memdup_user(uarg, sizeof(*arg));
	if (IS_ERR(arg))
		return PTR_ERR(arg);
	arg->err[0] = 0;
	mutex_lock(&vmkload_lock);
	r = -EBUSY;
	if (vmk) {
		snprintf(arg->err, VMK_IOC_ERRLEN, "the vmkernel is already loaded");
		goto out;
	}
	r = -EINVAL;
	if (arg->image_len < sizeof(struct vmk_image_header) ||
	    arg->image_len > VMK_IMAGE_MAX_SIZE) {
		snprintf(arg->err, VMK_IOC_ERRLEN,
			 "bad vmkernel image: size %llu is not between %zu and %u bytes",
			 arg->image_len, sizeof(struct vmk_image_header), VMK_IMAGE_MAX_SIZE);
		goto out;
	}
	r = -ENOMEM;
	img = vmalloc(arg->image_len);
	if (!img)
		goto out;
	r = -EFAULT;
	if (copy_from_user(img, u64_to_user_ptr(arg->image), arg->image_len))
		goto out;
	r = check_image(img, arg->image_len, &info, arg->err);
	if (r)
		goto out;
	mem = ALIGN(max_t(u64, arg->mem_size, info.mem_min), VMK_CHUNK_SIZE);
	r = -EINVAL;
	if (mem > (u64)VMK_MAX_CHUNKS * VMK_CHUNK_SIZE || mem < arg->mem_size) {
		snprintf(arg->err, VMK_IOC_ERRLEN, "--mem %llu MiB is over the %llu MiB limit",
			 arg->mem_size >> 20, ((u64)VMK_MAX_CHUNKS * VMK_CHUNK_SIZE) >> 20);
		goto out;
	}
	r = -ENOMEM;
	ld = kzalloc(sizeof(*ld), GFP_KERNEL);
	if (!ld)
		goto out;
	r = check_cpus(arg->err, &levels, &maxphyaddr) ?: save_caps(ld);
	if (r)
		goto out;
	/* The CPU set stays frozen from here until unload. */
	cpu_hotplug_disable();
	r = prepare(ld, img, &info, levels, maxphyaddr, mem, arg->err) ?:
	    launch(ld, arg->err);
	if (r) {
		cpu_hotplug_enable();
		goto out;
	}
	__module_get(THIS_MODULE);
	WRITE_ONCE(vmk, ld);
	ld = NULL;
	pr_info(VMKLOAD_NAME ": vmkernel loaded on %u CPUs, %llu MiB\n",
		num_online_cpus(), mem >> 20);
out:
	if (ld && any_launched(ld)) {
		pr_err(VMKLOAD_NAME ": CPUs still under a failed vmkernel; its memory is kept\n");
		ld = NULL;
	}
	if (ld)
		free_loaded(ld);
	mutex_unlock(&vmkload_lock);
	vfree(img);
	if (r && arg->err[0])
		pr_err(VMKLOAD_NAME ": load: %s\n", arg->err);
	if (copy_to_user(uarg->err, arg->err, sizeof(arg->err)))
		r = r ?: -EFAULT;
	kfree(arg);
	return r;
}

int vmkload_unload(void)
{
	struct vmk_loaded *ld;
	unsigned int cpu;
	int r = 0;

	mutex_lock(&vmkload_lock);
	ld = vmk;
	if (!ld) {
		mutex_unlock(&vmkload_lock);
		return -ENOENT;
	}
	if (vmkload_rings_mapped()) {
		pr_err(VMKLOAD_NAME ": unload refused: trace rings are still mapped (vmk trace running?)\n");
		mutex_unlock(&vmkload_lock);
		return -EBUSY;
	}
	for_each_possible_cpu(cpu) {
		if (ld->given[cpu]) {
			pr_err(VMKLOAD_NAME ": unload refused: cpu%u belongs to the vmkernel (vmk cpu take %u)\n",
			       cpu, cpu);
			mutex_unlock(&vmkload_lock);
			return -EBUSY;
		}
	}
	/* No new runner can start while we hold the lock; let the others end
	 * (each returns within ~100 ms, or at once on a signal). */
	wait_event(vm_runners_wq, atomic_read(&vm_runners) == 0);
	stop_machine(unload_on_cpu, ld, cpu_online_mask);
	for_each_possible_cpu(cpu) {
		if (ld->launched[cpu]) {
			pr_err(VMKLOAD_NAME ": cpu%u did not leave the vmkernel: %s\n", cpu,
			       vmk_strerror((int)ld->status[cpu]));
			r = -EIO;
		}
	}
	if (!r) {
		unsigned int n = restore_caps(ld);

		if (n)
			pr_info(VMKLOAD_NAME ": %u CPU features Linux lost while the vmkernel "
				"was loaded are back\n", n);
		WRITE_ONCE(vmk, NULL);
		free_loaded(ld);
		cpu_hotplug_enable();
		module_put(THIS_MODULE);
		pr_info(VMKLOAD_NAME ": vmkernel unloaded, memory returned\n");
	}
	mutex_unlock(&vmkload_lock);
	return r;
}

/* For other COS modules (and the lab's hypercall test module): issue a raw
 * hypercall while the vmkernel is loaded; VMK_ENOENT otherwise. */
long vmkload_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
		       unsigned long a2)
{
	long r;

	mutex_lock(&vmkload_lock);
	r = vmk ? vmk_hypercall(nr, a0, a1, a2) : VMK_ENOENT;
	mutex_unlock(&vmkload_lock);
	return r;
}
EXPORT_SYMBOL_GPL(vmkload_hypercall);

/* Physical address of the vmkernel's @idx-th 2 MiB chunk, or 0: lets the lab
 * test that the COS cannot reach vmkernel memory. */
u64 vmkload_vmkernel_pa(unsigned int idx)
{
	u64 pa = 0;

	mutex_lock(&vmkload_lock);
	if (vmk && idx < vmk->nchunks)
		pa = page_to_phys(vmk->chunk[idx]);
	mutex_unlock(&vmkload_lock);
	return pa;
}
EXPORT_SYMBOL_GPL(vmkload_vmkernel_pa);

int vmk_errno_of(long r)
{
	switch (r) {
	case VMK_ENOENT: return -ENOENT;
	case VMK_EFAULT: return -EFAULT;
	case VMK_ERANGE: return -ERANGE;
	case VMK_EINVAL: return -EINVAL;
	case VMK_ENOMEM: return -ENOMEM;
	case VMK_EBUSY: return -EBUSY;
	case VMK_ENOSPC: return -ENOSPC;
	case VMK_ENOSYS: return -ENOSYS;
	case VMK_ENODEV: return -ENODEV;
	case VMK_EPERM: return -EPERM;
	default: return -EIO;
	}
}

/* [pa, pa + len) lies inside one chunk of the loaded vmkernel's memory. */
bool vmkload_owns_pa(u64 pa, u64 len)
{
	bool ok = false;
	unsigned int i;

	mutex_lock(&vmkload_lock);
	for (i = 0; vmk && i < vmk->nchunks && !ok; i++) {
		u64 c = page_to_phys(vmk->chunk[i]);

		ok = pa >= c && len <= VMK_CHUNK_SIZE && pa - c <= VMK_CHUNK_SIZE - len;
	}
	mutex_unlock(&vmkload_lock);
	return ok;
}

int vmkload_status(struct vmk_ioc_status __user *uarg)
{
	struct vmk_ioc_status arg;
	struct vmk_status *st;
	long r;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	r = vmkload_hypercall(VMK_HC_STATUS, virt_to_phys(st), sizeof(*st), 0);
	if (r >= 0) {
		arg.len = min_t(u64, arg.len, (u64)r);
		if (copy_to_user(u64_to_user_ptr(arg.buf), st, arg.len) ||
		    copy_to_user(uarg, &arg, sizeof(arg)))
			r = VMK_EFAULT;
	}
	kfree(st);
	return r < 0 ? vmk_errno_of(r) : 0;
}

#define LOG_CHUNK (64u << 10)

int vmkload_log(struct vmk_ioc_log __user *uarg)
{
	struct vmk_ioc_log arg;
	char *buf;
	long r;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	arg.len = min_t(u64, arg.len, LOG_CHUNK);
	buf = kzalloc(LOG_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	r = vmkload_hypercall(VMK_HC_LOG_READ, virt_to_phys(buf), arg.len, arg.offset);
	if (r >= 0) {
		arg.len = r;
		if (copy_to_user(u64_to_user_ptr(arg.buf), buf, r) ||
		    copy_to_user(uarg, &arg, sizeof(arg)))
			r = VMK_EFAULT;
	}
	kfree(buf);
	return r < 0 ? vmk_errno_of(r) : 0;
}

/* ---- CPUs given to the vmkernel (vmk cpu give/take) ---------------------- */

/* Not from the boot information: that is vmkernel memory, which the COS
 * cannot read once the vmkernel runs. */
static int cpu_index(struct vmk_loaded *ld, unsigned int cpu)
{
	return ld->launched[cpu] ? ld->index[cpu] : -1;
}

struct arm_call {
	unsigned long op, index;
	long r;
};

static void arm_this_cpu(void *arg)
{
	struct arm_call *a = arg;

	a->r = vmk_hypercall(VMK_HC_CPU_CTL, a->op, a->index, 0);
}

/* Poll the vmkernel until CPU @idx has @owner, for up to two seconds. */
static long wait_owner(int idx, long owner)
{
	long r = -1;

	for (int i = 0; i < 2000; i++) {
		r = vmk_hypercall(VMK_HC_CPU_CTL, VMK_CPU_OWNER, idx, 0);
		if (r == owner || r < 0)
			break;
		msleep(1);
	}
	return r;
}

/* Give: the CPU arms itself, Linux takes it offline, and its last halt parks
 * it in the vmkernel.  Take: the vmkernel lets it go, Linux starts it again
 * (its INIT and start-up IPIs are emulated by the vmkernel). */
static int cpu_give(struct vmk_loaded *ld, unsigned int cpu, int idx)
{
	struct arm_call a = { .op = VMK_CPU_ARM, .index = idx };
	long owner, r;
	int err;

	if (!cpu_online(cpu) || ld->given[cpu])
		return -EALREADY;
	err = smp_call_function_single(cpu, arm_this_cpu, &a, 1);
	if (err || a.r)
		return err ?: vmk_errno_of(a.r);
	/* Hotplug is open for the length of one offline (a CPU someone else
	 * offlines meanwhile cannot come back: its INIT is refused). */
	cpu_hotplug_enable();
	err = remove_cpu(cpu);
	cpu_hotplug_disable();
	if (err) {
		a.op = VMK_CPU_DISARM;
		smp_call_function_single(cpu, arm_this_cpu, &a, 1);
		return err;
	}
	ld->given[cpu] = true;   /* offline from here on, whatever follows */
	r = vmk_hypercall(VMK_HC_CPU_CTL, VMK_CPU_DEAD, idx, 0);
	owner = r ? r : wait_owner(idx, VMK_CPU_VMK);
	if (owner != VMK_CPU_VMK) {
		pr_err(VMKLOAD_NAME ": cpu%u went offline but did not reach the vmkernel (%ld); unload is refused until it does\n",
		       cpu, owner);
		return -EIO;
	}
	pr_info(VMKLOAD_NAME ": cpu%u given to the vmkernel\n", cpu);
	return 0;
}

static int cpu_take(struct vmk_loaded *ld, unsigned int cpu, int idx)
{
	long r;
	int err;

	if (!ld->given[cpu])
		return -EALREADY;
	/* Again after a failed start: TAKE is accepted once more and the CPU
	 * still waits in RETURNING. */
	r = vmk_hypercall(VMK_HC_CPU_CTL, VMK_CPU_TAKE, idx, 0);
	if (r)
		return vmk_errno_of(r);
	if (wait_owner(idx, VMK_CPU_RETURNING) != VMK_CPU_RETURNING)
		return -EIO;
	cpu_hotplug_enable();
	err = add_cpu(cpu);
	cpu_hotplug_disable();
	if (err) {
		pr_err(VMKLOAD_NAME ": cpu%u: Linux could not start it again (%d); the vmkernel keeps it idle\n",
		       cpu, err);
		return err;
	}
	if (wait_owner(idx, VMK_CPU_COS) != VMK_CPU_COS)
		return -EIO;
	ld->given[cpu] = false;
	pr_info(VMKLOAD_NAME ": cpu%u back from the vmkernel\n", cpu);
	return 0;
}

long vmkload_ioc_cpu(struct vmk_ioc_cpu __user *uarg)
{
	struct vmk_ioc_cpu arg;
	int idx, err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.op == VMK_IOC_CPU_COSCHED) {
		long r;

		if (arg.cpu > VMK_COSCHED_QUERY)
			return -EINVAL;
		mutex_lock(&vmkload_lock);
		r = vmk ? vmk_hypercall(VMK_HC_CPU_CTL, VMK_CPU_COSCHED, arg.cpu, 0) : VMK_ENOENT;
		mutex_unlock(&vmkload_lock);
		return r < 0 ? vmk_errno_of(r) : r;
	}
	if (arg.op != VMK_IOC_CPU_GIVE && arg.op != VMK_IOC_CPU_TAKE)
		return -EINVAL;
	if (arg.cpu == 0)
		return -EPERM;   /* CPU 0 stays the COS's */
	if (arg.cpu >= nr_cpu_ids)
		return -EINVAL;
	mutex_lock(&vmkload_lock);
	if (!vmk) {
		err = -ENOENT;
	} else if ((idx = cpu_index(vmk, arg.cpu)) < 0) {
		err = -ENODEV;   /* not one the vmkernel was loaded on */
	} else {
		err = arg.op == VMK_IOC_CPU_GIVE ? cpu_give(vmk, arg.cpu, idx)
						 : cpu_take(vmk, arg.cpu, idx);
	}
	mutex_unlock(&vmkload_lock);
	return err;
}
