/* A test-and-set lock for the vmkernel: it runs with interrupts off (GIF=0)
 * everywhere, so no irq-safe variants are needed.  A CPU waiting for one
 * answers cross-calls (vmk_smp_poll): the holder may be waiting for it. */
#ifndef VMK_SPINLOCK_H
#define VMK_SPINLOCK_H

void vmk_smp_poll(void);   /* arch/x86/smp_x86.c */

typedef struct {
	volatile int v;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) {
			vmk_smp_poll();
			__builtin_ia32_pause();
		}
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}
#endif
