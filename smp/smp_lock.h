/* A ticket spinlock: waiters are served in the order they arrived, so a CPU
 * that keeps re-taking the lock cannot starve the others (a test-and-set lock
 * can, and the cross-call lock is taken by every initiator in a shootdown
 * storm).  GCC __atomic builtins only: no libc, no OS, compiles freestanding.
 *
 * The lock does not disable interrupts; the vmkernel runs with GIF clear, and
 * a hosted caller has none.  Not recursive. */
#ifndef SMP_LOCK_H
#define SMP_LOCK_H

#include <stdbool.h>
#include <vmk/types.h>

struct smp_spinlock {
	uint32_t next;   /* the ticket the next arrival takes */
	uint32_t owner;  /* the ticket being served */
};

#define SMP_SPINLOCK_INIT { 0, 0 }

/* One spin-wait step: PAUSE tells the core (and a hyperthread sibling, or
 * the hypervisor under us) that this is a spin loop. */
static inline void smp_cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void smp_spin_init(struct smp_spinlock *l)
{
	__atomic_store_n(&l->next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

/* Queue up: the caller holds the lock once smp_ticket_served() says so.
 * Split from smp_spin_lock() so that a waiter can do useful work between
 * checks (the cross-call lock answers calls while it waits). */
static inline uint32_t smp_ticket_take(struct smp_spinlock *l)
{
	return __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
}

static inline bool smp_ticket_served(struct smp_spinlock *l, uint32_t ticket)
{
	return __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == ticket;
}

static inline void smp_spin_lock(struct smp_spinlock *l)
{
	uint32_t t = smp_ticket_take(l);

	while (!smp_ticket_served(l, t))
		smp_cpu_relax();
}

/* Take the lock only if nobody holds it or waits for it.  next == owner
 * read at the exchange means free: owner moves only while the lock is held
 * (next != owner), and next never goes back.  The acquire is on owner,
 * which the last holder released. */
static inline bool smp_spin_trylock(struct smp_spinlock *l)
{
	uint32_t t = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);

	return __atomic_compare_exchange_n(&l->next, &t, t + 1, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Only the holder writes owner, so a plain increment published with
 * release is enough (no locked instruction). */
static inline void smp_spin_unlock(struct smp_spinlock *l)
{
	uint32_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, o + 1, __ATOMIC_RELEASE);
}

/* A snapshot, for assertions and statistics only. */
static inline bool smp_spin_is_locked(struct smp_spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#endif
