// SPDX-License-Identifier: GPL-2.0
/* Trace sessions from the COS: start/stop/info through hypercalls, and the
 * rings mapped read-only into the reader's address space.  The vmkernel names
 * the rings by physical address; they must lie in its own memory. */
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>
#include <vmk/err.h>
#include <vmk/hypercall.h>
#include "vmkload.h"

static void *cons_page;   /* drop-new consumer lines; kept across sessions */
/* Live user mappings of vmkernel rings: unload waits until there are none,
 * or the freed pages would stay readable. */
static atomic_t ring_maps = ATOMIC_INIT(0);

static void ring_vma_open(struct vm_area_struct *vma)
{
	atomic_inc(&ring_maps);
}

static void ring_vma_close(struct vm_area_struct *vma)
{
	atomic_dec(&ring_maps);
}

static const struct vm_operations_struct ring_vm_ops = {
	.open = ring_vma_open,
	.close = ring_vma_close,
};

bool vmkload_rings_mapped(void)
{
	return atomic_read(&ring_maps) > 0;
}

static void nop_on_cpu(void *arg)
{
	vmkload_hypercall(VMK_HC_NOP, 0, 0, 0);
}

static long trace_info(struct vmk_trace_info *ti)
{
	long r = vmkload_hypercall(VMK_HC_TRACE_INFO, virt_to_phys(ti), sizeof(*ti), 0);

	return r == sizeof(*ti) ? 0 : r < 0 ? r : VMK_EIO;
}

static long trace_start(struct vmk_ioc_trace *arg)
{
	u64 cons = 0;
	long r;

	if (arg->mode == VMK_TRACE_MODE_DROP_NEW) {
		if (!cons_page)
			cons_page = (void *)get_zeroed_page(GFP_KERNEL);
		if (!cons_page)
			return -ENOMEM;
		cons = virt_to_phys(cons_page);
	}
	r = vmkload_hypercall(VMK_HC_TRACE_START, arg->mode, arg->mask, cons);
	if (r)
		return r;
	/* One exit on every CPU makes each format its ring for the session. */
	on_each_cpu(nop_on_cpu, NULL, 1);
	return 0;
}

long vmkload_ioc_trace(struct vmk_ioc_trace __user *uarg)
{
	struct vmk_ioc_trace arg;
	struct vmk_trace_info *ti = NULL;
	long r;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	arg.tsc_khz = tsc_khz;
	switch (arg.op) {
	case VMK_TRACE_OP_START:
		r = trace_start(&arg);
		break;
	case VMK_TRACE_OP_STOP:
		r = vmkload_hypercall(VMK_HC_TRACE_STOP, 0, 0, 0);
		break;
	case VMK_TRACE_OP_INFO:
		ti = kzalloc(sizeof(*ti), GFP_KERNEL);
		r = ti ? trace_info(ti) : -ENOMEM;
		if (!r && copy_to_user(u64_to_user_ptr(arg.info), ti, sizeof(*ti)))
			r = -EFAULT;
		kfree(ti);
		break;
	default:
		return -EINVAL;
	}
	if (r)
		return r <= VMK_OK && r > -VMK_ERR_COUNT ? vmk_errno_of(r) : r;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

int vmkload_mmap(struct file *f, struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT, len = vma->vm_end - vma->vm_start;
	struct vmk_trace_info *ti;
	unsigned int i;
	int r;

	if (off == VMK_TRACE_MMAP_CONS) {
		if (!cons_page || len != PAGE_SIZE)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, virt_to_phys(cons_page) >> PAGE_SHIFT,
				       PAGE_SIZE, vma->vm_page_prot);
	}
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;   /* the rings are the vmkernel's: read-only */
	i = off / VMK_TRACE_MMAP_STRIDE;
	if (off % VMK_TRACE_MMAP_STRIDE || i >= 64)
		return -EINVAL;
	ti = kzalloc(sizeof(*ti), GFP_KERNEL);
	if (!ti)
		return -ENOMEM;
	r = trace_info(ti) ? -ENOENT : 0;   /* also: not loaded */
	if (!r && (i >= ti->ncpus || len > PAGE_ALIGN(ti->cpu[i].ring_bytes) ||
		   !vmkload_owns_pa(ti->cpu[i].ring_pa, len)))
		r = -EINVAL;
	if (!r) {
		vma->vm_flags &= ~VM_MAYWRITE;
		r = remap_pfn_range(vma, vma->vm_start, ti->cpu[i].ring_pa >> PAGE_SHIFT,
				    len, vma->vm_page_prot);
		if (!r) {
			vma->vm_ops = &ring_vm_ops;
			ring_vma_open(vma);
		}
	}
	kfree(ti);
	return r;
}
