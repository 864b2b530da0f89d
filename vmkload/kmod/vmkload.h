/* vmkload.ko internals shared between its files. */
#ifndef VMKLOAD_H
#define VMKLOAD_H
#include <linux/mutex.h>
#include <vmk/vmkload_ioctl.h>

#define VMKLOAD_NAME "vmkload"

/* probe.c: fill @out for one CPU; runs on that CPU with preemption off. */
void vmkload_probe_this_cpu(struct vmk_cpu_probe *out);
long vmkload_ioc_probe(struct vmk_ioc_probe __user *uarg);
void vmkload_probe_log(void);
unsigned int vmkload_probe_all(struct vmk_cpu_probe *tab, unsigned int cap);

/* launch.c */
bool vmkload_is_loaded(void);
int vmkload_load(struct vmk_ioc_load __user *uarg);
int vmkload_unload(void);
int vmkload_status(struct vmk_ioc_status __user *uarg);
int vmkload_log(struct vmk_ioc_log __user *uarg);
extern struct mutex vmkload_lock;
long vmkload_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
		       unsigned long a2);
bool vmkload_owns_pa(u64 pa, u64 len);
long vmkload_ioc_cpu(struct vmk_ioc_cpu __user *uarg);

bool vmkload_runner_get(void);
void vmkload_runner_put(void);
long vmkload_raw_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
			   unsigned long a2);

/* vm.c */
long vmkload_ioc_vm(struct vmk_ioc_vm __user *uarg);
/* VMK_E* (negative, from the vmkernel) to an errno. */
int vmk_errno_of(long r);

/* trace.c */
struct vm_area_struct;
long vmkload_ioc_trace(struct vmk_ioc_trace __user *uarg);
int vmkload_mmap(struct file *f, struct vm_area_struct *vma);
bool vmkload_rings_mapped(void);

/* bench.c */
long vmkload_ioc_bench(struct vmk_ioc_bench __user *uarg);

#endif
