/* A single-threaded machine for the smp tests: the test plays every CPU in
 * turn (`cur`), send_ipi and the flushes are recorded, and the initiator's
 * pause() lets the CPUs in `answering` take their pending IPIs, so a call
 * completes, or times out on the fake clock (+1 per pause), without
 * threads. */
#ifndef SMP_FAKE_H
#define SMP_FAKE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "smp.h"

#define FAKE_MAX_SENDS 64u
#define FAKE_MAX_FLUSHES 512u

enum fake_op { FAKE_PAGE, FAKE_ASID, FAKE_ALL };

struct fake_flush {
	unsigned cpu;
	enum fake_op op;
	uint32_t asid;
	uintptr_t va;
};

struct smp_fake {
	struct smp s;
	unsigned cur;                   /* the CPU the test is running as */
	uint64_t clock;                 /* now() */
	unsigned pauses;
	struct smp_cpuset answering;    /* take their IPI at the next pause */
	struct smp_cpuset ipi_pending;  /* sent, not yet taken */
	unsigned nsends;
	struct smp_cpuset sent[FAKE_MAX_SENDS];
	unsigned sender[FAKE_MAX_SENDS];
	unsigned nflush;
	struct fake_flush flush[FAKE_MAX_FLUSHES];
	void (*on_pause)(struct smp_fake *f);   /* if set, after each pause */
	uint64_t until;                         /* for on_pause's use */
};

extern const struct smp_ops smp_fake_ops;

/* cmocka set-up: four CPUs, all online and answering, default threshold. */
int smp_fake_setup(void **state);
int smp_fake_teardown(void **state);
/* Run @cpu's pending IPI as that CPU; returns smp_handle_ipi()'s count. */
int smp_fake_deliver(struct smp_fake *f, unsigned cpu);
/* How many recorded flushes match (cpu, op). */
unsigned smp_fake_count(const struct smp_fake *f, unsigned cpu, enum fake_op op);
/* A set from a bitmask of CPUs 0..63. */
struct smp_cpuset smp_fake_set(uint64_t mask);

#endif
