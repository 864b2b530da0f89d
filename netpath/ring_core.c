/* ring_core: see ring_core.h for the protocol. */
#include "ring_core.h"

#include <vmk/err.h>

static int ring_check_geometry(const void *mem, size_t mem_len, uint32_t nslots,
			       uint32_t slot_size)
{
	if (!mem || nslots == 0 || nslots > RING_MAX_SLOTS)
		return VMK_EINVAL;
	if (nslots & (nslots - 1))
		return VMK_EINVAL;
	/* Slots must keep natural alignment for 8-byte fields. */
	if (slot_size == 0 || (slot_size & 7) || ((uintptr_t)mem & (RING_CACHE_LINE - 1)))
		return VMK_EINVAL;
	if (mem_len < ring_mem_size(nslots, slot_size))
		return VMK_ERANGE;
	return VMK_OK;
}

int ring_format(void *mem, size_t mem_len, uint32_t nslots, uint32_t slot_size)
{
	int err = ring_check_geometry(mem, mem_len, nslots, slot_size);
	if (err)
		return err;
	struct ring_shared *sh = mem;
	RING_WRITE_ONCE(sh->prod, 0);
	RING_WRITE_ONCE(sh->prod_wake, 0);
	RING_WRITE_ONCE(sh->cons, 0);
	/* The consumer starts armed: the first publish rings the doorbell. */
	RING_WRITE_ONCE(sh->cons_wake, 1);
	return VMK_OK;
}

static int ring_attach(struct ring *r, void *mem, size_t mem_len,
		       uint32_t nslots, uint32_t slot_size)
{
	int err = ring_check_geometry(mem, mem_len, nslots, slot_size);
	if (err)
		return err;
	r->sh = mem;
	r->slots = (uint8_t *)mem + RING_SLOTS_OFFSET;
	r->mask = nslots - 1;
	r->slot_size = slot_size;
	r->head = 0;
	r->tail = 0;
	r->peer = 0;
	r->bad_index = 0;
	r->remote_fence = (ring_fence_fn)0;
	r->fence_ctx = (void *)0;
	return VMK_OK;
}

int ring_attach_producer(struct ring *r, void *mem, size_t mem_len,
			 uint32_t nslots, uint32_t slot_size)
{
	int err = ring_attach(r, mem, mem_len, nslots, slot_size);
	if (err)
		return err;
	RING_WRITE_ONCE(r->sh->prod, 0);
	RING_WRITE_ONCE(r->sh->prod_wake, 0);
	return VMK_OK;
}

int ring_attach_consumer(struct ring *r, void *mem, size_t mem_len,
			 uint32_t nslots, uint32_t slot_size)
{
	int err = ring_attach(r, mem, mem_len, nslots, slot_size);
	if (err)
		return err;
	__atomic_store_n(&r->sh->cons, 0, __ATOMIC_RELEASE);
	RING_WRITE_ONCE(r->sh->cons_wake, 1);
	return VMK_OK;
}

/* ---- producer ---- */

/* Asymmetric ordering: the peer released without a barrier; make its CPU
 * take one now, after our wake value is stored and before we poll. */
static void ring_arm_fence(const struct ring *r)
{
	if (r->remote_fence)
		r->remote_fence(r->fence_ctx);
}

bool ring_prod_arm(struct ring *r, uint32_t count)
{
	uint32_t target = r->peer + count;
	ring_store_fenced(&r->sh->prod_wake, target);
	ring_arm_fence(r);
	ring_prod_poll_done(r);
	return (uint32_t)(r->peer - r->tail) < (uint32_t)(target - r->tail);
}

/* ---- consumer ---- */

bool ring_cons_arm(struct ring *r, uint32_t count)
{
	uint32_t target = r->head + count;
	ring_store_fenced(&r->sh->cons_wake, target);
	ring_arm_fence(r);
	return ring_cons_poll(r) < count;
}
