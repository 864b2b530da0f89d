/* The vmkernel's side of tracing: one ring per CPU in vmkernel memory,
 * mapped read-only into the COS, and the session control the COS asks for.
 * A session is started or stopped from any CPU; each CPU formats its own
 * ring at its next exit (trace_cpu_sync), so only the owner ever writes it. */
#include "vmk_core.h"
#include "pcpu.h"
#include "spinlock.h"
#include "../lib/pagetable.h"
#include <vmk/hypercall.h>
#include "trace_ring.h"

#define TRACE_SLOTS 4096u

struct trace_ctl {
	uint64_t generation;   /* bumped by each start */
	uint64_t mask;
	uint32_t mode;
	uint32_t active;
	uint64_t cons_pa;      /* drop-new: COS memory holding the consumer lines */
};

static struct trace_ctl ctl;
uint64_t trace_gen_now;   /* ctl.generation, readable without the lock */
static spinlock_t ctl_lock;
static void *ring_va[VMK_MAX_CPUS];
static uint64_t ring_pa[VMK_MAX_CPUS];

int npt_map_cos_readonly(uint64_t pa, uint64_t len);

int trace_init(void)
{
	size_t bytes = trace_ring_bytes(TRACE_SLOTS);
	unsigned pages = (unsigned)((bytes + PAGE_SIZE - 1) / PAGE_SIZE);

	for (uint32_t i = 0; i < vmk_boot->ncpus; i++) {
		ring_va[i] = mem_alloc_contig(pages, &ring_pa[i]);
		if (!ring_va[i])
			return VMK_ENOMEM;
		int err = npt_map_cos_readonly(ring_pa[i], (uint64_t)pages * PAGE_SIZE);
		if (err)
			return err;
	}
	return VMK_OK;
}

/* On the owning CPU, at an exit after a session started: format the ring. */
void trace_cpu_join(struct pcpu *p)
{
	struct trace_ctl c;
	const struct trace_ring_cons *cons = NULL;

	spin_lock(&ctl_lock);
	c = ctl;
	spin_unlock(&ctl_lock);
	/* The consumer line stays mapped (on this CPU) for the whole session. */
	cos_unmap(p->index, p->trace_cons);
	p->trace_cons = NULL;
	if (c.mode == VMK_TRACE_MODE_DROP_NEW) {
		p->trace_cons = cos_map(p->index, c.cons_pa + 64ull * p->index);
		cons = p->trace_cons;
		if (!cons)
			c.active = 0;   /* cannot happen: checked at start */
	}
	if (trace_writer_init(&p->tw, ring_va[p->index], trace_ring_bytes(TRACE_SLOTS),
			      TRACE_SLOTS, (uint16_t)p->linux_cpu, (enum trace_mode)c.mode,
			      cons) == 0) {
		/* Enable only if no stop came in meanwhile: trace_stop disables
		 * writers under the same lock. */
		spin_lock(&ctl_lock);
		if (ctl.active && ctl.generation == c.generation)
			trace_set_enabled(&p->tw, c.mask);
		spin_unlock(&ctl_lock);
	}
	p->trace_gen = c.generation;
}

int64_t trace_start(uint64_t mode, uint64_t mask, uint64_t cons_pa)
{
	if (mode > VMK_TRACE_MODE_DROP_NEW || (mask & ~TRACE_EV_ALL) || !mask)
		return VMK_EINVAL;
	/* Consumer lines: 64 bytes per CPU, all in one COS page. */
	if (mode == VMK_TRACE_MODE_DROP_NEW &&
	    ((cons_pa & 63) || (cons_pa & (PAGE_SIZE - 1)) + 64ull * vmk_boot->ncpus > PAGE_SIZE ||
	     !mem_cos_range_ok(cons_pa, 64ull * vmk_boot->ncpus)))
		return VMK_EFAULT;
	spin_lock(&ctl_lock);
	ctl.mode = (uint32_t)mode;
	ctl.mask = mask;
	ctl.cons_pa = cons_pa;
	ctl.active = 1;
	ctl.generation++;
	__atomic_store_n(&trace_gen_now, ctl.generation, __ATOMIC_RELEASE);
	spin_unlock(&ctl_lock);
	return 0;
}

int64_t trace_stop(void)
{
	spin_lock(&ctl_lock);
	ctl.active = 0;
	for (uint32_t i = 0; i < vmk_boot->ncpus; i++)
		if (vmk_pcpus[i])
			trace_set_enabled(&vmk_pcpus[i]->tw, 0);
	spin_unlock(&ctl_lock);
	return 0;
}

void trace_info_fill(struct vmk_trace_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	spin_lock(&ctl_lock);
	ti->mode = ctl.mode;
	ti->active = ctl.active;
	ti->mask = ctl.mask;
	ti->generation = ctl.generation;
	spin_unlock(&ctl_lock);
	ti->ncpus = vmk_boot->ncpus;
	ti->slots = TRACE_SLOTS;
	for (uint32_t i = 0; i < vmk_boot->ncpus && i < ARRAY_SIZE(ti->cpu); i++) {
		ti->cpu[i].ring_pa = ring_pa[i];
		ti->cpu[i].ring_bytes = trace_ring_bytes(TRACE_SLOTS);
		ti->cpu[i].cpu = vmk_boot->cpus[i].cpu;
		ti->cpu[i].apic_id = vmk_boot->cpus[i].apic_id;
	}
}
