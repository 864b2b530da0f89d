/* storpath back end: the vmkernel side of a storpath device.
 *
 * It consumes the request ring, copies each slot into private memory exactly
 * once (the guest may rewrite it at any time), translates every buffer
 * through the VM's region table, runs the SCSI emulation, hands reads and
 * writes to the storage back end as pointers into guest memory (zero copy),
 * and posts completions in batches.
 *
 * Hostile input never reaches memory or blocks outside the VM:
 *   - a corrupt ring index is rejected by ring_core and counted (the ring is
 *     broken: nothing new is read, nothing is completed for it);
 *   - a data segment outside guest memory, a zero-length segment, too many
 *     segments, a bad direction or more than STORPATH_MAX_XFER bytes:
 *     CHECK CONDITION, ABORTED COMMAND / DATA PHASE ERROR (4Bh/00h);
 *   - a sense buffer outside guest memory: CHECK CONDITION with response
 *     STORPATH_RESP_BAD_SENSE and no sense written, counted;
 *   - everything about the CDB itself is storpath_scsi's (ILLEGAL REQUEST).
 * LBAs are checked against the virtual disk and remapped through its extent
 * map, whose ranges set-up has checked against the backing device. */
#ifndef VMK_STORPATH_BE_H
#define VMK_STORPATH_BE_H

#include <stdbool.h>
#include <stdint.h>

#include "ring_core.h"
#include "ring_mem.h"
#include "storpath_abi.h"
#include "storpath_scsi.h"

#define STORPATH_BE_MAX_CMDS 256u   /* commands in flight per device */

/* storpath_io.op */
#define STORPATH_IO_READ 0u
#define STORPATH_IO_WRITE 1u
#define STORPATH_IO_FLUSH 2u

/* One backing-store operation: a contiguous device range and the guest
 * buffers (a slice of the command's segments) it moves. */
struct storpath_io {
	void *dev;                   /* storpath_vdisk.dev */
	uint64_t dev_off;
	uint32_t len;
	uint8_t op;
	uint32_t niov;
	struct storpath_sg iov[STORPATH_MAX_SEGS];
	void *priv;                  /* the storage back end's, per operation */
	struct storpath_cmd *cmd;    /* owner; not for the storage back end */
};

/* The storage back end (io_uring hosted; the physical HBA driver in the
 * vmkernel).  Completion of each submitted io comes back, from whatever
 * context, through storpath_be_io_done(). */
struct storpath_io_ops {
	void *ctx;
	int (*submit)(void *ctx, struct storpath_io *io);   /* queue; 0 or error */
	void (*kick)(void *ctx);     /* start what was queued: once per batch */
};

struct storpath_cmd {
	uint64_t tag;
	uint8_t *sense;              /* translated sense buffer, or NULL */
	uint32_t sense_cap;
	bool sense_bad;
	bool failed;
	uint32_t parts_left;
	uint32_t next_free;
	struct storpath_scmd sc;
	struct storpath_io io[STORPATH_MAX_PARTS];
};

struct storpath_stats {
	uint64_t cmds;               /* requests taken off the ring */
	uint64_t good;
	uint64_t check_conditions;
	uint64_t reads, writes, flushes;
	uint64_t read_bytes, write_bytes;
	uint64_t bad_desc;           /* data segments unusable: 4Bh/00h */
	uint64_t bad_sense;          /* sense buffer outside guest memory */
	uint64_t bad_index;          /* ring index snapshots rejected, dropped */
	uint64_t io_errors;          /* backing store failures: MEDIUM ERROR */
	uint64_t cpl_batches;        /* completion publishes */
	uint64_t irqs;               /* completion interrupts the driver armed */
	uint64_t payload_copies;     /* by this side: none, ever */
};

struct storpath_be_cfg {
	const struct ring_region *regions;   /* the VM's memory; trusted */
	uint32_t nregions;
	struct storpath_dev_cfg dev;         /* from the guest; validated */
	const struct storpath_target *target;
	struct storpath_io_ops io;
};

struct storpath_be {
	struct ring_memmap mem;
	struct ring req;
	struct ring cpl;
	const struct storpath_target *target;
	struct storpath_io_ops io;
	uint32_t free_head;
	uint32_t outstanding;        /* taken and not yet published */
	uint32_t cpl_pending;        /* written and not yet published */
	struct storpath_stats st;
	struct storpath_cmd cmds[STORPATH_BE_MAX_CMDS];
};

int storpath_be_init(struct storpath_be *be, const struct storpath_be_cfg *cfg);

/* Take up to @budget new requests (one index snapshot, one release):
 * emulate or submit them, then kick the storage back end once. */
uint32_t storpath_be_poll(struct storpath_be *be, uint32_t budget);
/* The storage back end finished @io with 0 or a negative error. */
void storpath_be_io_done(struct storpath_be *be, struct storpath_io *io, int err);
/* Publish every completion written so far in one release.  True if the
 * driver armed its interrupt (the VMM raises it, once for the batch). */
bool storpath_be_flush(struct storpath_be *be);
/* Going idle: ask for a doorbell on the next request.  True if none is
 * there now (safe to sleep); false: poll again. */
bool storpath_be_arm(struct storpath_be *be);

/* Between storpath_be*.c only: post @cmd's completion (unpublished). */
void storpath_be_finish(struct storpath_be *be, struct storpath_cmd *cmd);

/* Counters, with the ring core's corrupt-index counts folded in. */
void storpath_be_stats(const struct storpath_be *be, struct storpath_stats *out);

#endif
