/* storpath_uring: the hosted storage back end — a file or block device
 * opened with O_DIRECT and driven through io_uring (liburing).
 *
 * Zero copy: each storpath_io's iovecs are pointers into the guest's
 * buffers and go to the kernel as they are, so the device DMAs straight
 * into or out of guest memory.  O_DIRECT needs them aligned to the device's
 * logical block size; a misaligned buffer is the one case that goes through
 * a bounce buffer, and every such payload copy is counted (a driver that
 * aligns its buffers, as the benchmark and Linux's block layer do, sees
 * zero). */
#ifndef VMK_STORPATH_URING_H
#define VMK_STORPATH_URING_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "storpath_be.h"

struct storpath_uring_stats {
	uint64_t submitted;       /* backing operations queued */
	uint64_t completed;
	uint64_t enters;          /* io_uring_enter calls: submits and waits */
	uint64_t zero_copy;       /* read/write ops on the guest's own buffers */
	uint64_t payload_copies;  /* bounced ops (misaligned guest buffer) */
	uint64_t copy_bytes;
	uint64_t errors;          /* ops that failed or came back short */
};

struct storpath_uring {
	struct io_uring ring;
	int fd;
	uint32_t align;           /* O_DIRECT alignment of buffers and lengths */
	uint32_t queued;          /* SQEs not yet submitted */
	uint32_t inflight;
	/* Set by a caller that reaps right after every poll: kick then leaves
	 * the SQEs queued and the reap submits them and waits in one
	 * io_uring_enter instead of two. */
	bool submit_in_reap;
	struct storpath_uring_stats st;
};

/* Open @path (must exist) read-write with O_DIRECT, ring of @depth SQEs. */
int storpath_uring_open(struct storpath_uring *u, const char *path, uint32_t depth);
void storpath_uring_close(struct storpath_uring *u);

/* storpath_io_ops for a back end over @u. */
struct storpath_io_ops storpath_uring_ops(struct storpath_uring *u);

/* Submit anything still queued, hand finished operations to @be; waits for
 * at least @min_wait of them unless some are ready already.  Returns how
 * many finished, or a negative error. */
int storpath_uring_reap(struct storpath_uring *u, struct storpath_be *be,
			uint32_t min_wait);

#endif
