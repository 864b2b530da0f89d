#include "pcpu_bench_env.h"

#include <stddef.h>

#define PB_BASE ((uintptr_t)0xffffc90000000000ull)

/* The cheapest page table that still writes an entry per install and counts
 * per-CPU flushes on separate lines, so the miss path pays a realistic
 * minimum and the per-CPU cache shares nothing between threads. */
struct pb_pt {
	uint64_t pte[PB_CPUS * PB_SLOTS];
	struct {
		_Alignas(64) uint64_t n;
	} flushes[PB_CPUS];
};

static struct pb_pt pb_pt_pcpu, pb_pt_global;

struct pcpu_cache pb_pcpu;
struct pcpu_global pb_global;
uint64_t pb_seq[PB_NWORKLOADS][PB_SEQ];
const char *const pb_workload_name[PB_NWORKLOADS] = { "hit", "miss", "mixed" };

static _Alignas(64) unsigned char pb_mem_pcpu[64 + PB_CPUS * 16384];
static _Alignas(64) unsigned char pb_mem_global[64 + PB_CPUS * 16384];

static void pb_install(void *ctx, unsigned cpu, uintptr_t va, uint64_t mpn)
{
	struct pb_pt *pt = ctx;

	(void)cpu;
	pt->pte[(va - PB_BASE) >> PCPU_PAGE_SHIFT] = mpn;
}

static void pb_flush(void *ctx, unsigned cpu, uintptr_t va)
{
	struct pb_pt *pt = ctx;

	(void)va;
	pt->flushes[cpu].n++;
}

static void pb_seq_init(void)
{
	uint32_t x = 12345;
	unsigned i;

	for (i = 0; i < PB_SEQ; i++) {
		pb_seq[PB_HIT][i] = i % PB_HOT;
		pb_seq[PB_MISS][i] = 1000 + i % PB_COLD;
		/* A fixed LCG: the same mix every run. */
		x = x * 1103515245u + 12345u;
		if ((x >> 16) % 100 < PB_MIX_HIT_PERCENT)
			pb_seq[PB_MIXED][i] = (x >> 8) % PB_HOT;
		else
			pb_seq[PB_MIXED][i] = 100000 + (x >> 4) % 4096;
	}
}

int pb_env_init(void)
{
	struct pcpu_map_ops pcpu_ops = { pb_install, pb_flush, &pb_pt_pcpu };
	struct pcpu_map_ops global_ops = { pb_install, pb_flush, &pb_pt_global };
	int err;

	if (pcpu_cache_mem_size(PB_CPUS, PB_SLOTS) > sizeof(pb_mem_pcpu) ||
	    pcpu_global_mem_size(PB_CPUS * PB_SLOTS) > sizeof(pb_mem_global))
		return VMK_ENOMEM;
	err = pcpu_cache_init(&pb_pcpu, &pcpu_ops, PB_CPUS, PB_SLOTS, PB_BASE,
			      pb_mem_pcpu, sizeof(pb_mem_pcpu));
	if (err)
		return err;
	err = pcpu_global_init(&pb_global, &global_ops, PB_CPUS, PB_CPUS * PB_SLOTS,
			       PB_BASE, pb_mem_global, sizeof(pb_mem_global));
	pb_seq_init();
	return err;
}
