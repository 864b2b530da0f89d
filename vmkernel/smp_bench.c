/* VMK_HC_SMP_BENCH: what a TLB shootdown costs as the CPUs it reaches grow
 * (issue 5, item 4).  Today it is smp/'s only caller in the vmkernel: no
 * mapping that another CPU may cache changes at run time (smp/README.md,
 * "Who needs a shootdown"), so the bench flushes a scratch page of the
 * vmkernel's own without changing its mapping -- the shootdown's whole
 * cost, which a real remap would add a PTE write to. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmk_smp.h"

static uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* The counters a shootdown moves, summed over @set (and the initiator @me). */
struct bench_counts {
	struct smp_stats me;
	uint64_t handled, irqs, tlb_pages, tlb_full;
};

static void counts_read(struct bench_counts *c, unsigned me, const struct smp_cpuset *set)
{
	struct smp_stats st;
	unsigned cpu;

	smp_cpu_stats(&vmk_smp, me, &c->me);
	c->handled = c->irqs = 0;
	c->tlb_pages = c->me.tlb_pages;
	c->tlb_full = c->me.tlb_full;
	smp_cpuset_for_each(cpu, set) {
		smp_cpu_stats(&vmk_smp, cpu, &st);
		c->handled += st.handled;
		c->irqs += vmk_smp_irqs(cpu);
		c->tlb_pages += st.tlb_pages;
		c->tlb_full += st.tlb_full;
	}
}

static void counts_delta(struct vmk_smp_bench *r, const struct bench_counts *a,
			 const struct bench_counts *b)
{
	r->ipis_sent = b->me.ipis - a->me.ipis;
	r->tlb_requests = b->me.tlb_requests - a->me.tlb_requests;
	r->timeouts = b->me.timeouts - a->me.timeouts;
	r->ipis_handled = b->handled - a->handled;
	r->ipi_irqs = b->irqs - a->irqs;
	r->tlb_pages = b->tlb_pages - a->tlb_pages;
	r->tlb_full = b->tlb_full - a->tlb_full;
}

/* n shootdowns of the scratch page to @set; the initiator flushes its own
 * TLB entry itself (it is not online: a COS CPU). */
static void bench_loop(struct vmk_smp_bench *r, const struct smp_cpuset *set, int mark,
		       struct smp_cpuset *missing)
{
	struct smp_tlb_req req;
	unsigned cpu;
	uint64_t t0;

	smp_tlb_req_pages(&req, 0);
	smp_tlb_req_add(&req, (uintptr_t)scratch);
	smp_cpuset_zero(missing);
	if (mark)
		insn_mark_begin();
	t0 = rdtsc();
	for (r->done = 0; r->done < r->n; r->done++) {
		invlpg((uintptr_t)scratch);
		r->err = smp_tlb_shootdown(&vmk_smp, set, &req, r->timeout_tsc, missing);
		if (r->err)
			break;
	}
	r->tsc = rdtsc() - t0;
	if (mark)
		insn_mark_end();
	smp_cpuset_for_each(cpu, missing)
		r->missing |= 1ull << cpu;
}

int64_t smp_bench_hypercall(struct pcpu *p, uint64_t arg, uint64_t pa, uint64_t len)
{
	struct vmk_smp_bench r = { 0 };
	struct bench_counts before, after;
	struct smp_cpuset set, missing;
	unsigned cpu;
	char what[80];

	r.n = (uint32_t)arg;
	if ((arg >> 32) & ~(VMK_SMP_BENCH_MARK >> 32) || r.n == 0 || r.n > VMK_SMP_BENCH_MAX)
		return VMK_EINVAL;
	if (len < sizeof(r) || len > VMK_HC_MAX_BUF || !mem_cos_range_ok(pa, len))
		return VMK_EFAULT;
	r.cpu = p->index;
	r.timeout_tsc = vmk_smp_timeout();
	smp_online(&vmk_smp, &set);
	smp_cpuset_del(&set, p->index);
	smp_cpuset_for_each(cpu, &set)
		r.targets |= 1ull << cpu;
	counts_read(&before, p->index, &set);
	bench_loop(&r, &set, !!(arg & VMK_SMP_BENCH_MARK), &missing);
	counts_read(&after, p->index, &set);
	counts_delta(&r, &before, &after);
	if (r.err) {
		vmk_snprintf(what, sizeof(what), "bench shootdown %u of %u: %s", r.done + 1, r.n,
			     vmk_strerror(r.err));
		vmk_smp_log_missing(what, &missing);
	}
	return cos_write(p->index, pa, &r, sizeof(r)) ?: (int64_t)sizeof(r);
}
