/* storpath back end, request intake: copy each slot once, validate and
 * translate it, emulate, and hand reads and writes to the storage back end.
 * See storpath_be.h for what hostile input gets. */
#include "storpath_be.h"

#include <vmk/err.h>

#define STORPATH_NO_CMD 0xffffffffu

/* A request slot as words, so it can be copied one load per word. */
union storpath_req_words {
	struct storpath_req r;
	uint64_t w[sizeof(struct storpath_req) / 8];
};

/* Copy a shared slot into private memory with one load per word: neither
 * the compiler nor a racing guest can make a later check see other bytes
 * than the ones copied (no double fetch). */
static void storpath_copy_once(union storpath_req_words *dst, const void *slot)
{
	const uint64_t *s = slot;
	for (uint32_t i = 0; i < sizeof(dst->w) / 8; i++)
		dst->w[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static struct storpath_cmd *storpath_cmd_alloc(struct storpath_be *be)
{
	struct storpath_cmd *cmd = &be->cmds[be->free_head];
	be->free_head = cmd->next_free;
	cmd->failed = false;
	cmd->parts_left = 0;
	cmd->sense = (void *)0;
	cmd->sense_cap = 0;
	cmd->sense_bad = false;
	return cmd;
}

static void storpath_be_sense(struct storpath_be *be, struct storpath_cmd *cmd,
			      const struct storpath_req *r)
{
	if (!r->sense_len)
		return;
	cmd->sense_cap = r->sense_len < STORPATH_SENSE_LEN ? r->sense_len : STORPATH_SENSE_LEN;
	cmd->sense = ring_mem_translate(&be->mem, r->sense_gpa, cmd->sense_cap);
	cmd->sense_bad = !cmd->sense;
}

/* Translate the data segments into @sc; false if any is unusable. */
static bool storpath_be_segs(struct storpath_be *be, const struct storpath_req *r,
			     struct storpath_scmd *sc)
{
	uint64_t total = 0;
	if (r->nsegs > STORPATH_MAX_SEGS || r->dir > STORPATH_DIR_READ)
		return false;
	if (r->nsegs && r->dir == STORPATH_DIR_NONE)
		return false;
	for (uint32_t i = 0; i < r->nsegs; i++) {
		uint32_t len = r->seg[i].len;
		void *p = ring_mem_translate(&be->mem, r->seg[i].gpa, len);
		if (!p || len == 0)
			return false;
		sc->sg[i].base = p;
		sc->sg[i].len = len;
		total += len;
	}
	if (total > STORPATH_MAX_XFER)
		return false;
	sc->nsg = r->nsegs;
	sc->xfer_len = (uint32_t)total;
	return true;
}

static void storpath_be_decode(struct storpath_cmd *cmd, const struct storpath_req *r)
{
	struct storpath_scmd *sc = &cmd->sc;
	cmd->tag = r->tag;
	sc->lun = r->lun;
	sc->cdb_len = r->cdb_len;
	sc->dir = r->dir;
	sc->nsg = 0;
	sc->xfer_len = 0;
	for (uint32_t i = 0; i < STORPATH_CDB_MAX; i++)
		sc->cdb[i] = r->cdb[i];
}

/* The slice [off, off + len) of the command's segments, as iovecs. */
static uint32_t storpath_be_slice(const struct storpath_scmd *sc, uint64_t off,
				  uint64_t len, struct storpath_sg *iov)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < sc->nsg && len; i++) {
		if (off >= sc->sg[i].len) {
			off -= sc->sg[i].len;
			continue;
		}
		uint64_t k = sc->sg[i].len - off;
		if (k > len)
			k = len;
		iov[n].base = sc->sg[i].base + off;
		iov[n].len = (size_t)k;
		n++;
		len -= k;
		off = 0;
	}
	return n;
}

/* Build the backing operations of @cmd; returns how many. */
static uint32_t storpath_be_plan(struct storpath_cmd *cmd)
{
	struct storpath_scmd *sc = &cmd->sc;
	struct storpath_piece pc[STORPATH_MAX_PARTS];
	uint32_t np = 1;
	if (sc->action == STORPATH_ACT_FLUSH) {
		cmd->io[0] = (struct storpath_io){ .op = STORPATH_IO_FLUSH };
	} else {
		uint64_t off = 0;
		np = storpath_vdisk_map(sc->disk, sc->lba, sc->nblocks, pc);
		for (uint32_t i = 0; i < np; i++) {
			struct storpath_io *io = &cmd->io[i];
			io->op = sc->action == STORPATH_ACT_WRITE ? STORPATH_IO_WRITE
								  : STORPATH_IO_READ;
			io->dev_off = pc[i].dev_off;
			io->len = (uint32_t)pc[i].nbytes;
			io->niov = storpath_be_slice(sc, off, pc[i].nbytes, io->iov);
			off += pc[i].nbytes;
		}
	}
	for (uint32_t i = 0; i < np; i++) {
		cmd->io[i].dev = sc->disk->dev;
		cmd->io[i].cmd = cmd;
		cmd->io[i].priv = (void *)0;
	}
	return np;
}

static void storpath_be_submit(struct storpath_be *be, struct storpath_cmd *cmd)
{
	uint32_t np = storpath_be_plan(cmd);
	/* Count the parts first: a part may complete before the next is queued. */
	cmd->parts_left = np + 1;
	for (uint32_t i = 0; i < np; i++) {
		if (be->io.submit(be->io.ctx, &cmd->io[i])) {
			cmd->failed = true;
			cmd->parts_left -= np - i;   /* this and later parts never go out */
			break;
		}
	}
	/* Drop the guard count; finishes the command if every part is done. */
	struct storpath_io guard = { .cmd = cmd };
	storpath_be_io_done(be, &guard, 0);
}

static void storpath_be_start(struct storpath_be *be, const struct storpath_req *r)
{
	struct storpath_cmd *cmd = storpath_cmd_alloc(be);
	be->outstanding++;
	be->st.cmds++;
	storpath_be_decode(cmd, r);
	storpath_be_sense(be, cmd, r);
	if (!storpath_be_segs(be, r, &cmd->sc)) {
		cmd->sc.nsg = 0;
		cmd->sc.xfer_len = 0;
		cmd->sc.done_bytes = 0;
		storpath_scsi_fail(&cmd->sc, STORPATH_KEY_ABORTED_COMMAND,
				   STORPATH_ASC_DATA_PHASE_ERROR);
		be->st.bad_desc++;
		storpath_be_finish(be, cmd);
		return;
	}
	storpath_scsi_exec(be->target, &cmd->sc);
	if (cmd->sc.action == STORPATH_ACT_DONE)
		storpath_be_finish(be, cmd);
	else
		storpath_be_submit(be, cmd);
}

/* True if one more command can be taken: a free command and a completion
 * slot reserved for it (so a driver that stops reading completions stalls
 * only itself). */
static bool storpath_be_room(struct storpath_be *be)
{
	return be->free_head != STORPATH_NO_CMD &&
	       be->outstanding < ring_prod_space(&be->cpl);
}

uint32_t storpath_be_poll(struct storpath_be *be, uint32_t budget)
{
	union storpath_req_words r;
	ring_prod_reclaim(&be->cpl, ring_prod_poll_done(&be->cpl));
	uint32_t avail = ring_cons_poll(&be->req);
	uint32_t taken = 0;
	while (taken < avail && taken < budget && storpath_be_room(be)) {
		storpath_copy_once(&r, ring_cons_slot(&be->req, taken));
		taken++;
		storpath_be_start(be, &r.r);
	}
	if (!taken)
		return 0;
	/* The slots are private copies now: recycle them at once. */
	ring_cons_consume(&be->req, taken);
	ring_cons_release(&be->req, taken);
	if (be->io.kick)
		be->io.kick(be->io.ctx);
	return taken;
}
