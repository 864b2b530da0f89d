// SPDX-License-Identifier: GPL-2.0
/* VM worlds from the COS: requests passed to the vmkernel, with user
 * buffers bounced through kernel memory (the vmkernel takes physical
 * addresses), and the run loop that gives this CPU to a VM. */
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <vmk/err.h>
#include <vmk/hypercall.h>
#include "vmkload.h"

#define VM_BOUNCE (64u << 10)

static long vm_request(u32 op, u32 id, u64 a0, u64 a1, u64 a2)
{
	struct vmk_vm_req *rq = kzalloc(sizeof(*rq), GFP_KERNEL);
	long r;

	if (!rq)
		return -ENOMEM;
	*rq = (struct vmk_vm_req){ .op = op, .id = id, .arg = { a0, a1, a2 } };
	r = vmkload_hypercall(VMK_HC_VM_CTL, virt_to_phys(rq), sizeof(*rq), 0);
	kfree(rq);
	return r;
}

/* Give this CPU to the VM until it halts or stops, a signal is pending,
 * or ~100 ms pass (so the CLI can show its console).  Interrupts for the
 * COS end each run; they are handled as soon as the COS runs again. */
static long vm_run(u32 id)
{
	unsigned long end = jiffies + HZ / 10;
	long r;

	/* Not under vmkload_lock: VMs run on several CPUs at once, and status
	 * requests go on meanwhile.  Unload waits for the runners instead. */
	if (!vmkload_runner_get())
		return VMK_ENOENT;
	do {
		r = vmkload_raw_hypercall(VMK_HC_VM_RUN, id, 0, 0);
		if (r != VMK_VM_PREEMPTED && r != VMK_VM_YIELDED)
			break;
		cond_resched();
	} while (!signal_pending(current) && time_before(jiffies, end));
	vmkload_runner_put();
	return r;
}

long vmkload_ioc_vm(struct vmk_ioc_vm __user *uarg)
{
	struct vmk_ioc_vm arg;
	void *buf = NULL;
	long r;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.len > VM_BOUNCE)
		return -EINVAL;
	if (arg.len) {
		buf = kzalloc(arg.len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	switch (arg.op) {
	case VMK_IOC_VM_RUN:
		r = vm_run(arg.id);
		break;
	case VMK_VM_WRITE:
		r = -EFAULT;
		if (buf && !copy_from_user(buf, u64_to_user_ptr(arg.buf), arg.len))
			r = vm_request(arg.op, arg.id, arg.arg[0], virt_to_phys(buf), arg.len);
		break;
	case VMK_VM_INFO:
	case VMK_VM_CONSOLE:
		r = buf ? vm_request(arg.op, arg.id, virt_to_phys(buf), arg.len, 0) : -EINVAL;
		if (r > 0 && copy_to_user(u64_to_user_ptr(arg.buf), buf, r))
			r = -EFAULT;
		break;
	default:
		r = vm_request(arg.op, arg.id, arg.arg[0], arg.arg[1], arg.arg[2]);
	}
	kfree(buf);
	if (r < 0 && r > -VMK_ERR_COUNT)
		return vmk_errno_of(r);
	if (r < 0)
		return r;
	arg.result = r;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}
