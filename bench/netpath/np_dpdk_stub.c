/* Built instead of np_dpdk.c when libdpdk was not found at configure time:
 * the rte_ring benchmarks then skip with this reason. */
#include "np_bench.h"

#include <stddef.h>

int np_dpdk_init(const char **why)
{
	*why = "built without libdpdk (pkg-config libdpdk not found)";
	return -1;
}

void *np_dpdk_ring(unsigned slots, const char **why)
{
	(void)slots;
	*why = "built without libdpdk";
	return NULL;
}

void np_dpdk_ring_free(void *ring)
{
	(void)ring;
}

void np_dpdk_produce(void *ring, void **objs, unsigned n)
{
	(void)ring, (void)objs, (void)n;
}

unsigned np_dpdk_consume(void *ring, void **objs, unsigned max)
{
	(void)ring, (void)objs, (void)max;
	return 0;
}
