// SPDX-License-Identifier: GPL-2.0
/* Path-length probe (VMK_IOC_BENCH): the COS side of the exit benchmarks.
 * The loop bodies match bench/kvm-exit's guest code instruction for
 * instruction (mov eax, imm32; xor ecx, ecx; OP; dec esi; jnz); only the
 * operation differs.  Interrupts are off, so nothing else runs in between. */
#include <linux/kernel.h>
#include <linux/irqflags.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/tsc.h>
#include <vmk/hypercall.h>
#include "vmkload.h"

#define BENCH_MAX_ITER (1u << 24)

#define BENCH_LOOP(op, leaf)                                               \
	asm volatile("1: mov %[l], %%eax\n\t"                              \
		     "xor %%ecx, %%ecx\n\t"                                \
		     op "\n\t"                                             \
		     "dec %%esi\n\t"                                       \
		     "jnz 1b"                                              \
		     : "+S"(cnt) : [l] "i"(leaf)                           \
		     : "rax", "rbx", "rcx", "rdx", "rdi", "memory")

static u64 run(u32 op, u32 n)
{
	unsigned long flags, cnt = n;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	switch (op) {
	case VMK_BENCH_LOOP:
		BENCH_LOOP("", 0);
		break;
	case VMK_BENCH_HYPERCALL:
		BENCH_LOOP("vmmcall", VMK_HC_NOP);
		break;
	case VMK_BENCH_CPUID:
		BENCH_LOOP("cpuid", 0);
		break;
	}
	t1 = rdtsc_ordered();
	local_irq_restore(flags);
	return t1 - t0;
}

/* One VMK_HC_SMP_BENCH on this CPU (the vmkernel times it itself).  Under
 * vmkload_lock, so the vmkernel stays loaded. */
static long run_shootdown(struct vmk_ioc_bench *arg)
{
	struct vmk_smp_bench *res = kzalloc(sizeof(*res), GFP_KERNEL);
	long r;

	if (!res)
		return -ENOMEM;
	preempt_disable();
	arg->cpu = smp_processor_id();
	r = vmkload_raw_hypercall(VMK_HC_SMP_BENCH, arg->iterations |
				  (arg->mark ? VMK_SMP_BENCH_MARK : 0),
				  virt_to_phys(res), sizeof(*res));
	preempt_enable();
	if (r >= 0) {
		arg->smp = *res;
		arg->tsc_delta = res->tsc;
	}
	kfree(res);
	return r < 0 ? vmk_errno_of(r) : 0;
}

long vmkload_ioc_bench(struct vmk_ioc_bench __user *uarg)
{
	struct vmk_ioc_bench arg;
	bool needs_vmk;
	long r = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.op >= VMK_BENCH_OPS || arg.iterations == 0 ||
	    arg.iterations > (arg.op == VMK_BENCH_SHOOTDOWN ? VMK_SMP_BENCH_MAX : BENCH_MAX_ITER))
		return -EINVAL;
	needs_vmk = arg.op == VMK_BENCH_HYPERCALL || arg.op == VMK_BENCH_SHOOTDOWN;
	/* The hypercalls exist only under the vmkernel; hold it there. */
	mutex_lock(&vmkload_lock);
	arg.loaded = vmkload_is_loaded();
	if (needs_vmk && !arg.loaded) {
		r = -ENOENT;
	} else if (arg.op == VMK_BENCH_SHOOTDOWN) {
		r = run_shootdown(&arg);
		arg.tsc_khz = tsc_khz;
	} else {
		preempt_disable();
		arg.cpu = smp_processor_id();
		arg.tsc_delta = run(arg.op, arg.iterations);
		preempt_enable();
		arg.tsc_khz = tsc_khz;
	}
	mutex_unlock(&vmkload_lock);
	if (!r && copy_to_user(uarg, &arg, sizeof(arg)))
		r = -EFAULT;
	return r;
}
