/* Drives the scheduler policy with a synthetic clock, the way the vmkernel
 * will: per-CPU timer ticks, pick on expiry, IPIs on wake-up, periodic
 * balancing.  It counts each world's CPU time itself, independently of the
 * policy's own accounting, so the tests check the policy from outside. */
#ifndef SCHED_HARNESS_H
#define SCHED_HARNESS_H
#include <stdbool.h>
#include "sched.h"

#define H_MAX_ID 256   /* harness world ids are 0..H_MAX_ID-1 */

struct harness {
	struct sched s;
	uint32_t ncpus;
	uint64_t now;                    /* all CPUs meet here between runs */
	uint64_t tick_ns;                /* per-CPU timer period */
	uint64_t balance_ns;             /* 0: never balance */
	uint64_t next_balance;
	uint64_t migrations;
	uint64_t t[SCHED_MAX_CPUS];
	int32_t cur[SCHED_MAX_CPUS];
	uint64_t slice_end[SCHED_MAX_CPUS];
	bool need_pick[SCHED_MAX_CPUS];
	uint64_t idle_ns[SCHED_MAX_CPUS];
	uint64_t received[H_MAX_ID];     /* CPU time the harness ran each world */
	uint64_t entitled[H_MAX_ID];     /* integral of its entitlement */
	uint64_t per_cpu[H_MAX_ID][2];   /* received on CPU 0 / CPU 1 */
};

/* Zeroes h, initialises the policy with cfg (NULL: defaults). */
int h_init(struct harness *h, uint32_t ncpus, const struct sched_config *cfg);
int h_add(struct harness *h, int32_t id, uint32_t shares, uint32_t resv_ppm,
	  uint32_t limit_ppm, uint64_t affinity);     /* added and woken */
int h_block(struct harness *h, int32_t id);
int h_wake(struct harness *h, int32_t id);
/* sched_yield_world(); its CPU picks again at once (the exit's resched). */
int h_yield(struct harness *h, int32_t id);
/* Run every CPU from h->now to until.  Returns 0, or the first policy error. */
int h_run(struct harness *h, uint64_t until);
void h_reset_counters(struct harness *h);
/* Relative error of received against entitled, as a fraction. */
double h_error(const struct harness *h, int32_t id);
#endif
