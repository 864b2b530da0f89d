/* storpath driver side: see storpath_drv.h. */
#include "storpath_drv.h"

#include <vmk/err.h>

int storpath_drv_init(struct storpath_drv *d, void *req_mem, size_t req_len,
		      uint32_t req_slots, void *cpl_mem, size_t cpl_len,
		      uint32_t cpl_slots)
{
	const uint32_t rs = sizeof(struct storpath_req), cs = sizeof(struct storpath_cpl);
	int err = ring_format(req_mem, req_len, req_slots, rs);
	if (!err)
		err = ring_format(cpl_mem, cpl_len, cpl_slots, cs);
	if (!err)
		err = ring_attach_producer(&d->req, req_mem, req_len, req_slots, rs);
	if (!err)
		err = ring_attach_consumer(&d->cpl, cpl_mem, cpl_len, cpl_slots, cs);
	if (err)
		return err;
	d->inflight = 0;
	d->max_inflight = cpl_slots;
	d->queued = 0;
	d->doorbells = 0;
	d->kicks = 0;
	return VMK_OK;
}

struct storpath_req *storpath_drv_next(struct storpath_drv *d)
{
	if (d->inflight + d->queued >= d->max_inflight)
		return (void *)0;
	if (ring_prod_space(&d->req) <= d->queued) {
		/* The vmkernel releases request slots as soon as it copied them. */
		ring_prod_reclaim(&d->req, ring_prod_poll_done(&d->req));
		if (ring_prod_space(&d->req) <= d->queued)
			return (void *)0;
	}
	struct storpath_req *r = ring_prod_slot(&d->req, d->queued);
	__builtin_memset(r, 0, sizeof(*r));
	return r;
}

void storpath_drv_queue(struct storpath_drv *d)
{
	d->queued++;
}

bool storpath_drv_kick(struct storpath_drv *d)
{
	if (!d->queued)
		return false;
	bool bell = ring_prod_publish(&d->req, d->queued);
	d->inflight += d->queued;
	d->queued = 0;
	d->kicks++;
	if (bell)
		d->doorbells++;
	return bell;
}

uint32_t storpath_drv_poll(struct storpath_drv *d, struct storpath_cpl *out, uint32_t max)
{
	uint32_t n = ring_cons_poll(&d->cpl);
	if (n > max)
		n = max;
	if (n > d->inflight)
		n = d->inflight;
	for (uint32_t i = 0; i < n; i++) {
		const struct storpath_cpl *c = ring_cons_slot(&d->cpl, i);
		out[i].tag = RING_READ_ONCE(c->tag);
		out[i].residual = RING_READ_ONCE(c->residual);
		out[i].status = RING_READ_ONCE(c->status);
		out[i].response = RING_READ_ONCE(c->response);
		out[i].sense_len = RING_READ_ONCE(c->sense_len);
		out[i].rsvd_0f = 0;
	}
	if (!n)
		return 0;
	ring_cons_consume(&d->cpl, n);
	ring_cons_release(&d->cpl, n);
	d->inflight -= n;
	return n;
}

bool storpath_drv_arm(struct storpath_drv *d)
{
	return ring_cons_arm(&d->cpl, 1);
}
