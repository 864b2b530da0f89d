/* A test-and-set lock for the vmkernel: it runs with interrupts off (GIF=0)
 * everywhere, so no irq-safe variants are needed. */
#ifndef VMK_SPINLOCK_H
#define VMK_SPINLOCK_H

typedef struct {
	volatile int v;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}
#endif
