/* smp microbenchmarks, hosted: what a shootdown costs its initiator.
 *
 *   shootdown/1/P   the caller alone in the set: no IPI, no lock, its own
 *                   flush of P pages (P > 16: one ASID flush instead)
 *   shootdown/2/P   the caller and one other CPU, played by a thread that
 *                   busy-polls its "IPI" flag: one round trip through the
 *                   mailboxes and the call lock per iteration
 *   call/1, call/2  smp_call() of an empty function, the same two ways
 *
 * The flush hooks only count and the IPI is a flag, so these are the
 * protocol's costs; the lab's shootdown-versus-CPU-count figures (issue 5)
 * need the real vector and TLB.  Wall time on two shared cores is noisy. */
#include <vmk_bench.h>

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "smp_tlb.h"

#define SB_CPUS 2

static _Thread_local unsigned sb_cpu;
static struct smp sb_smp;
static uint32_t sb_ipi[SB_CPUS];
static uint32_t sb_stop;
static uint64_t sb_flushes[SB_CPUS];   /* each written by its CPU only */

static void sb_send_ipi(void *ctx, const struct smp_cpuset *set)
{
	unsigned cpu;

	(void)ctx;
	smp_cpuset_for_each(cpu, set)
		__atomic_store_n(&sb_ipi[cpu], 1, __ATOMIC_RELEASE);
}

static void sb_flush_page(void *ctx, uint32_t asid, uintptr_t va)
{
	(void)ctx;
	(void)asid;
	(void)va;
	sb_flushes[sb_cpu]++;
}

static void sb_flush_asid(void *ctx, uint32_t asid)
{
	(void)ctx;
	(void)asid;
	sb_flushes[sb_cpu]++;
}

static void sb_flush_all(void *ctx)
{
	(void)ctx;
	sb_flushes[sb_cpu]++;
}

/* PAUSE, and now and then give the core away: on a shared two-core
 * machine the other CPU's thread may be waiting for it, and a pure spin
 * would then cost a whole time slice. */
static _Thread_local unsigned sb_spins;

static void sb_pause(void *ctx)
{
	(void)ctx;
	smp_cpu_relax();
	if (++sb_spins % 256 == 0)
		sched_yield();
}

static unsigned sb_this_cpu(void *ctx)
{
	(void)ctx;
	return sb_cpu;
}

static uint64_t sb_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct smp_ops sb_ops = {
	sb_send_ipi, sb_flush_page, sb_flush_asid, sb_flush_all,
	sb_pause, sb_this_cpu, sb_now, NULL,
};

/* CPU 1: take the "IPI" whenever it is raised, until told to stop. */
static void *sb_poller(void *arg)
{
	(void)arg;
	sb_cpu = 1;
	while (!__atomic_load_n(&sb_stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_exchange_n(&sb_ipi[1], 0, __ATOMIC_ACQUIRE))
			smp_handle_ipi(&sb_smp);
		else
			sb_pause(NULL);
	}
	return NULL;
}

/* A fresh machine of @ncpus online CPUs (a poller thread for CPU 1). */
static int sb_start(unsigned ncpus, pthread_t *poller)
{
	struct smp_config cfg;
	unsigned cpu;

	sb_cpu = 0;
	smp_config_default(&cfg, SB_CPUS);
	if (smp_init(&sb_smp, &sb_ops, &cfg))
		return -1;
	for (cpu = 0; cpu < SB_CPUS; cpu++)
		if (smp_cpu_set_online(&sb_smp, cpu, true))
			return -1;
	__atomic_store_n(&sb_stop, 0, __ATOMIC_RELEASE);
	return ncpus > 1 ? pthread_create(poller, NULL, sb_poller, NULL) : 0;
}

static void sb_end(unsigned ncpus, pthread_t poller)
{
	__atomic_store_n(&sb_stop, 1, __ATOMIC_RELEASE);
	if (ncpus > 1)
		pthread_join(poller, NULL);
}

/* IPIs per iteration from the library's own counters: shows each case is
 * what it claims. */
static void sb_report(vmk_bench_state *s)
{
	struct smp_stats st;

	smp_cpu_stats(&sb_smp, 0, &st);
	vmk_bench_set_items(s, vmk_bench_iterations(s));
	vmk_bench_counter(s, "ipis_per_op",
			  (double)st.ipis / (double)(vmk_bench_iterations(s) + 1e-9), 0);
}

static void sb_shootdown(vmk_bench_state *s, void *arg)
{
	unsigned ncpus = (unsigned)vmk_bench_arg(s, 0), i;
	struct smp_cpuset set;
	struct smp_tlb_req r;
	pthread_t poller;

	(void)arg;
	smp_cpuset_fill(&set, ncpus);
	smp_tlb_req_pages(&r, 1);
	for (i = 0; i < (unsigned)vmk_bench_arg(s, 1); i++)
		smp_tlb_req_add(&r, (uintptr_t)(i + 1) << 12);
	if (sb_start(ncpus, &poller)) {
		vmk_bench_skip(s, "setup failed");
		return;
	}
	while (vmk_bench_keep_running(s))
		if (smp_tlb_shootdown(&sb_smp, &set, &r, SMP_WAIT_FOREVER, NULL)) {
			vmk_bench_skip(s, "shootdown failed");
			break;
		}
	sb_end(ncpus, poller);
	sb_report(s);
}

static void sb_nothing(struct smp *s, unsigned cpu, void *arg)
{
	(void)s;
	(void)cpu;
	vmk_bench_escape(arg);
}

static void sb_call(vmk_bench_state *s, void *arg)
{
	unsigned ncpus = (unsigned)vmk_bench_arg(s, 0);
	struct smp_cpuset set;
	pthread_t poller;

	(void)arg;
	smp_cpuset_fill(&set, ncpus);
	if (sb_start(ncpus, &poller)) {
		vmk_bench_skip(s, "setup failed");
		return;
	}
	while (vmk_bench_keep_running(s))
		if (smp_call(&sb_smp, &set, sb_nothing, &set, SMP_WAIT_FOREVER, NULL)) {
			vmk_bench_skip(s, "call failed");
			break;
		}
	sb_end(ncpus, poller);
	sb_report(s);
}

static void sb_register(void)
{
	static const int64_t pages[] = { 1, 16, 17 };
	unsigned n, p;

	for (n = 1; n <= SB_CPUS; n++) {
		for (p = 0; p < 3; p++) {
			struct vmk_bench_opts o = { .args = { n, pages[p] }, .nargs = 2,
						    .use_real_time = 1 };

			vmk_bench_add("shootdown", sb_shootdown, NULL, &o);
		}
		{
			struct vmk_bench_opts o = { .args = { n }, .nargs = 1, .use_real_time = 1 };

			vmk_bench_add("call", sb_call, NULL, &o);
		}
	}
}

VMK_BENCH_MAIN(sb_register)
