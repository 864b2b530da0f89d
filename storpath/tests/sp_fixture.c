/* Test fixture: see sp_fixture.h. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "sp_fixture.h"

/* 6 MiB of disk in four pieces, shuffled; backing [3,4) MiB and [7,8) MiB
 * belong to somebody else. */
const struct storpath_extent sp_extents[4] = {
	{ .nblocks = 4096, .dev_off = 4u << 20 },
	{ .nblocks = 4096, .dev_off = 0 },
	{ .nblocks = 2048, .dev_off = 6u << 20 },
	{ .nblocks = 2048, .dev_off = 2u << 20 },
};

static bool sp_foreign(uint64_t off)
{
	return (off >= (3u << 20) && off < (4u << 20)) || off >= (7u << 20);
}

static int sp_ram_submit(void *ctx, struct storpath_io *io)
{
	struct sp *f = ctx;
	f->ram_ops++;
	if (f->fail_next) {
		f->fail_next--;
		storpath_be_io_done(f->be, io, VMK_EIO);
		return VMK_OK;
	}
	assert_ptr_equal(io->dev, f);
	if (io->op != STORPATH_IO_FLUSH) {
		/* Never outside the backing store, never on bytes of another VM. */
		assert_true(io->dev_off + io->len <= SP_BACKING);
		assert_false(sp_foreign(io->dev_off));
		assert_false(sp_foreign(io->dev_off + io->len - 1));
		uint64_t off = io->dev_off;
		for (uint32_t i = 0; i < io->niov; i++) {
			if (io->op == STORPATH_IO_WRITE)
				memcpy(f->backing + off, io->iov[i].base, io->iov[i].len);
			else
				memcpy(io->iov[i].base, f->backing + off, io->iov[i].len);
			off += io->iov[i].len;
		}
		assert_int_equal(off, io->dev_off + io->len);
	}
	storpath_be_io_done(f->be, io, VMK_OK);
	return VMK_OK;
}

static void sp_init_disk(struct sp *f, struct storpath_vdisk *d, uint64_t id,
			 const char *serial, uint32_t next)
{
	struct storpath_vdisk_cfg cfg = {
		.extents = sp_extents, .nextents = next, .block_shift = 9,
		.backing_bytes = SP_BACKING, .serial = serial, .id = id,
		.dev = f->uring ? (void *)&f->u : (void *)f,
	};
	assert_int_equal(storpath_vdisk_init(d, &cfg), VMK_OK);
}

static void sp_init_mem(struct sp *f)
{
	f->raw = aligned_alloc(4096, SP_MEM_SIZE + 2 * SP_GUARD);
	assert_non_null(f->raw);
	memset(f->raw, SP_CANARY, SP_MEM_SIZE + 2 * SP_GUARD);
	f->mem = f->raw + SP_GUARD;
	memset(f->mem, 0, SP_MEM_SIZE);
	f->region = (struct ring_region){ .gpa = SP_GPA_BASE, .len = SP_MEM_SIZE,
					  .hva = f->mem };
}

static void sp_init_store(struct sp *f, const struct sp_opts *o)
{
	if (o->file) {
		f->uring = true;
		assert_int_equal(storpath_uring_open(&f->u, o->file, 256), VMK_OK);
		return;
	}
	f->backing = malloc(SP_BACKING);
	assert_non_null(f->backing);
	for (uint32_t i = 0; i < SP_BACKING; i++)
		f->backing[i] = sp_foreign(i) ? SP_CANARY : 0;
}

struct sp *sp_new(const struct sp_opts *o)
{
	static const struct sp_opts dflt = { 0 };
	struct sp *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	o = o ? o : &dflt;
	uint32_t rs = o->req_slots ? o->req_slots : 64, cs = o->cpl_slots ? o->cpl_slots : 128;
	sp_init_mem(f);
	sp_init_store(f, o);
	sp_init_disk(f, &f->disk, 0x1234, "SPTEST0", 4);
	f->tgt.luns[0] = &f->disk;
	if (o->second_lun) {
		sp_init_disk(f, &f->disk3, 0x5678, "SPTEST3", 2);
		f->tgt.luns[3] = &f->disk3;
	}
	assert_int_equal(storpath_drv_init(&f->drv, f->mem + SP_REQ_OFF,
					   ring_mem_size(rs, sizeof(struct storpath_req)), rs,
					   f->mem + SP_CPL_OFF,
					   ring_mem_size(cs, sizeof(struct storpath_cpl)), cs),
			 VMK_OK);
	struct storpath_be_cfg cfg = {
		.regions = &f->region, .nregions = 1, .target = &f->tgt,
		.dev = { .abi_version = STORPATH_ABI_VERSION,
			 .req = { .ring_gpa = sp_gpa(SP_REQ_OFF), .nslots = rs },
			 .cpl = { .ring_gpa = sp_gpa(SP_CPL_OFF), .nslots = cs } },
		.io = f->uring ? storpath_uring_ops(&f->u)
			       : (struct storpath_io_ops){ .ctx = f, .submit = sp_ram_submit },
	};
	f->be = calloc(1, sizeof(*f->be));
	assert_non_null(f->be);
	assert_int_equal(storpath_be_init(f->be, &cfg), VMK_OK);
	return f;
}

void sp_free(struct sp *f)
{
	if (f->uring)
		storpath_uring_close(&f->u);
	free(f->backing);
	free(f->be);
	free(f->raw);
	free(f);
}

struct storpath_req *sp_req(struct sp *f, const uint8_t *cdb, uint32_t cdb_len,
			    uint8_t dir, uint32_t len)
{
	struct storpath_req *r = storpath_drv_next(&f->drv);
	assert_non_null(r);
	r->tag = ++f->tag;
	r->lun = 0;
	r->cdb_len = (uint8_t)cdb_len;
	memcpy(r->cdb, cdb, cdb_len < STORPATH_CDB_MAX ? cdb_len : STORPATH_CDB_MAX);
	r->dir = dir;
	r->sense_gpa = sp_gpa(SP_SENSE_OFF);
	r->sense_len = STORPATH_SENSE_LEN;
	memset(sp_sense(f), 0, 64);
	if (len) {
		r->nsegs = 1;
		r->seg[0].gpa = sp_gpa(SP_DATA_OFF);
		r->seg[0].len = len;
	}
	return r;
}

void sp_pump(struct sp *f)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t moved = storpath_be_poll(f->be, 64);
		if (f->uring)
			moved += (uint32_t)storpath_uring_reap(&f->u, f->be, f->u.inflight ? 1 : 0);
		storpath_be_flush(f->be);
		if (!moved && (!f->uring || !f->u.inflight))
			return;
	}
	fail_msg("storpath did not settle");
}

struct storpath_cpl sp_exec(struct sp *f)
{
	struct storpath_cpl c;
	storpath_drv_queue(&f->drv);
	storpath_drv_kick(&f->drv);
	sp_pump(f);
	assert_int_equal(storpath_drv_poll(&f->drv, &c, 1), 1);
	assert_int_equal(c.tag, f->tag);
	return c;
}

struct storpath_cpl sp_cmd(struct sp *f, const uint8_t *cdb, uint32_t cdb_len,
			   uint8_t dir, uint32_t len)
{
	sp_req(f, cdb, cdb_len, dir, len);
	return sp_exec(f);
}

uint8_t *sp_sense(struct sp *f)
{
	return sp_hva(f, SP_SENSE_OFF);
}

void sp_assert_sense(struct sp *f, const struct storpath_cpl *c, uint8_t key,
		     uint8_t asc, uint8_t ascq)
{
	const uint8_t *s = sp_sense(f);
	assert_int_equal(c->status, STORPATH_STATUS_CHECK_CONDITION);
	assert_int_equal(c->response, STORPATH_RESP_OK);
	assert_int_equal(c->sense_len, STORPATH_SENSE_LEN);
	assert_int_equal(s[0], 0x70);
	assert_int_equal(s[2], key);
	assert_int_equal(s[7], 10);
	assert_int_equal(s[12], asc);
	assert_int_equal(s[13], ascq);
}

void sp_assert_field(struct sp *f, const struct storpath_cpl *c, uint16_t field)
{
	const uint8_t *s = sp_sense(f);
	sp_assert_sense(f, c, 0x05, 0x24, 0x00);
	assert_int_equal(s[15], 0xc0);   /* SKSV, C/D = CDB */
	assert_int_equal(s[16] << 8 | s[17], field);
}

void sp_assert_canaries(struct sp *f)
{
	for (uint32_t i = 0; i < SP_GUARD; i++) {
		assert_int_equal(f->raw[i], SP_CANARY);
		assert_int_equal(f->raw[SP_GUARD + SP_MEM_SIZE + i], SP_CANARY);
	}
	if (!f->backing)
		return;
	for (uint32_t i = 0; i < SP_BACKING; i++)
		if (sp_foreign(i))
			assert_int_equal(f->backing[i], SP_CANARY);
}
