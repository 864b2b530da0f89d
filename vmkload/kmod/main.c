// SPDX-License-Identifier: GPL-2.0
/* vmkload.ko: the load-call module of the COS.  It owns /dev/vmk, through
 * which the `vmk` CLI asks it to probe, load and unload the vmkernel. */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "vmkload.h"

static long vmkload_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	u32 ver = VMKLOAD_ABI_VERSION;

	switch (cmd) {
	case VMK_IOC_VERSION:
		return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
	case VMK_IOC_PROBE:
		return vmkload_ioc_probe(uarg);
	case VMK_IOC_LOAD:
		return vmkload_load(uarg);
	case VMK_IOC_UNLOAD:
		return vmkload_unload();
	case VMK_IOC_STATUS:
		return vmkload_status(uarg);
	case VMK_IOC_LOG:
		return vmkload_log(uarg);
	case VMK_IOC_VM:
		return vmkload_ioc_vm(uarg);
	case VMK_IOC_TRACE:
		return vmkload_ioc_trace(uarg);
	case VMK_IOC_CPU:
		return vmkload_ioc_cpu(uarg);
	case VMK_IOC_BENCH:
		return vmkload_ioc_bench(uarg);
	case VMK_IOC_LOADED:
		ver = vmkload_is_loaded();
		return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmkload_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmkload_ioctl,
	.mmap = vmkload_mmap,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmkload_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmk",
	.fops = &vmkload_fops,
	.mode = 0600,
};

static int __init vmkload_init(void)
{
	int err = misc_register(&vmkload_dev);

	if (err) {
		pr_err(VMKLOAD_NAME ": cannot register /dev/vmk: %d\n", err);
		return err;
	}
	pr_info(VMKLOAD_NAME ": loaded, ABI %u\n", VMKLOAD_ABI_VERSION);
	vmkload_probe_log();
	return 0;
}

static void __exit vmkload_exit(void)
{
	misc_deregister(&vmkload_dev);
	pr_info(VMKLOAD_NAME ": unloaded\n");
}

module_init(vmkload_init);
module_exit(vmkload_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmk load-call module: loads and removes the vmkernel");
