/* Hypercalls from the COS kernel (VMMCALL at CPL 0, checked by the exit
 * handler).  Every argument is untrusted: numbers, lengths and addresses are
 * checked before use, buffers must lie wholly in COS RAM outside vmkernel
 * memory, and a refusal is counted. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include <vmk/hypercall.h>
#include "trace_emit.h"

typedef int64_t (*hc_fn)(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2);

uint64_t vmk_launch_tsc;
static struct vmk_status status_scratch;   /* built under status_lock */
static volatile int status_lock;

static void *cos_buf(uint64_t pa, uint64_t len)
{
	if (len > VMK_HC_MAX_BUF || !mem_cos_range_ok(pa, len))
		return NULL;
	return mem_pa_to_va(pa);
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
	for (uint32_t i = 0; i < vmk_boot->ncpus && i < ARRAY_SIZE(s->cpu); i++) {
		const struct pcpu *c = vmk_pcpus[i];

		if (!c)
			continue;
		s->cpu[i] = c->stat;
		s->cpu[i].cpu = c->linux_cpu;
		s->cpu[i].apic_id = c->apic_id;
	}
}

/* (pa, len): the struct vmk_status prefix that fits in len. */
static int64_t hc_status(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t a2)
{
	uint64_t n = len < sizeof(struct vmk_status) ? len : sizeof(struct vmk_status);
	void *dst = cos_buf(pa, len);

	(void)p, (void)a2;
	if (!dst)
		return VMK_EFAULT;
	while (__atomic_exchange_n(&status_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	status_fill(&status_scratch);
	memcpy(dst, &status_scratch, n);
	__atomic_store_n(&status_lock, 0, __ATOMIC_RELEASE);
	return (int64_t)n;
}

/* (pa, len, offset): log bytes from absolute offset. */
static int64_t hc_log_read(struct pcpu *p, uint64_t pa, uint64_t len, uint64_t off)
{
	char *dst = cos_buf(pa, len);

	(void)p;
	if (!dst)
		return VMK_EFAULT;
	if (off > vmk_log_total())
		return VMK_ERANGE;
	return (int64_t)vmk_log_copy(dst, len, off);
}

static int64_t hc_unload(struct pcpu *p, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	vmk_log("cpu%u: unload: returning the CPU to the COS\n", p->linux_cpu);
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
	static struct vmk_trace_info ti;   /* under status_lock */
	uint64_t n = len < sizeof(ti) ? len : sizeof(ti);
	void *dst = cos_buf(pa, len);

	(void)p, (void)a2;
	if (!dst)
		return VMK_EFAULT;
	while (__atomic_exchange_n(&status_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	trace_info_fill(&ti);
	memcpy(dst, &ti, n);
	__atomic_store_n(&status_lock, 0, __ATOMIC_RELEASE);
	return (int64_t)n;
}

static const hc_fn hc_table[VMK_HC_COUNT] = {
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
