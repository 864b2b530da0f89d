/* What the benchmark and the callgrind driver share: both caches on a
 * minimal fake page table, and the page sequences of the three workloads. */
#ifndef PCPU_BENCH_ENV_H
#define PCPU_BENCH_ENV_H

#include "pcpu_cache.h"

#define PB_CPUS 2u
#define PB_SLOTS 64u           /* per CPU; the global cache gets PB_CPUS x */
#define PB_HOT 16u             /* pages of the hit workload: always cached */
#define PB_COLD (4u * PB_SLOTS)/* pages of the miss scan: never cached */
#define PB_SEQ 4096u           /* length of each sequence, a power of two */
#define PB_MIX_HIT_PERCENT 90u

enum pb_workload { PB_HIT, PB_MISS, PB_MIXED, PB_NWORKLOADS };

/* One cache behind the iface-like table the loops are written against. */
struct pb_api {
	int (*map)(void *c, unsigned cpu, uint64_t mpn, uintptr_t *va);
	int (*release)(void *c, unsigned cpu, uintptr_t va);
	void (*stats)(const void *c, unsigned cpu, struct pcpu_stats *out);
	void *cache;
};

extern struct pcpu_cache pb_pcpu;
extern struct pcpu_global pb_global;
extern uint64_t pb_seq[PB_NWORKLOADS][PB_SEQ];
extern const char *const pb_workload_name[PB_NWORKLOADS];

/* Set up both caches and the sequences; 0 or a VMK_E* code. */
int pb_env_init(void);
/* Pages of different CPUs (threads) never coincide. */
static inline uint64_t pb_page(unsigned cpu, uint64_t i)
{
	return ((uint64_t)(cpu + 1) << 20) + i;
}

#endif
