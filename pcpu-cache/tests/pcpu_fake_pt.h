/* A fake page table for hosted tests: an array of entries standing for the
 * PTEs of the windows, plus counters and checks on every install and flush,
 * so that a test sees exactly which CPU touched which window. */
#ifndef PCPU_FAKE_PT_H
#define PCPU_FAKE_PT_H

#include <pthread.h>

#include "pcpu_cache.h"

#define PCPU_FAKE_MAX_PAGES 4096u
#define PCPU_FAKE_MAX_CPUS 4u

struct pcpu_fake_pt {
	uintptr_t base;
	unsigned npages;
	unsigned ncpus;
	/* Pages per CPU window; 0: one window shared by all (global cache). */
	unsigned window_pages;
	uint64_t pte[PCPU_FAKE_MAX_PAGES];
	unsigned long installs[PCPU_FAKE_MAX_CPUS];  /* by calling CPU */
	unsigned long flushes[PCPU_FAKE_MAX_CPUS];   /* by flushed CPU */
	/* Per CPU, so that two CPUs' threads never write the same field. */
	uintptr_t last_install_va[PCPU_FAKE_MAX_CPUS];
	uint64_t last_install_mpn[PCPU_FAKE_MAX_CPUS];
	uintptr_t last_flush_va[PCPU_FAKE_MAX_CPUS];
	/* Broken rules: out of range, another CPU's window, wrong thread. */
	unsigned long violations;
	/* With check_owner, install() must run on owner[cpu]'s thread. */
	int check_owner;
	pthread_t owner[PCPU_FAKE_MAX_CPUS];
};

void pcpu_fake_pt_init(struct pcpu_fake_pt *pt, uintptr_t base, unsigned ncpus,
		       unsigned npages, unsigned window_pages);
struct pcpu_map_ops pcpu_fake_pt_ops(struct pcpu_fake_pt *pt);
/* The machine page @va points at (PCPU_MPN_NONE: not present, or outside). */
uint64_t pcpu_fake_pt_lookup(struct pcpu_fake_pt *pt, uintptr_t va);
unsigned long pcpu_fake_pt_violations(struct pcpu_fake_pt *pt);

#endif
