/* The global baseline's lock.  smp/ will own the vmkernel's locks; until it
 * lands this test-and-test-and-set spinlock keeps pcpu-cache self-contained
 * and freestanding (GCC atomics only, no libc, no OS). */
#ifndef PCPU_LOCK_H
#define PCPU_LOCK_H

#include <vmk/types.h>

struct pcpu_spinlock {
	uint32_t locked;
};

static inline void pcpu_cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void pcpu_spin_lock(struct pcpu_spinlock *l)
{
	/* Spin on a plain load so that waiters share the line read-only
	 * instead of bouncing it with failed exchanges. */
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			pcpu_cpu_relax();
}

static inline void pcpu_spin_unlock(struct pcpu_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
