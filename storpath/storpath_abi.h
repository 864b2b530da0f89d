/* storpath ABI: the memory shared by a VM's SCSI driver and the vmkernel.
 * Included by the guest driver, the vmkernel back end and hosted tools;
 * never duplicated.  Bump STORPATH_ABI_VERSION on any change below (the ring
 * header layout of netpath's ring_core.h is part of it).
 *
 * A storpath device has two ring_core rings in guest memory:
 *
 *   REQ  driver produces struct storpath_req slots: one SCSI command each,
 *        naming the guest's own data buffers and sense buffer by
 *        guest-physical address.  The vmkernel copies each slot into private
 *        memory and releases it at once, so request slots recycle while
 *        commands are still in flight.  One doorbell per published batch.
 *   CPL  the vmkernel produces struct storpath_cpl slots, in completion
 *        order (which is not submission order); the driver matches them by
 *        tag.  The vmkernel raises a completion interrupt only if the driver
 *        armed the ring; a driver that polls leaves it disarmed and gets none.
 *
 * Two rings rather than in-place completion because commands finish out of
 * order (ring_core.h).  The driver must keep at most cpl.nslots commands in
 * flight; the vmkernel never takes a request it could not complete.
 *
 * Payload is never copied: the device reads and writes the guest buffers
 * named by the segments.  Every field is hostile to the vmkernel. */
#ifndef VMK_STORPATH_ABI_H
#define VMK_STORPATH_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "ring_core.h"

#define STORPATH_ABI_VERSION 1u

#define STORPATH_CDB_MAX 16u        /* bytes of CDB a request can carry */
#define STORPATH_MAX_SEGS 4u        /* data segments per request */
#define STORPATH_MAX_XFER (1u << 20) /* bytes one command may transfer */
#define STORPATH_SENSE_LEN 18u      /* fixed-format sense the vmkernel writes */

/* storpath_req.dir: which way data moves, as seen from the driver. */
#define STORPATH_DIR_NONE 0u
#define STORPATH_DIR_WRITE 1u       /* guest buffers -> disk */
#define STORPATH_DIR_READ 2u        /* disk -> guest buffers */

struct storpath_seg {
	uint64_t gpa;     /* +0 */
	uint32_t len;     /* +8 */
	uint32_t rsvd_0c;
};
_Static_assert(sizeof(struct storpath_seg) == 16, "storpath_seg size");

/* One request slot.  The data transfer length is the sum of seg[0..nsegs). */
struct storpath_req {
	uint64_t tag;        /* +0   driver's cookie, echoed in the completion */
	uint64_t lun;        /* +8   logical unit number (flat, < 256) */
	uint64_t sense_gpa;  /* +16  where fixed-format sense goes on CHECK CONDITION */
	uint32_t sense_len;  /* +24  its capacity; 0: no autosense */
	uint8_t cdb_len;     /* +28  1..STORPATH_CDB_MAX */
	uint8_t dir;         /* +29  STORPATH_DIR_* */
	uint16_t nsegs;      /* +30  0..STORPATH_MAX_SEGS */
	uint8_t cdb[STORPATH_CDB_MAX];              /* +32 */
	struct storpath_seg seg[STORPATH_MAX_SEGS]; /* +48 */
	uint8_t rsvd_70[16];
};
_Static_assert(sizeof(struct storpath_req) == 128, "storpath_req size");
_Static_assert(offsetof(struct storpath_req, cdb) == 32, "storpath_req cdb");
_Static_assert(offsetof(struct storpath_req, seg) == 48, "storpath_req seg");

/* storpath_cpl.response: did the command reach the logical unit at all? */
#define STORPATH_RESP_OK 0u         /* status is the SCSI status */
#define STORPATH_RESP_BAD_SENSE 1u  /* CHECK CONDITION, but the sense buffer
				       named by the request is not guest
				       memory: no sense was written */

/* SCSI status codes (SAM-5) the vmkernel returns. */
#define STORPATH_STATUS_GOOD 0x00u
#define STORPATH_STATUS_CHECK_CONDITION 0x02u

/* One completion slot. */
struct storpath_cpl {
	uint64_t tag;       /* +0  from the request */
	uint32_t residual;  /* +8  data bytes of the request not transferred */
	uint8_t status;     /* +12 SCSI status */
	uint8_t response;   /* +13 STORPATH_RESP_* */
	uint8_t sense_len;  /* +14 sense bytes written to the sense buffer */
	uint8_t rsvd_0f;
};
_Static_assert(sizeof(struct storpath_cpl) == 16, "storpath_cpl size");
_Static_assert(offsetof(struct storpath_cpl, status) == 12, "storpath_cpl status");

/* Where a ring is: handed to the vmkernel once, at set-up. */
struct storpath_queue_cfg {
	uint64_t ring_gpa;   /* 64-byte aligned; ring_mem_size(nslots, slot size) */
	uint32_t nslots;     /* power of two, at most RING_MAX_SLOTS */
	uint32_t rsvd_0c;
};
_Static_assert(sizeof(struct storpath_queue_cfg) == 16, "storpath_queue_cfg size");

struct storpath_dev_cfg {
	uint32_t abi_version;          /* +0  STORPATH_ABI_VERSION */
	uint32_t rsvd_04;
	struct storpath_queue_cfg req; /* +8  slots of struct storpath_req */
	struct storpath_queue_cfg cpl; /* +24 slots of struct storpath_cpl */
};
_Static_assert(sizeof(struct storpath_dev_cfg) == 40, "storpath_dev_cfg size");
_Static_assert(offsetof(struct storpath_dev_cfg, cpl) == 24, "storpath_dev_cfg cpl");

#endif
