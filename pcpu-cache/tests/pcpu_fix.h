/* Test fixture: one cache (per-CPU or global, through the shared interface)
 * on a fake page table, and checked helpers to map and release. */
#ifndef PCPU_FIX_H
#define PCPU_FIX_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pcpu_fake_pt.h"

/* Any page-aligned address will do: the fake never dereferences it. */
#define PCPU_FIX_BASE ((uintptr_t)0xffffc90000000000ull)

struct pcpu_fix_param {
	const struct pcpu_iface *api;
	unsigned ncpus;
	unsigned nslots;   /* per CPU for pcpu, in total for global */
};

struct pcpu_fix {
	const struct pcpu_iface *api;
	void *cache;       /* &pc or &g */
	struct pcpu_cache pc;
	struct pcpu_global g;
	struct pcpu_fake_pt pt;
	void *mem;
	unsigned ncpus;
	unsigned nslots;
};

struct pcpu_fix *pcpu_fix_open(const struct pcpu_fix_param *p);
void pcpu_fix_close(struct pcpu_fix *f);
/* cmocka setup/teardown taking a struct pcpu_fix_param as prestate. */
int pcpu_fix_setup(void **state);
int pcpu_fix_teardown(void **state);

/* Map that must succeed. */
uintptr_t pcpu_fix_map(struct pcpu_fix *f, unsigned cpu, uint64_t mpn);
void pcpu_fix_release(struct pcpu_fix *f, unsigned cpu, uintptr_t va);
/* Map then release at once: the page stays cached, unreferenced. */
uintptr_t pcpu_fix_touch(struct pcpu_fix *f, unsigned cpu, uint64_t mpn);
struct pcpu_stats pcpu_fix_stats(struct pcpu_fix *f, unsigned cpu);
int pcpu_fix_is_global(const struct pcpu_fix *f);

#endif
