// SPDX-License-Identifier: GPL-2.0
/* Lab test module: hostile hypercalls, COS accesses to vmkernel memory and
 * INIT/SMI through the COS's local APIC.
 * Loading it runs every check against the loaded vmkernel and fails (-EIO)
 * if any result differs from what the ABI promises; on success it stays
 * loaded (doing nothing) until rmmod. */
#include <linux/module.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/msr.h>
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

/* VMK_HC_SMP_BENCH refuses a bad count, flag or buffer before it runs. */
static void bad_smp_bench(u64 pa, u64 own)
{
	u64 n = sizeof(struct vmk_smp_bench);

	CHECK("smp bench n 0", vmkload_hypercall(VMK_HC_SMP_BENCH, 0, pa, n), VMK_EINVAL);
	CHECK("smp bench n > max",
	      vmkload_hypercall(VMK_HC_SMP_BENCH, VMK_SMP_BENCH_MAX + 1, pa, n), VMK_EINVAL);
	CHECK("smp bench unknown flag",
	      vmkload_hypercall(VMK_HC_SMP_BENCH, 1 | (1ull << 33), pa, n), VMK_EINVAL);
	CHECK("smp bench short len", vmkload_hypercall(VMK_HC_SMP_BENCH, 1, pa, n - 1),
	      VMK_EFAULT);
	CHECK("smp bench pa in vmkernel", vmkload_hypercall(VMK_HC_SMP_BENCH, 1, own, n),
	      VMK_EFAULT);
	CHECK("smp bench ok", vmkload_hypercall(VMK_HC_SMP_BENCH, 2, pa, n), n);
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
	bad_smp_bench(pa, own);
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

static u64 ipis_blocked(void *buf, u64 pa)
{
	struct vmk_status *st = buf;
	u64 n = 0;

	if (vmkload_hypercall(VMK_HC_STATUS, pa, sizeof(*st), 0) != sizeof(*st))
		return ~0ull;
	for (unsigned int i = 0; i < st->ncpus; i++)
		n += st->cpu[i].ipis_blocked;
	return n;
}

/* This CPU's mapping-cache counters, from a full status read into @buf. */
static int map_stats(void *buf, u64 pa, unsigned int me, u64 out[3])
{
	struct vmk_status *st = buf;

	if (vmkload_hypercall(VMK_HC_STATUS, pa, sizeof(*st), 0) != sizeof(*st))
		return -1;
	for (unsigned int i = 0; i < st->ncpus && i < 64; i++)
		if (st->cpu[i].cpu == me) {
			out[0] = st->cpu[i].map_hits;
			out[1] = st->cpu[i].map_misses;
			out[2] = st->cpu[i].map_evictions;
			return 0;
		}
	return -1;
}

/* The vmkernel reaches COS memory through a per-CPU mapping cache of 64
 * slots (vmkernel/cosmem.c).  From one CPU, write a status prefix into
 * MAP_PAGES distinct pages, three times the slots: every write must land in
 * its own page and nowhere else (a slot's PTE rewritten wrongly would send it
 * elsewhere), the cache must count the misses and evictions, and writing the
 * same page twice must hit.  A missing invlpg after an eviction is not seen
 * here: the test still passes with cosmem.c's invlpg removed (QEMU's TCG
 * apparently drops its soft TLB at the #VMEXIT of each hypercall). */
#define MAP_PAGES 192
#define MAP_LEN 64
static void mapping_cache(void *buf, u64 pa)
{
	static unsigned long pages[MAP_PAGES];
	unsigned int me = get_cpu(), bad = 0, i;
	u64 s0[3], s1[3];
	long r;

	for (i = 0; i < MAP_PAGES; i++) {
		pages[i] = __get_free_page(GFP_ATOMIC);
		if (!pages[i])
			break;
		memset((void *)pages[i], 0xa5, PAGE_SIZE);
	}
	CHECK("mapping test pages allocated", i, MAP_PAGES);
	if (i < MAP_PAGES || map_stats(buf, pa, me, s0)) {
		CHECK("mapping stats before", 0, 1);
		goto out;
	}
	for (i = 0; i < MAP_PAGES; i++) {
		r = vmkload_hypercall(VMK_HC_STATUS, virt_to_phys((void *)pages[i]), MAP_LEN, 0);
		if (r != MAP_LEN)
			bad++;
	}
	/* The last page again, twice: it is still in its slot. */
	for (i = 0; i < 2; i++)
		if (vmkload_hypercall(VMK_HC_STATUS, virt_to_phys((void *)pages[MAP_PAGES - 1]),
				      MAP_LEN, 0) != MAP_LEN)
			bad++;
	CHECK("status into every page", bad, 0);
	for (i = 0, bad = 0; i < MAP_PAGES; i++) {
		const struct vmk_status *st = (const void *)pages[i];
		const u8 *rest = (const u8 *)pages[i] + MAP_LEN;

		if (st->abi_version != VMK_HC_ABI_VERSION || st->ncpus < 1 || st->ncpus > 64 ||
		    rest[0] != 0xa5 || memchr_inv(rest, 0xa5, PAGE_SIZE - MAP_LEN))
			bad++;
	}
	CHECK("each write in its own page, nothing beyond it", bad, 0);
	if (map_stats(buf, pa, me, s1)) {
		CHECK("mapping stats after", 0, 1);
		goto out;
	}
	/* Status reads of @buf add their own misses and hits.  Up to 64 of the
	 * pages may sit in the cache already (their frames served earlier
	 * hypercalls: seen after a give and take), so at least: */
	CHECK("misses counted", s1[1] - s0[1] >= MAP_PAGES - 64, 1);
	CHECK("evictions counted", s1[2] - s0[2] >= MAP_PAGES - 2 * 64, 1);
	CHECK("hits counted", s1[0] - s0[0] >= 2, 1);
	pr_info("vmk_hctest: mapping cache on CPU %u: %llu hits, %llu misses, %llu evictions "
		"for %d pages\n", me, s1[0] - s0[0], s1[1] - s0[1], s1[2] - s0[2], MAP_PAGES);
out:
	put_cpu();
	for (i = 0; i < MAP_PAGES; i++)
		if (pages[i])
			free_page(pages[i]), pages[i] = 0;
}

static void version_here(void *arg)
{
	*(long *)arg = vmkload_hypercall(VMK_HC_VERSION, 0, 0, 0);
}

/* The COS's local APIC is the vmkernel's to guard: INIT and SMI IPIs (a
 * physical INIT resets a CPU out from under the vmkernel), an LVT entry that
 * would INIT this CPU, and moving the APIC away from the trapped page are
 * refused, and every CPU is still the vmkernel's guest afterwards. */
static void apic_attacks(void *buf, u64 pa)
{
	unsigned int me = get_cpu(), target = cpumask_any_but(cpu_online_mask, me);
	u64 before = ipis_blocked(buf, pa), base;
	u32 lvt0;
	long ver = 0;

	if (target >= nr_cpu_ids)
		target = me;
	apic->icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT,
			per_cpu(x86_cpu_to_apicid, target));
	apic->icr_write(APIC_DEST_ALLBUT | APIC_INT_ASSERT | APIC_DM_INIT, 0);
	apic->icr_write(APIC_DM_SMI, per_cpu(x86_cpu_to_apicid, target));
	lvt0 = apic_read(APIC_LVT0);
	apic_write(APIC_LVT0, APIC_LVT_MASKED | APIC_DM_INIT);
	CHECK("LVT0 INIT not written", apic_read(APIC_LVT0), lvt0);
	rdmsrl(MSR_IA32_APICBASE, base);
	CHECK("APIC base move refused", wrmsrl_safe(MSR_IA32_APICBASE, base + 0x1000) != 0, 1);
	CHECK("x2APIC switch refused",
	      wrmsrl_safe(MSR_IA32_APICBASE, base | X2APIC_ENABLE) != 0, 1);
	put_cpu();
	CHECK("INIT, INIT-all, SMI and LVT INIT counted", ipis_blocked(buf, pa) - before, 4);
	CHECK("target CPU still under the vmkernel",
	      smp_call_function_single(target, version_here, &ver, 1) == 0 &&
	      ver == VMK_HC_ABI_VERSION, 1);
}

/* VM and CPU requests the CLI would never send: the vmkernel's own checks
 * refuse them before anything is taken (the CLI's are tested in vm-smp.sh). */
static long vm_req(void *buf, u64 pa, u32 op, u32 id, u64 a0, u64 a1)
{
	struct vmk_vm_req rq = { .op = op, .id = id, .arg = { a0, a1, 0 } };

	memcpy(buf, &rq, sizeof(rq));
	return vmkload_hypercall(VMK_HC_VM_CTL, pa, sizeof(rq), 0);
}

static void bad_requests(void *buf, u64 pa)
{
	long before = vm_req(buf, pa, VMK_VM_LIST, 0, 0, 0);

	CHECK("create: 9 vCPUs", vm_req(buf, pa, VMK_VM_CREATE, 0, 8 << 20,
					 VMK_VM_MAX_VCPUS + 1), VMK_EINVAL);
	CHECK("create: 2^32 + 1 vCPUs", vm_req(buf, pa, VMK_VM_CREATE, 0, 8 << 20,
					       (1ull << 32) + 1), VMK_EINVAL);
	CHECK("create: ~0 vCPUs", vm_req(buf, pa, VMK_VM_CREATE, 0, 8 << 20, ~0ull),
	      VMK_EINVAL);
	CHECK("create: no memory", vm_req(buf, pa, VMK_VM_CREATE, 0, 0, 1), VMK_EINVAL);
	CHECK("create: memory over the limit", vm_req(buf, pa, VMK_VM_CREATE, 0,
						      VMK_VM_MAX_MEM + 1, 1), VMK_EINVAL);
	CHECK("op past the last", vm_req(buf, pa, VMK_VM_OPS, 1, 0, 0), VMK_ENOSYS);
	CHECK("request of the wrong size",
	      vmkload_hypercall(VMK_HC_VM_CTL, pa, sizeof(struct vmk_vm_req) - 1, 0), VMK_EFAULT);
	CHECK("no VM left behind", vm_req(buf, pa, VMK_VM_LIST, 0, 0, 0), before);
	CHECK("cosched: mode 3", vmkload_hypercall(VMK_HC_CPU_CTL, VMK_CPU_COSCHED, 3, 0),
	      VMK_EINVAL);
	CHECK("cosched: mode ~0", vmkload_hypercall(VMK_HC_CPU_CTL, VMK_CPU_COSCHED, ~0ul, 0),
	      VMK_EINVAL);
	CHECK("cosched: unchanged (none)",
	      vmkload_hypercall(VMK_HC_CPU_CTL, VMK_CPU_COSCHED, VMK_COSCHED_QUERY, 0),
	      VMK_COSCHED_NONE);
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
	apic_attacks(buf, virt_to_phys(buf));
	mapping_cache(buf, virt_to_phys(buf));
	bad_requests(buf, virt_to_phys(buf));
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
