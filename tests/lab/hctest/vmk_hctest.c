// SPDX-License-Identifier: GPL-2.0
/* Lab test module: hostile hypercalls and COS accesses to vmkernel memory.
 * Loading it runs every check against the loaded vmkernel and fails (-EIO)
 * if any result differs from what the ABI promises; on success it stays
 * loaded (doing nothing) until rmmod. */
#include <linux/module.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <vmk/err.h>
#include <vmk/hypercall.h>

long vmkload_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
		       unsigned long a2);
u64 vmkload_vmkernel_pa(unsigned int idx);

static int failures, checks;

#define CHECK(what, got, want) do { \
	long g_ = (got), w_ = (want); \
	checks++; \
	if (g_ != w_) { \
		failures++; \
		pr_err("vmk_hctest: FAIL %s: got %ld, want %ld\n", what, g_, w_); \
	} \
} while (0)

static void bad_numbers(void)
{
	CHECK("version", vmkload_hypercall(VMK_HC_VERSION, 0, 0, 0), VMK_HC_ABI_VERSION);
	CHECK("nop", vmkload_hypercall(VMK_HC_NOP, 0, 0, 0), 0);
	CHECK("nr = count", vmkload_hypercall(VMK_HC_COUNT, 0, 0, 0), VMK_ENOSYS);
	CHECK("nr = 0xffff", vmkload_hypercall(0xffff, 1, 2, 3), VMK_ENOSYS);
	CHECK("nr = -1", vmkload_hypercall(~0ul, 0, 0, 0), VMK_ENOSYS);
	CHECK("nr = 1<<63", vmkload_hypercall(1ul << 63, 0, 0, 0), VMK_ENOSYS);
}

static void bad_buffers(void *buf, u64 pa)
{
	u64 own = vmkload_vmkernel_pa(0);
	u64 n = sizeof(struct vmk_status);

	CHECK("status ok", vmkload_hypercall(VMK_HC_STATUS, pa, n, 0), n);
	CHECK("status short len", vmkload_hypercall(VMK_HC_STATUS, pa, 8, 0), 8);
	CHECK("status len 0", vmkload_hypercall(VMK_HC_STATUS, pa, 0, 0), VMK_EFAULT);
	CHECK("status len huge", vmkload_hypercall(VMK_HC_STATUS, pa, ~0ul, 0), VMK_EFAULT);
	CHECK("status len > max", vmkload_hypercall(VMK_HC_STATUS, pa, VMK_HC_MAX_BUF + 1, 0),
	      VMK_EFAULT);
	CHECK("status pa wraps", vmkload_hypercall(VMK_HC_STATUS, ~0ul - 16, 4096, 0),
	      VMK_EFAULT);
	CHECK("status pa in vmkernel", vmkload_hypercall(VMK_HC_STATUS, own, n, 0), VMK_EFAULT);
	CHECK("status pa ends in vmkernel",
	      vmkload_hypercall(VMK_HC_STATUS, own - 64, n, 0), VMK_EFAULT);
	CHECK("status pa in MMIO", vmkload_hypercall(VMK_HC_STATUS, 0xfee00000ul, 64, 0),
	      VMK_EFAULT);
	CHECK("status pa beyond RAM", vmkload_hypercall(VMK_HC_STATUS, 1ul << 45, 64, 0),
	      VMK_EFAULT);
	CHECK("log read ok", vmkload_hypercall(VMK_HC_LOG_READ, pa, 16, 0) > 0, 1);
	CHECK("log offset past end", vmkload_hypercall(VMK_HC_LOG_READ, pa, 16, 1ul << 40),
	      VMK_ERANGE);
	CHECK("log pa in vmkernel", vmkload_hypercall(VMK_HC_LOG_READ, own + 4096, 16, 0),
	      VMK_EFAULT);
}

/* Writes to vmkernel memory through Linux's own map of it must land in the
 * scratch page, and the vmkernel must go on as if nothing happened. */
static void isolation(void *buf, u64 pa)
{
	struct vmk_status *st = buf;
	u64 own = vmkload_vmkernel_pa(0), viol = 0;
	unsigned int i;
	u8 *p;

	CHECK("vmkernel pa known", own != 0, 1);
	if (!own)
		return;
	p = phys_to_virt(own);
	memset(p, 0xcc, PAGE_SIZE);          /* the image header and first code */
	memset(p + 0x1000, 0x00, 3 * PAGE_SIZE);
	CHECK("status after overwrite",
	      vmkload_hypercall(VMK_HC_STATUS, pa, sizeof(*st), 0), sizeof(*st));
	for (i = 0; i < st->ncpus; i++)
		viol += st->cpu[i].cos_violations;
	CHECK("violations counted", viol >= 1, 1);
	CHECK("version after overwrite", vmkload_hypercall(VMK_HC_VERSION, 0, 0, 0),
	      VMK_HC_ABI_VERSION);
}

static int __init hctest_init(void)
{
	void *buf = kzalloc(sizeof(struct vmk_status), GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	if (vmkload_hypercall(VMK_HC_VERSION, 0, 0, 0) == VMK_ENOENT) {
		pr_err("vmk_hctest: the vmkernel is not loaded\n");
		kfree(buf);
		return -ENOENT;
	}
	bad_numbers();
	bad_buffers(buf, virt_to_phys(buf));
	isolation(buf, virt_to_phys(buf));
	kfree(buf);
	pr_info("vmk_hctest: %s: %d checks, %d failed\n", failures ? "FAIL" : "PASS",
		checks, failures);
	return failures ? -EIO : 0;
}

static void __exit hctest_exit(void)
{
}

module_init(hctest_init);
module_exit(hctest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmk lab test: hostile hypercalls and vmkernel memory isolation");
