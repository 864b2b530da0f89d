/* Hosted only (tests and benchmarks, Linux): the remote fence of ring_core's
 * asymmetric wake ordering when both endpoints are threads of one process.
 * membarrier(2) with MEMBARRIER_CMD_PRIVATE_EXPEDITED returns only after
 * every running thread of the process has executed a full memory barrier
 * (a thread that is not running takes one when it is switched back in).
 * The vmkernel will do the same with an IPI to the peer's CPU. */
#ifndef VMK_RING_MEMBARRIER_H
#define VMK_RING_MEMBARRIER_H

#include <linux/membarrier.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Once per process, before the first ring_membarrier: 0 if available. */
static inline int ring_membarrier_init(void)
{
	return (int)syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
}

/* A ring_fence_fn.  Without the barrier the protocol could lose a wake-up,
 * so a failure is fatal rather than ignored. */
static inline void ring_membarrier(void *ctx)
{
	(void)ctx;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		abort();
}

#endif
