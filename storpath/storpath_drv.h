/* storpath driver side: what a VM's SCSI driver does with the two rings.
 * Plain C, freestanding: the bench guest links it, hosted tests and the
 * benchmark use it as the driver.
 *
 *   slot = storpath_drv_next(d);  fill it;  storpath_drv_queue(d);  (repeat)
 *   if (storpath_drv_kick(d)) ring the doorbell;      one per batch
 *   n = storpath_drv_poll(d, cpl, max);               completions, any order
 *   before sleeping: if (storpath_drv_arm(d)) wait for the interrupt;
 *   while polling, do not arm: the vmkernel then raises no interrupt.
 *
 * The driver trusts the vmkernel no more than it must: ring_core validates
 * the completion ring's index, and completions beyond what is in flight are
 * ignored. */
#ifndef VMK_STORPATH_DRV_H
#define VMK_STORPATH_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "ring_core.h"
#include "storpath_abi.h"

struct storpath_drv {
	struct ring req;
	struct ring cpl;
	uint32_t inflight;        /* queued and not yet completed */
	uint32_t max_inflight;    /* cpl ring slots: the vmkernel's limit too */
	uint32_t queued;          /* filled, not yet published */
	uint64_t doorbells;       /* kicks that had to notify */
	uint64_t kicks;
};

/* Format and attach both rings (the driver allocates them). */
int storpath_drv_init(struct storpath_drv *d, void *req_mem, size_t req_len,
		      uint32_t req_slots, void *cpl_mem, size_t cpl_len,
		      uint32_t cpl_slots);

/* Next free request slot (zeroed), or NULL if the ring is full or
 * max_inflight commands are outstanding. */
struct storpath_req *storpath_drv_next(struct storpath_drv *d);
void storpath_drv_queue(struct storpath_drv *d);
/* Publish everything queued; true if the vmkernel wants a doorbell. */
bool storpath_drv_kick(struct storpath_drv *d);
/* Up to @max completions copied to @out, their slots released at once. */
uint32_t storpath_drv_poll(struct storpath_drv *d, struct storpath_cpl *out, uint32_t max);
/* Ask for a completion interrupt; true if none is pending (safe to sleep). */
bool storpath_drv_arm(struct storpath_drv *d);

#endif
