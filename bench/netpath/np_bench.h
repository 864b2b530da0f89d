/* Shared between the netpath benchmark and its DPDK half, which is compiled
 * apart because DPDK's headers bring their own flags (-march, rte_config.h). */
#ifndef NP_BENCH_H
#define NP_BENCH_H

#include <stdint.h>

/* 0 on success; else *why says why DPDK cannot be used here. */
int np_dpdk_init(const char **why);
/* An SP/SC rte_ring of @slots entries, or NULL (with *why). */
void *np_dpdk_ring(unsigned slots, const char **why);
void np_dpdk_ring_free(void *ring);
/* Enqueue all @n references (spinning while full). */
void np_dpdk_produce(void *ring, void **objs, unsigned n);
/* Dequeue up to @max references into @objs; returns how many. */
unsigned np_dpdk_consume(void *ring, void **objs, unsigned max);

#endif
