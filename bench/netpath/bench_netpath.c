/* netpath ring against DPDK's rte_ring, producer and consumer pinned on the
 * two cores, in one binary and one run.
 *
 * One benchmark iteration is one batch: the producer (a VM's driver) queues
 * `batch` references to preexisting `size`-byte frames in guest memory and
 * kicks once; the consumer (the vmkernel back end) bursts up to 32, reads
 * each frame's first 8 bytes (what a switch would look at; a NIC would DMA
 * the rest) and completes them.  rte_ring carries the same references.
 *
 * Both producers take each batch as a slice of a table of references built
 * once per run, in the form their ring's burst call takes (rte_ring: an
 * array of pointers; netpath: an array of descriptors), so that neither
 * harness spends instructions per packet describing frames and the counts
 * are the rings' own.  NBUFS is a multiple of every batch size, so a slice
 * never wraps.
 *
 * Variants (netpath's rings use the asymmetric wake ordering of ring_core.h,
 * with membarrier(2) as the remote fence, unless named _fenced):
 *   netpath_zc_poll   zero copy, the back end only polls (never re-arms)
 *   netpath_zcw_poll  the same on a TX word ring (NETPATH_FMT_WORD)
 *   netpath_zc_poll_fenced  the same with fenced ordering: a full barrier
 *                     on every publish and release
 *   netpath_zcw_poll_fenced  the word ring, fenced: how a VM's ring runs
 *                     until the vmkernel has a remote fence (netpath/README.md)
 *   netpath_zc_idle   zero copy, the back end re-arms its doorbell every time
 *                     it finds the ring empty (as one about to halt would):
 *                     the worst case for doorbells (and, asymmetric, one
 *                     remote fence per arm)
 *   netpath_copy_poll the patent's copy into a host transmit buffer
 *   dpdk_rte_ring_spsc  rte_ring SP/SC: no notification, no validation
 *
 * Counters: Mpps, doorbells_per_pkt, copies_per_pkt. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmk/err.h>

#include "netpath_be.h"
#include "netpath_drv.h"
#include "np_bench.h"
#include "ring_membarrier.h"
#include "vmk_bench.h"

#define SLOTS 256u
#define NBUFS 1024u
#define BUF_SIZE 2048u
#define RING_BYTES 8192u                    /* >= ring_mem_size(SLOTS, 16) */
#define BUF_OFF (2 * RING_BYTES)
#define MEM_SIZE (BUF_OFF + NBUFS * BUF_SIZE)
#define GPA_BASE 0x100000000ull
#define BURST 32u

enum kind { ZC_POLL, ZC_IDLE, COPY_POLL, RTE };

struct variant {
	const char *name;
	enum kind kind;
	bool fenced;      /* netpath: fenced wake ordering, else asymmetric */
	bool words;       /* netpath: TX word ring (NETPATH_FMT_WORD) */
};

static const struct variant variants[] = {
	{ "netpath_zc_poll", ZC_POLL, false, false },
	{ "netpath_zcw_poll", ZC_POLL, false, true },
	{ "netpath_zc_poll_fenced", ZC_POLL, true, false },
	{ "netpath_zcw_poll_fenced", ZC_POLL, true, true },
	{ "netpath_zc_idle", ZC_IDLE, false, false },
	{ "netpath_copy_poll", COPY_POLL, false, false },
	{ "dpdk_rte_ring_spsc", RTE, false, false },
};

static int dpdk_ok;
static const char *dpdk_why = "";
static int membarrier_ok;   /* the asymmetric ordering's remote fence works */

/* Each side's private state on its own cache lines: the producer's driver
 * state and the consumer's back-end state must not share a line, or the
 * benchmark measures false sharing instead of the ring. */
struct run {
	enum kind kind;
	bool fenced;
	bool words;
	uint32_t size;
	uint32_t batch;
	uint8_t *mem;
	uint8_t *bounce;
	struct ring_region region;
	void *rte;
	void **ptrs;                      /* rte_ring's references (CPU 0) */
	struct netpath_desc *descs;       /* netpath's references (CPU 0) */
	netpath_txw *txw;                 /* the same, for a word ring (CPU 0) */
	_Alignas(128) struct netpath_drv drv;     /* CPU 0 */
	_Alignas(128) struct netpath_be be;       /* CPU 1 */
	_Alignas(128) uint64_t total;  /* frames produced; valid once stop is set */
	int stop;
	int ready;
	_Alignas(128) uint64_t sink;
};

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static int pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static uint8_t *buf_at(struct run *r, uint32_t i) { return r->mem + BUF_OFF + (size_t)i * BUF_SIZE; }

static int run_setup_netpath(struct run *r)
{
	ring_fence_fn fence = r->fenced ? NULL : ring_membarrier;
	struct netpath_be_cfg cfg = {
		.regions = &r->region, .nregions = 1,
		.dev = { .abi_version = NETPATH_ABI_VERSION,
			 .tx = { GPA_BASE, SLOTS, r->words ? NETPATH_FMT_WORD : NETPATH_FMT_DESC },
			 .rx = { GPA_BASE + RING_BYTES, SLOTS, 0 } },
		.mode = r->kind == COPY_POLL ? NETPATH_COPY : NETPATH_ZEROCOPY,
		.bounce = r->bounce, .bounce_len = NETPATH_MAX_BURST * BUF_SIZE,
		.remote_fence = fence,
	};
	int err = netpath_drv_init(&r->drv, r->mem, RING_BYTES, SLOTS,
				   r->mem + RING_BYTES, RING_BYTES, SLOTS, NULL, NULL);
	if (err == VMK_OK && r->words)
		err = netpath_drv_set_tx_format(&r->drv, NETPATH_FMT_WORD);
	if (err == VMK_OK)
		netpath_drv_set_remote_fence(&r->drv, fence, NULL);
	return err ? err : netpath_be_init(&r->be, &cfg);
}

/* The same NBUFS frames, described once for each ring. */
static void run_refs(struct run *r)
{
	for (uint32_t i = 0; i < NBUFS; i++) {
		r->ptrs[i] = buf_at(r, i);
		r->descs[i] = (struct netpath_desc){ GPA_BASE + BUF_OFF + (uint64_t)i * BUF_SIZE,
						     r->size, 0, (uint16_t)i };
		r->txw[i] = netpath_txw_make(r->descs[i].gpa, r->size);
	}
}

static void run_free_mem(struct run *r)
{
	free(r->mem);
	free(r->bounce);
	free(r->ptrs);
	free(r->descs);
	free(r->txw);
	free(r);
}

static struct run *run_new(const struct variant *v, uint32_t size, uint32_t batch,
			   const char **why)
{
	const enum kind kind = v->kind;
	struct run *r = aligned_alloc(128, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->fenced = v->fenced;
	r->words = v->words;
	r->size = size;
	r->batch = batch;
	r->mem = aligned_alloc(4096, MEM_SIZE);
	r->bounce = aligned_alloc(64, NETPATH_MAX_BURST * BUF_SIZE);
	r->ptrs = aligned_alloc(64, NBUFS * sizeof(*r->ptrs));
	r->descs = aligned_alloc(64, NBUFS * sizeof(*r->descs));
	r->txw = aligned_alloc(64, NBUFS * sizeof(*r->txw));
	memset(r->mem, 0xab, MEM_SIZE);
	memset(r->bounce, 0, NETPATH_MAX_BURST * BUF_SIZE);
	run_refs(r);
	if (batch == 0 || batch > BURST || NBUFS % batch) {
		*why = "batch must divide NBUFS and be at most 32";
		run_free_mem(r);
		return NULL;
	}
	r->region = (struct ring_region){ GPA_BASE, MEM_SIZE, r->mem };
	if (kind == RTE) {
		r->rte = dpdk_ok ? np_dpdk_ring(SLOTS, why) : NULL;
		if (!dpdk_ok)
			*why = dpdk_why;
	} else if (!r->fenced && !membarrier_ok) {
		*why = "membarrier(2) private expedited unavailable (asymmetric wake ordering)";
	} else if (run_setup_netpath(r)) {
		*why = "netpath set-up failed";
	} else {
		return r;
	}
	if (r->rte)
		return r;
	run_free_mem(r);
	return NULL;
}

static void run_free(struct run *r)
{
	if (r->rte)
		np_dpdk_ring_free(r->rte);
	run_free_mem(r);
}

/* ---- consumer side (CPU 1) ---- */

static int done_consuming(struct run *r, uint64_t got)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && got >= r->total;
}

static void consume_netpath(struct run *r)
{
	struct netpath_pkt pkts[BURST];
	uint64_t got = 0, sink = 0;
	for (;;) {
		uint32_t n = netpath_be_tx_burst(&r->be, pkts, BURST);
		for (uint32_t i = 0; i < n; i++)
			sink += *(const uint64_t *)netpath_pkt_base(&r->be, &pkts[i]);
		if (n) {
			netpath_be_tx_complete(&r->be);
			got += n;
			continue;
		}
		if (done_consuming(r, got))
			break;
		if (r->kind == ZC_IDLE)
			ring_cons_arm(&r->be.tx, 1);
		cpu_relax();
	}
	r->sink = sink;
}

static void consume_rte(struct run *r)
{
	void *objs[BURST];
	uint64_t got = 0, sink = 0;
	for (;;) {
		unsigned n = np_dpdk_consume(r->rte, objs, BURST);
		for (unsigned i = 0; i < n; i++)
			sink += *(const uint64_t *)objs[i];
		got += n;
		if (n)
			continue;
		if (done_consuming(r, got))
			break;
		cpu_relax();
	}
	r->sink = sink;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	pin(1);
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
	if (r->kind == RTE)
		consume_rte(r);
	else
		consume_netpath(r);
	return NULL;
}

/* ---- producer side (CPU 0) ---- */

/* Each batch is the next slice of the run's descriptor (or word) table,
 * queued in one call (netpath_drv_tx_add_burst or _add_words, as rte_ring's
 * bulk enqueue). */
static void produce_netpath(struct run *r, uint32_t *next)
{
	const uint32_t at = *next;
	const uint32_t batch = r->batch;
	uint32_t done = 0;
	*next = (*next + batch) % NBUFS;
	for (;;) {
		/* Reclaim lazily: reading cons costs a cache-line transfer. */
		if (ring_prod_space(&r->drv.tx) - r->drv.tx_fill < batch - done)
			netpath_drv_tx_reclaim(&r->drv, NULL, SLOTS);
		if (r->words)
			done += netpath_drv_tx_add_words(&r->drv, r->txw + at + done, batch - done);
		else
			done += netpath_drv_tx_add_burst(&r->drv, r->descs + at + done, batch - done);
		if (done == batch)
			break;
		netpath_drv_tx_kick(&r->drv);   /* ring full: let it drain */
		cpu_relax();
	}
	netpath_drv_tx_kick(&r->drv);
}

static void produce_rte(struct run *r, uint32_t *next)
{
	void **objs = r->ptrs + *next;
	*next = (*next + r->batch) % NBUFS;
	np_dpdk_produce(r->rte, objs, r->batch);
}

static void report(vmk_bench_state *s, struct run *r)
{
	double pkts = (double)r->total;
	vmk_bench_set_items(s, (int64_t)r->total);
	vmk_bench_set_bytes(s, (int64_t)(r->total * r->size));
	vmk_bench_counter(s, "Mpps", pkts / 1e6, 1);
	if (pkts == 0)
		return;
	double bells = r->kind == RTE ? 0 : (double)r->drv.st.tx_doorbells;
	double copies = r->kind == RTE ? 0 : (double)r->be.txs.copies;
	vmk_bench_counter(s, "doorbells_per_pkt", bells / pkts, 0);
	vmk_bench_counter(s, "copies_per_pkt", copies / pkts, 0);
	vmk_bench_counter(s, "drops", r->kind == RTE ? 0 : (double)r->be.txs.drops, 0);
}

static void bm_ring(vmk_bench_state *s, void *arg)
{
	const struct variant *v = arg;
	const char *why = "";
	uint32_t next = 0;
	uint64_t batches = 0;
	struct run *r = run_new(v, (uint32_t)vmk_bench_arg(s, 0), (uint32_t)vmk_bench_arg(s, 1), &why);
	pthread_t t;
	if (!r) {
		vmk_bench_skip(s, why);
		return;
	}
	if (pin(0) || pthread_create(&t, NULL, consumer, r)) {
		run_free(r);
		vmk_bench_skip(s, "cannot pin to CPUs 0 and 1 or start the consumer");
		return;
	}
	while (!__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	while (vmk_bench_keep_running(s)) {
		if (r->kind == RTE)
			produce_rte(r, &next);
		else
			produce_netpath(r, &next);
		batches++;
	}
	r->total = batches * r->batch;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	vmk_bench_escape(&r->sink);
	report(s, r);
	run_free(r);
}

static void register_all(void)
{
	static const int64_t sizes[] = { 64, 1500 };
	static const int64_t batches[] = { 1, 8, 32 };
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
		for (size_t i = 0; i < 2; i++)
			for (size_t j = 0; j < 3; j++) {
				struct vmk_bench_opts o = { .args = { sizes[i], batches[j] },
							    .nargs = 2, .use_real_time = 1 };
				vmk_bench_add(variants[v].name, bm_ring, (void *)&variants[v], &o);
			}
}

/* ---- exact path length (run under callgrind by ./run) ----
 * One thread produces a batch, then consumes it: no second core, no noise.
 * callgrind counts only inside np_icount_loop (--toggle-collect); each side
 * is one function of its own, never inlined, so that its inclusive count is
 * that side's path length whatever the compiler inlines below it: the
 * producer (the VM's driver queueing a batch, or rte_ring's enqueue) and the
 * consumer (the back end's burst, the 8-byte read of each frame and the
 * completion, or rte_ring's dequeue and the same read). */
__attribute__((noinline)) void np_icount_produce(struct run *r, uint32_t *next)
{
	if (r->kind == RTE)
		produce_rte(r, next);
	else
		produce_netpath(r, next);
}

__attribute__((noinline)) uint64_t np_icount_consume(struct run *r)
{
	uint64_t sink = 0;
	if (r->kind == RTE) {
		void *objs[BURST];
		unsigned n = np_dpdk_consume(r->rte, objs, BURST);
		for (unsigned i = 0; i < n; i++)
			sink += *(const uint64_t *)objs[i];
		return sink;
	}
	struct netpath_pkt pkts[BURST];
	uint32_t n = netpath_be_tx_burst(&r->be, pkts, BURST);
	for (uint32_t i = 0; i < n; i++)
		sink += *(const uint64_t *)netpath_pkt_base(&r->be, &pkts[i]);
	netpath_be_tx_complete(&r->be);
	return sink;
}

__attribute__((noinline)) void np_icount_loop(struct run *r, uint64_t batches)
{
	uint32_t next = 0;
	uint64_t sink = 0;
	for (uint64_t b = 0; b < batches; b++) {
		np_icount_produce(r, &next);
		sink += np_icount_consume(r);
	}
	r->sink = sink;
}

/* --icount VARIANT SIZE BATCH BATCHES: prints the packet count. */
static int icount_main(char **argv)
{
	const char *why = "";
	size_t v = 0;
	while (v < sizeof(variants) / sizeof(variants[0]) && strcmp(variants[v].name, argv[2]))
		v++;
	if (v == sizeof(variants) / sizeof(variants[0]))
		return 2;
	if (variants[v].kind == RTE)
		dpdk_ok = np_dpdk_init(&dpdk_why) == 0;
	else
		membarrier_ok = ring_membarrier_init() == 0;
	uint32_t batch = (uint32_t)atoi(argv[4]);
	struct run *r = run_new(&variants[v], (uint32_t)atoi(argv[3]), batch, &why);
	if (!r) {
		printf("icount_skipped %s\n", why);
		return 0;
	}
	uint64_t batches = strtoull(argv[5], NULL, 10);
	np_icount_loop(r, batches);
	printf("icount_packets %llu\n", (unsigned long long)(batches * batch));
	run_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "--icount"))
		return icount_main(argv);
	dpdk_ok = np_dpdk_init(&dpdk_why) == 0;
	if (!dpdk_ok)
		fprintf(stderr, "netpath_bench: rte_ring benchmarks skipped: %s\n", dpdk_why);
	membarrier_ok = ring_membarrier_init() == 0;
	if (!membarrier_ok)
		fprintf(stderr, "netpath_bench: asymmetric netpath variants skipped: no membarrier(2)\n");
	return vmk_bench_main(argc, argv, register_all);
}
