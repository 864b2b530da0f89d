/* storpath back end: see storpath_be.h. */
#include "storpath_be.h"

#include <vmk/err.h>

#define STORPATH_NO_CMD 0xffffffffu

/* ---- set-up ---- */

static int storpath_be_attach(struct storpath_be *be, struct ring *r,
			      const struct storpath_queue_cfg *q, uint32_t slot_size,
			      bool consumer)
{
	if (q->nslots == 0 || q->nslots > RING_MAX_SLOTS)
		return VMK_EINVAL;
	size_t len = ring_mem_size(q->nslots, slot_size);
	void *mem = ring_mem_translate(&be->mem, q->ring_gpa, len);
	if (!mem)
		return VMK_EFAULT;
	return consumer ? ring_attach_consumer(r, mem, len, q->nslots, slot_size)
			: ring_attach_producer(r, mem, len, q->nslots, slot_size);
}

int storpath_be_init(struct storpath_be *be, const struct storpath_be_cfg *cfg)
{
	if (!be || !cfg || !cfg->target || !cfg->io.submit)
		return VMK_EINVAL;
	if (cfg->dev.abi_version != STORPATH_ABI_VERSION)
		return VMK_EVERSION;
	be->mem.regions = cfg->regions;
	be->mem.nregions = cfg->nregions;
	be->target = cfg->target;
	be->io = cfg->io;
	int err = storpath_be_attach(be, &be->req, &cfg->dev.req,
				     sizeof(struct storpath_req), true);
	if (!err)
		err = storpath_be_attach(be, &be->cpl, &cfg->dev.cpl,
					 sizeof(struct storpath_cpl), false);
	if (err)
		return err;
	for (uint32_t i = 0; i < STORPATH_BE_MAX_CMDS; i++)
		be->cmds[i].next_free = i + 1 < STORPATH_BE_MAX_CMDS ? i + 1 : STORPATH_NO_CMD;
	be->free_head = 0;
	be->outstanding = 0;
	be->cpl_pending = 0;
	be->st = (struct storpath_stats){ 0 };
	return VMK_OK;
}

/* ---- completion ---- */

static void storpath_be_count(struct storpath_be *be, const struct storpath_scmd *sc)
{
	if (sc->status != STORPATH_STATUS_GOOD) {
		be->st.check_conditions++;
		return;
	}
	be->st.good++;
	if (sc->action == STORPATH_ACT_READ) {
		be->st.reads++;
		be->st.read_bytes += sc->done_bytes;
	} else if (sc->action == STORPATH_ACT_WRITE) {
		be->st.writes++;
		be->st.write_bytes += sc->done_bytes;
	} else if (sc->action == STORPATH_ACT_FLUSH) {
		be->st.flushes++;
	}
}

/* Writes @cmd's completion into the next unpublished slot and frees it.
 * storpath_be_poll took the command only with a slot reserved for it. */
void storpath_be_finish(struct storpath_be *be, struct storpath_cmd *cmd)
{
	struct storpath_scmd *sc = &cmd->sc;
	struct storpath_cpl c = {
		.tag = cmd->tag,
		.residual = sc->xfer_len - sc->done_bytes,
		.status = sc->status,
		.response = STORPATH_RESP_OK,
	};
	if (sc->status == STORPATH_STATUS_CHECK_CONDITION) {
		if (cmd->sense_bad) {
			c.response = STORPATH_RESP_BAD_SENSE;
			be->st.bad_sense++;
		} else if (cmd->sense) {
			c.sense_len = (uint8_t)storpath_sense_fill(&sc->sense, cmd->sense,
								   cmd->sense_cap);
		}
	}
	storpath_be_count(be, sc);
	*(struct storpath_cpl *)ring_prod_slot(&be->cpl, be->cpl_pending) = c;
	be->cpl_pending++;
	uint32_t idx = (uint32_t)(cmd - be->cmds);
	cmd->next_free = be->free_head;
	be->free_head = idx;
}

void storpath_be_io_done(struct storpath_be *be, struct storpath_io *io, int err)
{
	struct storpath_cmd *cmd = io->cmd;
	if (err)
		cmd->failed = true;
	if (--cmd->parts_left)
		return;
	if (cmd->failed) {
		storpath_scsi_io_error(&cmd->sc);
		be->st.io_errors++;
	} else if (cmd->sc.action != STORPATH_ACT_FLUSH) {
		cmd->sc.done_bytes = cmd->sc.xfer_len;
	}
	storpath_be_finish(be, cmd);
}

bool storpath_be_flush(struct storpath_be *be)
{
	if (!be->cpl_pending)
		return false;
	bool irq = ring_prod_publish(&be->cpl, be->cpl_pending);
	be->outstanding -= be->cpl_pending;
	be->cpl_pending = 0;
	be->st.cpl_batches++;
	if (irq)
		be->st.irqs++;
	return irq;
}

bool storpath_be_arm(struct storpath_be *be)
{
	return ring_cons_arm(&be->req, 1);
}

void storpath_be_stats(const struct storpath_be *be, struct storpath_stats *out)
{
	*out = be->st;
	out->bad_index = be->req.bad_index + be->cpl.bad_index;
}
