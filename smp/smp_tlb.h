/* TLB shootdown: when a mapping that other CPUs may cache changes, flush it
 * from exactly the CPUs that may cache it and wait until they have.
 *
 * A request describes what to flush in one address space: a batch of up to
 * SMP_TLB_MAX_PAGES pages of one ASID, a whole ASID, or everything.  The
 * caller builds it (on its stack), changes its page tables, then calls
 * smp_tlb_shootdown() with the CPUs that may cache the old mapping (in
 * nested paging: the CPUs the guest's ASID has run on since their last full
 * flush of it; the vmkernel's own mappings: every online CPU).
 *
 * On each CPU of the set a batch of more than the configured threshold
 * (smp_config.tlb_full_threshold) pages becomes one flush of its ASID:
 * past some count, one flush and the refills cost less than INVLPGs. */
#ifndef SMP_TLB_H
#define SMP_TLB_H

#include "smp.h"

#define SMP_TLB_PAGE_SHIFT 12

enum smp_tlb_kind {
	SMP_TLB_PAGES = 0,  /* va[0..npages) of asid */
	SMP_TLB_ASID = 1,   /* every entry of asid */
	SMP_TLB_ALL = 2,    /* every entry, global ones included */
};

struct smp_tlb_req {
	uint32_t kind;      /* enum smp_tlb_kind */
	uint32_t asid;      /* PAGES, ASID */
	uint32_t npages;    /* PAGES */
	uintptr_t va[SMP_TLB_MAX_PAGES];
};

/* An empty batch of pages of @asid. */
void smp_tlb_req_pages(struct smp_tlb_req *r, uint32_t asid);
/* Add the page holding @va (a page already in the batch is not repeated).
 * A batch already holding SMP_TLB_MAX_PAGES pages becomes a flush of its
 * whole ASID; an ASID or ALL request already covers @va.  EINVAL: NULL or
 * a malformed request. */
int smp_tlb_req_add(struct smp_tlb_req *r, uintptr_t va);
void smp_tlb_req_asid(struct smp_tlb_req *r, uint32_t asid);
void smp_tlb_req_all(struct smp_tlb_req *r);

/* Flush @r on every CPU of @set: the caller, if in @set, flushes its own
 * TLB; the others get an IPI and flush in their handler; returns once each
 * has (an empty batch does nothing).  Errors and @timeout/@missing are
 * smp_call()'s, plus EINVAL for a malformed request.  On ETIMEDOUT each CPU
 * of @missing owes a full flush, which it does the next time it runs
 * smp_handle_ipi() (its IPI is still pending): until then it may use a
 * stale entry, so the vmkernel must not let it run the affected world. */
int smp_tlb_shootdown(struct smp *s, const struct smp_cpuset *set,
		      const struct smp_tlb_req *r, uint64_t timeout,
		      struct smp_cpuset *missing);

#endif
