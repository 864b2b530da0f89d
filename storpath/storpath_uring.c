/* storpath_uring: see storpath_uring.h.  Hosted only. */
#define _GNU_SOURCE
#include "storpath_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vmk/err.h>

/* storpath_sg is laid out like struct iovec so a command's slices go to the
 * kernel without being rewritten. */
_Static_assert(sizeof(struct storpath_sg) == sizeof(struct iovec), "sg as iovec");
_Static_assert(offsetof(struct storpath_sg, base) == offsetof(struct iovec, iov_base),
	       "sg base");
_Static_assert(offsetof(struct storpath_sg, len) == offsetof(struct iovec, iov_len),
	       "sg len");

#define STORPATH_URING_REAP_BATCH 64u

/* Memory alignment O_DIRECT needs on this file; 4096 if the kernel cannot
 * say (safe for every device). */
static uint32_t storpath_uring_dio_align(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_mem_align)
		return stx.stx_dio_mem_align;
#else
	(void)fd;
#endif
	return 4096;
}

int storpath_uring_open(struct storpath_uring *u, const char *path, uint32_t depth)
{
	memset(u, 0, sizeof(*u));
	u->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (u->fd < 0)
		return VMK_ENOENT;
	if (io_uring_queue_init(depth, &u->ring, 0) < 0) {
		close(u->fd);
		u->fd = -1;
		return VMK_ENODEV;
	}
	u->align = storpath_uring_dio_align(u->fd);
	return VMK_OK;
}

void storpath_uring_close(struct storpath_uring *u)
{
	if (u->fd < 0)
		return;
	io_uring_queue_exit(&u->ring);
	close(u->fd);
	u->fd = -1;
}

static struct io_uring_sqe *storpath_uring_sqe(struct storpath_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe && io_uring_submit(&u->ring) > 0) {
		/* SQ full: push what is there, then there is room. */
		u->st.enters++;
		u->queued = 0;
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static bool storpath_uring_aligned(const struct storpath_uring *u,
				   const struct storpath_io *io)
{
	uintptr_t m = u->align - 1;
	for (uint32_t i = 0; i < io->niov; i++)
		if (((uintptr_t)io->iov[i].base & m) || (io->iov[i].len & m))
			return false;
	return true;
}

/* The one copying case: gather into an aligned bounce buffer (scattered
 * back by storpath_uring_unbounce for reads). */
static void *storpath_uring_bounce(struct storpath_uring *u, struct storpath_io *io)
{
	size_t len = ((size_t)io->len + u->align - 1) & ~((size_t)u->align - 1);
	uint8_t *b = aligned_alloc(u->align, len);
	if (!b)
		return NULL;
	size_t off = 0;
	for (uint32_t i = 0; i < io->niov && io->op == STORPATH_IO_WRITE; i++) {
		memcpy(b + off, io->iov[i].base, io->iov[i].len);
		off += io->iov[i].len;
	}
	u->st.payload_copies++;
	u->st.copy_bytes += io->len;
	return b;
}

static void storpath_uring_unbounce(struct storpath_io *io, bool ok)
{
	const uint8_t *b = io->priv;
	size_t off = 0;
	for (uint32_t i = 0; ok && i < io->niov && io->op == STORPATH_IO_READ; i++) {
		memcpy(io->iov[i].base, b + off, io->iov[i].len);
		off += io->iov[i].len;
	}
	free(io->priv);
	io->priv = NULL;
}

static void storpath_uring_prep_rw(struct storpath_uring *u, struct io_uring_sqe *sqe,
				   struct storpath_io *io)
{
	bool wr = io->op == STORPATH_IO_WRITE;
	if (io->priv) {
		if (wr)
			io_uring_prep_write(sqe, u->fd, io->priv, io->len, io->dev_off);
		else
			io_uring_prep_read(sqe, u->fd, io->priv, io->len, io->dev_off);
	} else if (io->niov == 1) {
		if (wr)
			io_uring_prep_write(sqe, u->fd, io->iov[0].base, io->len, io->dev_off);
		else
			io_uring_prep_read(sqe, u->fd, io->iov[0].base, io->len, io->dev_off);
	} else {
		const struct iovec *v = (const struct iovec *)(const void *)io->iov;
		if (wr)
			io_uring_prep_writev(sqe, u->fd, v, io->niov, io->dev_off);
		else
			io_uring_prep_readv(sqe, u->fd, v, io->niov, io->dev_off);
	}
}

static int storpath_uring_submit(void *ctx, struct storpath_io *io)
{
	struct storpath_uring *u = ctx;
	bool copy = io->op != STORPATH_IO_FLUSH && !storpath_uring_aligned(u, io);
	/* Bounce before taking an SQE: a taken SQE must always be prepared. */
	io->priv = copy ? storpath_uring_bounce(u, io) : NULL;
	if (copy && !io->priv)
		return VMK_ENOMEM;
	struct io_uring_sqe *sqe = storpath_uring_sqe(u);
	if (!sqe) {
		free(io->priv);
		io->priv = NULL;
		return VMK_EAGAIN;
	}
	if (io->op == STORPATH_IO_FLUSH)
		io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
	else
		storpath_uring_prep_rw(u, sqe, io);
	if (!copy && io->op != STORPATH_IO_FLUSH)
		u->st.zero_copy++;
	io_uring_sqe_set_data(sqe, io);
	u->queued++;
	u->inflight++;
	u->st.submitted++;
	return VMK_OK;
}

static void storpath_uring_kick(void *ctx)
{
	struct storpath_uring *u = ctx;
	if (!u->queued || u->submit_in_reap)
		return;
	if (io_uring_submit(&u->ring) > 0)
		u->st.enters++;
	u->queued = 0;
}

struct storpath_io_ops storpath_uring_ops(struct storpath_uring *u)
{
	return (struct storpath_io_ops){
		.ctx = u,
		.submit = storpath_uring_submit,
		.kick = storpath_uring_kick,
	};
}

static void storpath_uring_done(struct storpath_uring *u, struct storpath_be *be,
				struct io_uring_cqe *cqe)
{
	struct storpath_io *io = io_uring_cqe_get_data(cqe);
	int want = io->op == STORPATH_IO_FLUSH ? 0 : (int)io->len;
	bool ok = cqe->res == want;
	if (io->priv)
		storpath_uring_unbounce(io, ok);
	if (!ok)
		u->st.errors++;
	u->st.completed++;
	u->inflight--;
	storpath_be_io_done(be, io, ok ? VMK_OK : VMK_EIO);
}

int storpath_uring_reap(struct storpath_uring *u, struct storpath_be *be,
			uint32_t min_wait)
{
	struct io_uring_cqe *cqes[STORPATH_URING_REAP_BATCH];
	/* Ready completions are taken without a wait (and without a system
	 * call, unless something must be submitted). */
	if (io_uring_cq_ready(&u->ring) || min_wait > u->inflight)
		min_wait = 0;
	if (u->queued) {
		int err = io_uring_submit_and_wait(&u->ring, min_wait);
		if (err < 0 && err != -EINTR)
			return VMK_EIO;
		u->st.enters++;
		u->queued = 0;
	} else if (min_wait) {
		struct io_uring_cqe *cqe;
		int err = io_uring_wait_cqe_nr(&u->ring, &cqe, min_wait);
		if (err < 0 && err != -EINTR)
			return VMK_EIO;
		u->st.enters++;
	}
	int total = 0;
	unsigned n;
	while ((n = io_uring_peek_batch_cqe(&u->ring, cqes, STORPATH_URING_REAP_BATCH))) {
		for (unsigned i = 0; i < n; i++)
			storpath_uring_done(u, be, cqes[i]);
		io_uring_cq_advance(&u->ring, n);
		total += (int)n;
	}
	return total;
}
