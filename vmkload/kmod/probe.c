// SPDX-License-Identifier: GPL-2.0
/* What each CPU offers for SVM, read on that CPU: CPUID can differ between
 * CPUs on real machines and EFER.SVME / VM_CR are per-CPU state. */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/cpu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include "vmkload.h"

#define MSR_VM_CR_SVMDIS (1ull << 4)
#define EFER_SVME_BIT (1ull << 12)

void vmkload_probe_this_cpu(struct vmk_cpu_probe *p)
{
	u32 a, b, c, d;
	u64 val;

	memset(p, 0, sizeof(*p));
	p->cpu = smp_processor_id();
	cpuid(1, &a, &b, &c, &d);
	p->apic_id = b >> 24;
	if (c & (1u << 31))
		p->flags |= VMK_PROBE_HYPERVISOR;
	cpuid(0x80000008, &a, &b, &c, &d);
	p->maxphyaddr = a & 0xff;
	if (__read_cr4() & X86_CR4_LA57)
		p->flags |= VMK_PROBE_LA57;
	cpuid(0x80000001, &a, &b, &c, &d);
	if (!(c & (1u << 2)))
		return;
	p->flags |= VMK_PROBE_SVM;
	cpuid(0x8000000a, &a, &b, &c, &d);
	p->svm_rev = a & 0xff;
	p->nasid = b;
	p->svm_features = d;
	if (!rdmsrl_safe(MSR_VM_CR, &val) && (val & MSR_VM_CR_SVMDIS))
		p->flags |= VMK_PROBE_SVM_LOCK;
	if (!rdmsrl_safe(MSR_EFER, &val) && (val & EFER_SVME_BIT))
		p->flags |= VMK_PROBE_SVME;
}

static void probe_fn(void *arg)
{
	vmkload_probe_this_cpu(arg);
}

/* Probe every online CPU into @tab (nr_cpu_ids entries); returns the count. */
unsigned int vmkload_probe_all(struct vmk_cpu_probe *tab, unsigned int cap)
{
	unsigned int cpu, n = 0;

	/* Callers may hold cpus_read_lock already; it nests for readers. */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (n == cap)
			break;
		smp_call_function_single(cpu, probe_fn, &tab[n++], 1);
	}
	cpus_read_unlock();
	return n;
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

void vmkload_probe_log(void)
{
	struct vmk_cpu_probe *tab;
	unsigned int i, n;

	tab = kcalloc(nr_cpu_ids, sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return;
	n = vmkload_probe_all(tab, nr_cpu_ids);
	for (i = 0; i < n; i++) {
		const struct vmk_cpu_probe *p = &tab[i];

		pr_info(VMKLOAD_NAME ": cpu%u: svm=%s npt=%s svme=%s svm-locked=%s asids=%u\n",
			p->cpu, yesno(p->flags & VMK_PROBE_SVM),
			yesno(p->svm_features & VMK_SVMF_NPT),
			(p->flags & VMK_PROBE_SVME) ? "on" : "off",
			yesno(p->flags & VMK_PROBE_SVM_LOCK), p->nasid);
	}
	kfree(tab);
}

long vmkload_ioc_probe(struct vmk_ioc_probe __user *uarg)
{
	struct vmk_ioc_probe arg;
	struct vmk_cpu_probe *tab;
	unsigned int n;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.capacity == 0 || arg.capacity > VMKLOAD_MAX_CPUS)
		return -EINVAL;
	tab = kcalloc(arg.capacity, sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return -ENOMEM;
	n = vmkload_probe_all(tab, arg.capacity);
	arg.count = n;
	if (copy_to_user(u64_to_user_ptr(arg.cpus), tab, n * sizeof(*tab)) ||
	    copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	kfree(tab);
	return ret;
}
