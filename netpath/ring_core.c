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
	if (slot_size == 0 || (slot_size & 7) || ((uintptr_t)mem & 63))
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

/* A store that no later load can pass (and that releases earlier stores). */
static inline void ring_store_fenced(uint32_t *p, uint32_t v)
{
	(void)__atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

/* ---- producer ---- */

uint32_t ring_prod_poll_done(struct ring *r)
{
	uint32_t cons = __atomic_load_n(&r->sh->cons, __ATOMIC_ACQUIRE);
	/* The consumer can only release what was published, and never go back
	 * before what it already released. */
	if ((uint32_t)(cons - r->tail) > (uint32_t)(r->head - r->tail) ||
	    (uint32_t)(cons - r->tail) < (uint32_t)(r->peer - r->tail)) {
		r->bad_index++;
		return r->peer - r->tail;
	}
	r->peer = cons;
	return cons - r->tail;
}

void ring_prod_reclaim(struct ring *r, uint32_t n)
{
	uint32_t done = r->peer - r->tail;
	r->tail += n < done ? n : done;
}

bool ring_prod_publish(struct ring *r, uint32_t n)
{
	uint32_t old = r->head;
	if (n > ring_prod_space(r))
		n = ring_prod_space(r);
	r->head = old + n;
	/* Store prod before loading cons_wake: pairs with ring_cons_arm. */
	ring_store_fenced(&r->sh->prod, r->head);
	return ring_wake_crossed(old, r->head, RING_READ_ONCE(r->sh->cons_wake));
}

bool ring_prod_arm(struct ring *r, uint32_t count)
{
	uint32_t target = r->peer + count;
	ring_store_fenced(&r->sh->prod_wake, target);
	ring_prod_poll_done(r);
	return (uint32_t)(r->peer - r->tail) < (uint32_t)(target - r->tail);
}

/* ---- consumer ---- */

uint32_t ring_cons_poll(struct ring *r)
{
	uint32_t prod = __atomic_load_n(&r->sh->prod, __ATOMIC_ACQUIRE);
	uint32_t fill = prod - r->tail;
	/* A producer index beyond the ring, or behind what was already read,
	 * is corrupt: keep the last good snapshot and read nothing new. */
	if (fill > ring_nslots(r) || fill < (uint32_t)(r->head - r->tail) ||
	    fill < (uint32_t)(r->peer - r->tail)) {
		r->bad_index++;
		return r->peer - r->head;
	}
	r->peer = prod;
	return prod - r->head;
}

void ring_cons_consume(struct ring *r, uint32_t n)
{
	uint32_t avail = r->peer - r->head;
	r->head += n < avail ? n : avail;
}

bool ring_cons_release(struct ring *r, uint32_t n)
{
	uint32_t old = r->tail;
	uint32_t held = r->head - r->tail;
	r->tail = old + (n < held ? n : held);
	/* Store cons before loading prod_wake: pairs with ring_prod_arm. */
	ring_store_fenced(&r->sh->cons, r->tail);
	return ring_wake_crossed(old, r->tail, RING_READ_ONCE(r->sh->prod_wake));
}

bool ring_cons_arm(struct ring *r, uint32_t count)
{
	uint32_t target = r->head + count;
	ring_store_fenced(&r->sh->cons_wake, target);
	return ring_cons_poll(r) < count;
}
