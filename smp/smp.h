/* smp: cross-calls (run a function on a set of CPUs and wait for them) and,
 * on top of them, TLB shootdown (smp_tlb.h).
 *
 * Plain C.  The library sends no IPI, flushes no TLB and reads no clock: the
 * vmkernel (or a hosted test) supplies those through struct smp_ops, and
 * calls smp_handle_ipi() from the vector it sends.  It allocates nothing:
 * one struct smp, placed by the caller, holds all the state.
 *
 * Concurrency.  Any number of CPUs may initiate at once; they are
 * serialised by one ticket lock, so exactly one cross-call is in flight
 * machine-wide.  A CPU waiting for that lock answers calls posted to it
 * meanwhile, so two CPUs calling each other at the same moment (with
 * interrupts off) cannot deadlock.  Calls for one CPU never run
 * concurrently with each other: a nested smp_handle_ipi() on the same CPU
 * returns at once and the outer one picks the call up.
 *
 * Errors are <vmk/err.h> codes; see smp_call() for which and when. */
#ifndef SMP_H
#define SMP_H

#include "smp_cpuset.h"
#include "smp_lock.h"

/* What the vmkernel provides.  Every hook is required. */
struct smp_ops {
	/* Send the cross-call vector to each CPU in @set.  Never called with
	 * an empty set nor with the calling CPU in it. */
	void (*send_ipi)(void *ctx, const struct smp_cpuset *set);
	/* The calling CPU's TLB: the page holding @va in address space @asid
	 * (ASID 0 is the vmkernel's own, as in SVM); every entry of @asid;
	 * everything, global entries included. */
	void (*flush_page)(void *ctx, uint32_t asid, uintptr_t va);
	void (*flush_asid)(void *ctx, uint32_t asid);
	void (*flush_all)(void *ctx);
	/* One step of a spin-wait (PAUSE; a hosted test may yield). */
	void (*pause)(void *ctx);
	/* The calling CPU's index, below smp_config.ncpus. */
	unsigned (*this_cpu)(void *ctx);
	/* A clock in the caller's units (TSC ticks, ns...), monotonic on each
	 * CPU.  Timeouts are in these units; read only by a waiting initiator. */
	uint64_t (*now)(void *ctx);
	void *ctx;
};

/* Per-CPU counters.  Written only by their CPU (relaxed atomic stores, no
 * lock); anyone may read them, a field at a time, with smp_stats(). */
struct smp_stats {
	uint64_t calls;         /* cross-calls initiated (shootdowns included) */
	uint64_t ipis;          /* CPUs those calls sent the IPI to */
	uint64_t timeouts;      /* calls that returned VMK_ETIMEDOUT */
	uint64_t handled;       /* calls run for another CPU */
	uint64_t tlb_requests;  /* shootdowns initiated */
	uint64_t tlb_pages;     /* pages flushed one by one from this TLB */
	uint64_t tlb_full;      /* whole-ASID or whole-TLB flushes of this TLB */
};

struct smp;
/* Runs on each target CPU (@cpu is that CPU) with its handler flag set:
 * it must be short, must not block and must not start a cross-call. */
typedef void (*smp_call_fn)(struct smp *s, unsigned cpu, void *arg);

/* A mailbox word is the call's sequence number above two state bits.  The
 * number makes a stale claim fail: a CPU that saw call k posted but claims
 * only after k was withdrawn and k+1 posted finds a different word. */
enum { SMP_MB_IDLE = 0, SMP_MB_POSTED = 1, SMP_MB_RUNNING = 2 };
#define SMP_MB_STATE ((uint64_t)3)

/* One CPU's mailbox, a cache line of its own: the one initiator (under the
 * call lock) posts and revokes, the owner claims and acknowledges. */
struct smp_mailbox {
	uint64_t word;          /* seq << 2 | SMP_MB_* state */
	smp_call_fn fn;         /* written before word is posted; read by */
	void *arg;              /*   the owner only after it claimed word */
	uint32_t owe_flush;     /* set by an initiator that revoked a TLB request;
				 * the owner flushes everything and clears it */
};

struct smp_cpu {
	_Alignas(64) struct smp_mailbox mb;
	/* Owner only (and an interrupt nesting on that CPU). */
	_Alignas(64) uint8_t in_handler;  /* running calls: no new cross-call */
	uint8_t in_call;                  /* initiating: no recursive one */
	struct smp_stats stats;           /* owner writes, anyone reads */
};

struct smp_config {
	uint32_t ncpus;               /* CPUs 0..ncpus-1 may come online */
	uint32_t tlb_full_threshold;  /* a batch of more pages flushes its whole ASID */
};

struct smp {
	struct smp_ops ops;                /* read-only after init */
	uint32_t ncpus;                    /* read-only after init */
	uint32_t tlb_full_threshold;       /* read-only after init */
	_Alignas(64) struct smp_spinlock call_lock;
	uint64_t seq;                      /* under call_lock: the last call's number */
	struct smp_cpuset online;          /* written under call_lock, words read atomically */
	struct smp_cpu cpu[SMP_MAX_CPUS];
};

/* A shootdown batch holds at most this many pages; by default a batch of
 * more than SMP_TLB_FULL_DEFAULT flushes its whole ASID instead (smp_tlb.h). */
#define SMP_TLB_MAX_PAGES 32u
#define SMP_TLB_FULL_DEFAULT 16u

/* Waits without a bound (the timeout argument). */
#define SMP_WAIT_FOREVER UINT64_MAX

/* ncpus = @ncpus, tlb_full_threshold = SMP_TLB_FULL_DEFAULT (smp_tlb.h). */
void smp_config_default(struct smp_config *cfg, unsigned ncpus);
/* Every CPU starts offline.  EINVAL: NULL, a missing hook, ncpus 0 or
 * above SMP_MAX_CPUS, a threshold above SMP_TLB_MAX_PAGES. */
int smp_init(struct smp *s, const struct smp_ops *ops, const struct smp_config *cfg);

/* A CPU may be sent calls once online.  Takes the call lock, so it never
 * changes under a call in flight; a CPU going offline must not be running
 * calls any more, and must flush its whole TLB before it comes back (calls
 * that it missed meanwhile are not replayed).  EINVAL: cpu >= ncpus. */
int smp_cpu_set_online(struct smp *s, unsigned cpu, bool online);
void smp_online(struct smp *s, struct smp_cpuset *out);

/* Run fn(s, cpu, arg) on every CPU of @set and return when all have.
 * - The caller, if in @set, runs it itself (no IPI to itself), after the
 *   IPIs to the others are out, so the work overlaps.
 * - Only the other CPUs of @set get an IPI; an empty set does nothing.
 * - ENOENT: a CPU of @set is not online (or >= ncpus); nothing runs and no
 *   IPI is sent; @missing (if not NULL) holds those CPUs.
 * - EPERM: called from a call (fn) or from inside smp_call() on this CPU
 *   (an interrupt nesting in it): refused, nothing happens.
 * - EINVAL: NULL set or fn, or the calling CPU is >= ncpus.
 * - ETIMEDOUT: some CPUs did not claim the call within @timeout now()
 *   units (SMP_WAIT_FOREVER: no bound).  Their requests are withdrawn (they
 *   will never run this call) and @missing holds them; the others ran it.
 *   A CPU that had claimed the call is waited for: fn is short.
 * @arg need live only until smp_call() returns. */
int smp_call(struct smp *s, const struct smp_cpuset *set, smp_call_fn fn, void *arg,
	     uint64_t timeout, struct smp_cpuset *missing);

/* The vmkernel's IPI vector calls this (after EOI); so may any loop that
 * polls.  Runs the call posted to this CPU, if any, and a full TLB flush
 * owed for a shootdown that gave up on it.  Returns the calls run (0/1). */
int smp_handle_ipi(struct smp *s);

/* @cpu's counters (zero for cpu >= ncpus). */
void smp_cpu_stats(const struct smp *s, unsigned cpu, struct smp_stats *out);

/* For smp_tlb.c: smp_call() that counts a TLB request and leaves a
 * full-flush debt with each CPU whose request it withdrew. */
int smp_call_shootdown(struct smp *s, const struct smp_cpuset *set, smp_call_fn fn,
		       void *arg, uint64_t timeout, struct smp_cpuset *missing);

/* The owner's counter += @n (relaxed: only the owner writes it). */
static inline void smp_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

#endif
