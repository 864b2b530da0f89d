/* The DPDK baseline: rte_ring, single producer / single consumer, carrying
 * the same buffer references the netpath ring carries.  The burst calls are
 * DPDK's inline functions; only the loop around them is ours. */
#include "np_bench.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

static int np_eal_state;   /* 0 untried, 1 up, -1 failed */

int np_dpdk_init(const char **why)
{
	/* No huge pages or devices are needed for a ring: keep EAL minimal and
	 * in memory so that nothing is left behind in /var/run. */
	static char *args[] = {
		"netpath_bench", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-l", "0-1", "-m", "64", "--log-level", "*:error", NULL,
	};
	if (np_eal_state == 0)
		np_eal_state = rte_eal_init((int)(sizeof(args) / sizeof(args[0])) - 1, args) < 0 ? -1 : 1;
	if (np_eal_state < 0) {
		*why = "rte_eal_init failed (see DPDK's log above)";
		return -1;
	}
	return 0;
}

void *np_dpdk_ring(unsigned slots, const char **why)
{
	static unsigned seq;
	char name[32];
	unsigned n = seq++;
	int i = 0;
	name[i++] = 'n';
	name[i++] = 'p';
	do {
		name[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	name[i] = 0;
	struct rte_ring *r = rte_ring_create(name, slots, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (!r)
		*why = rte_strerror(rte_errno);
	return r;
}

void np_dpdk_ring_free(void *ring)
{
	rte_ring_free(ring);
}

void np_dpdk_produce(void *ring, void **objs, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		done += rte_ring_sp_enqueue_burst(ring, objs + done, n - done, NULL);
		if (done < n)
			rte_pause();
	}
}

unsigned np_dpdk_consume(void *ring, void **objs, unsigned max)
{
	return rte_ring_sc_dequeue_burst(ring, objs, max, NULL);
}
