/* TLB shootdown as a cross-call whose function flushes the local TLB. */
#include "smp_tlb.h"

void smp_tlb_req_pages(struct smp_tlb_req *r, uint32_t asid)
{
	r->kind = SMP_TLB_PAGES;
	r->asid = asid;
	r->npages = 0;
}

void smp_tlb_req_asid(struct smp_tlb_req *r, uint32_t asid)
{
	r->kind = SMP_TLB_ASID;
	r->asid = asid;
	r->npages = 0;
}

void smp_tlb_req_all(struct smp_tlb_req *r)
{
	r->kind = SMP_TLB_ALL;
	r->asid = 0;
	r->npages = 0;
}

static bool smp_tlb_req_valid(const struct smp_tlb_req *r)
{
	return r->kind <= SMP_TLB_ALL && r->npages <= SMP_TLB_MAX_PAGES &&
	       (r->kind == SMP_TLB_PAGES || r->npages == 0);
}

int smp_tlb_req_add(struct smp_tlb_req *r, uintptr_t va)
{
	uint32_t i;

	if (!r || !smp_tlb_req_valid(r))
		return VMK_EINVAL;
	if (r->kind != SMP_TLB_PAGES)
		return VMK_OK;
	for (i = 0; i < r->npages; i++)
		if (r->va[i] >> SMP_TLB_PAGE_SHIFT == va >> SMP_TLB_PAGE_SHIFT)
			return VMK_OK;
	if (r->npages == SMP_TLB_MAX_PAGES) {
		smp_tlb_req_asid(r, r->asid);
		return VMK_OK;
	}
	r->va[r->npages++] = va;
	return VMK_OK;
}

/* The cross-call: runs on each CPU of the set, the initiator included. */
static void smp_tlb_flush(struct smp *s, unsigned cpu, void *arg)
{
	const struct smp_tlb_req *r = arg;
	struct smp_stats *st = &s->cpu[cpu].stats;
	uint32_t i;

	if (r->kind == SMP_TLB_PAGES && r->npages <= s->tlb_full_threshold) {
		for (i = 0; i < r->npages; i++)
			s->ops.flush_page(s->ops.ctx, r->asid, r->va[i]);
		smp_count(&st->tlb_pages, r->npages);
		return;
	}
	if (r->kind == SMP_TLB_ALL)
		s->ops.flush_all(s->ops.ctx);
	else
		s->ops.flush_asid(s->ops.ctx, r->asid);
	smp_count(&st->tlb_full, 1);
}

int smp_tlb_shootdown(struct smp *s, const struct smp_cpuset *set,
		      const struct smp_tlb_req *r, uint64_t timeout,
		      struct smp_cpuset *missing)
{
	if (missing)
		smp_cpuset_zero(missing);
	if (!s || !set || !r || !smp_tlb_req_valid(r))
		return VMK_EINVAL;
	if (r->kind == SMP_TLB_PAGES && r->npages == 0)
		return VMK_OK;
	/* The flush only reads the request; the cross-call's argument is not
	 * const because other calls' are not. */
	return smp_call_shootdown(s, set, smp_tlb_flush, (void *)(uintptr_t)r, timeout,
				  missing);
}
