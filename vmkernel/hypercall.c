/* Hypercalls from the COS kernel (VMMCALL at CPL 0, checked by the exit
 * handler).  Every argument is untrusted: numbers, lengths and addresses are
 * checked before use, buffers must lie wholly in COS RAM outside vmkernel
 * memory, and a refusal is counted. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include <vmk/hypercall.h>
#include "trace_emit.h"
#include "pcpu_cache.h"
#include "vm.h"
#include "cpuctl.h"
#include "vmk_smp.h"

typedef int64_t (*hc_fn)(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2);

uint64_t vmk_launch_tsc;
static struct vmk_status status_scratch;   /* under scratch_lock() */
static volatile int status_lock;          /* the scratch lock */

/* Hypercall results go to COS memory through this CPU's mapping cache. */
static int64_t copy_out(struct pcpu *p, uint64_t pa, uint64_t len, const void *src,
			uint64_t n)
{
	if (len > VMK_HC_MAX_BUF || !mem_cos_range_ok(pa, len))
		return VMK_EFAULT;
	return cos_write(p->index, pa, src, n) ?: (int64_t)n;
}

static int64_t hc_version(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)p, (void)a0, (void)a1, (void)a2;
	return VMK_HC_ABI_VERSION;
}

static int64_t hc_nop(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)p, (void)a0, (void)a1, (void)a2;
	return 0;
}

static void status_fill(struct vmk_status *s)
{
	memset(s, 0, sizeof(*s));
	s->abi_version = VMK_HC_ABI_VERSION;
	s->ncpus = vmk_boot->ncpus;
	s->mem_size = vmk_boot->mem_size;
	s->mem_free = mem_free_bytes();
	s->log_size = vmk_log_total();
	s->launch_tsc = vmk_launch_tsc;
	s->now_ns = cpuctl_clock_ns();
	for (uint32_t i = 0; i < vmk_boot->ncpus && i < ARRAY_SIZE(s->cpu); i++) {
		const struct pcpu *c = vmk_pcpus[i];
		struct pcpu_stats ms;

		if (!c)
			continue;
		s->cpu[i] = c->stat;
		s->cpu[i].cpu = c->linux_cpu;
		s->cpu[i].apic_id = c->apic_id;
		s->cpu[i].owner = __atomic_load_n(&c->owner, __ATOMIC_ACQUIRE);
		cosmem_stats(i, &ms);
		s->cpu[i].map_hits = ms.hits;
		s->cpu[i].map_misses = ms.misses;
		s->cpu[i].map_evictions = ms.evictions;
	}
}

/* One lock for the static reply buffers below. */
static void scratch_lock(void)
{
	while (__atomic_exchange_n(&status_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void scratch_unlock(void)
{
	__atomic_store_n(&status_lock, 0, __ATOMIC_RELEASE);
}

/* Build a reply in a static object (under the scratch lock) and copy the
 * prefix that fits in the caller's @len bytes at @pa. */
static int64_t reply(struct pcpu *p, uint64_t pa, uint64_t len, void (*fill)(void *),
		     void *obj, uint64_t size)
{
	int64_t r;

	scratch_lock();
	fill(obj);
	r = copy_out(p, pa, len, obj, len < size ? len : size);
	scratch_unlock();
	return r;
}

static void fill_status(void *o)
{
	status_fill(o);
}

static void fill_trace_info(void *o)
{
	trace_info_fill(o);
}

/* (pa, len): the struct vmk_status prefix that fits in len. */
static int64_t hc_status(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t a2)
{
	(void)a2;
	return reply(p, pa, len, fill_status, &status_scratch, sizeof(status_scratch));
}

/* (pa, len, offset): log bytes from absolute offset, a page at a time. */
static int64_t hc_log_read(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t off)
{
	static char bounce[PAGE_SIZE];   /* under scratch_lock */
	uint64_t done = 0, n;
	int64_t r = 0;

	if (len > VMK_HC_MAX_BUF || !mem_cos_range_ok(pa, len))
		return VMK_EFAULT;
	if (off > vmk_log_total())
		return VMK_ERANGE;
	/* Bytes already overwritten are gone: start at the oldest still held,
	 * once, so the count returned matches what was copied. */
	if (off < vmk_log_oldest())
		off = vmk_log_oldest();
	scratch_lock();
	while (done < len && r >= 0) {
		n = vmk_log_copy(bounce, len - done < PAGE_SIZE ? len - done : PAGE_SIZE,
				 off + done);
		if (!n)
			break;
		r = copy_out(p, pa + done, n, bounce, n);
		done += n;
	}
	scratch_unlock();
	return r < 0 ? r : (int64_t)done;
}

static int64_t hc_unload(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	vmk_log("cpu%u: unload: returning the CPU to the COS\n", p->linux_cpu);
	vmk_smp_cpu_online(p, 0);   /* never online here (a COS CPU); never waited for */
	leave_to_cos(p, 0);
}

static int64_t hc_trace_start(struct pcpu *p, uint64_t mode, uint64_t mask, uint64_t cons)
{
	(void)p;
	return trace_start(mode, mask, cons);
}

static int64_t hc_trace_stop(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)p, (void)a0, (void)a1, (void)a2;
	return trace_stop();
}

/* (pa, len): the struct vmk_trace_info prefix that fits in len. */
static int64_t hc_trace_info(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t a2)
{
	static struct vmk_trace_info ti;   /* under scratch_lock */

	(void)a2;
	return reply(p, pa, len, fill_trace_info, &ti, sizeof(ti));
}

static int64_t hc_vm_ctl(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t a2)
{
	(void)a2;
	return vm_ctl(p, pa, len);
}

static int64_t hc_vm_run(struct pcpu *p, uint64_t id, uint64_t a1, uint64_t a2)
{
	(void)a1, (void)a2;
	return vm_run(p, id);
}

static int64_t hc_cpu_ctl(struct pcpu *p, uint64_t op, uint64_t index, uint64_t a2)
{
	(void)a2;
	return cpuctl_hypercall(p, op, index);
}

static const hc_fn hc_table[VMK_HC_COUNT] = {
	[VMK_HC_SMP_BENCH] = smp_bench_hypercall,
	[VMK_HC_CPU_CTL] = hc_cpu_ctl,
	[VMK_HC_VM_CTL] = hc_vm_ctl,
	[VMK_HC_VM_RUN] = hc_vm_run,
	[VMK_HC_TRACE_START] = hc_trace_start,
	[VMK_HC_TRACE_STOP] = hc_trace_stop,
	[VMK_HC_TRACE_INFO] = hc_trace_info,
	[VMK_HC_VERSION] = hc_version,
	[VMK_HC_NOP] = hc_nop,
	[VMK_HC_STATUS] = hc_status,
	[VMK_HC_LOG_READ] = hc_log_read,
	[VMK_HC_UNLOAD] = hc_unload,
};

int64_t hypercall_dispatch(struct pcpu *p, uint64_t nr, uint64_t a0, uint64_t a1,
			   uint64_t a2)
{
	int64_t r;

	if (nr >= VMK_HC_COUNT || !hc_table[nr]) {
		p->stat.bad_hypercalls++;
		return VMK_ENOSYS;
	}
	r = hc_table[nr](p, a0, a1, a2);
	if (r < 0)
		p->stat.bad_hypercalls++;
	trace_hypercall(&p->tw, (uint32_t)nr, (int32_t)r, a0, a1);
	return r;
}
