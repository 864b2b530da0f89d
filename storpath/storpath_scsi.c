/* storpath_scsi: command dispatch, sense, and every command except INQUIRY.
 * See storpath_scsi.h; facts from SPC-4 and SBC-3. */
#include "storpath_scsi.h"

typedef void (*storpath_op_fn)(const struct storpath_target *t, struct storpath_scmd *c);

/* ---- sense and responses ---- */

void storpath_scsi_fail(struct storpath_scmd *c, uint8_t key, uint16_t asc)
{
	c->status = STORPATH_STATUS_CHECK_CONDITION;
	c->sense.key = key;
	c->sense.asc = asc;
	c->sense.field_valid = false;
	c->sense.field = 0;
	c->action = STORPATH_ACT_DONE;
}

void storpath_scsi_bad_field(struct storpath_scmd *c, uint16_t byte)
{
	storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST, STORPATH_ASC_INVALID_FIELD_CDB);
	c->sense.field_valid = true;
	c->sense.field = byte;
}

void storpath_scsi_io_error(struct storpath_scmd *c)
{
	uint16_t asc = c->action == STORPATH_ACT_READ ? STORPATH_ASC_UNRECOVERED_READ
						       : STORPATH_ASC_WRITE_ERROR;
	storpath_scsi_fail(c, STORPATH_KEY_MEDIUM_ERROR, asc);
	c->done_bytes = 0;
}

uint32_t storpath_sense_fill(const struct storpath_sense *s, uint8_t *buf, uint32_t cap)
{
	uint8_t f[STORPATH_SENSE_LEN] = { 0 };
	f[0] = 0x70;                   /* current error, fixed format */
	f[2] = s->key & 0x0f;
	f[7] = STORPATH_SENSE_LEN - 8; /* additional sense length */
	f[12] = (uint8_t)(s->asc >> 8);
	f[13] = (uint8_t)s->asc;
	if (s->field_valid) {
		f[15] = 0x80 | 0x40;   /* SKSV, C/D: the field is in the CDB */
		storpath_put16(&f[16], s->field);
	}
	uint32_t n = cap < STORPATH_SENSE_LEN ? cap : STORPATH_SENSE_LEN;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = f[i];
	return n;
}

void storpath_scsi_respond(struct storpath_scmd *c, const void *data, uint32_t len,
			   uint32_t alloc)
{
	const uint8_t *src = data;
	uint32_t n = len < alloc ? len : alloc;
	if (n > c->xfer_len)
		n = c->xfer_len;
	uint32_t done = 0;
	for (uint32_t i = 0; i < c->nsg && done < n; i++) {
		uint32_t k = c->sg[i].len < n - done ? (uint32_t)c->sg[i].len : n - done;
		__builtin_memcpy(c->sg[i].base, src + done, k);
		done += k;
	}
	c->done_bytes = done;
}

/* Commands that return data need the driver to have asked for data in. */
static bool storpath_want_data_in(struct storpath_scmd *c)
{
	if (c->xfer_len && c->dir != STORPATH_DIR_READ) {
		storpath_scsi_bad_field(c, 0);
		return false;
	}
	return true;
}

/* ---- simple commands ---- */

static void storpath_op_tur(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	(void)c;
}

static void storpath_op_request_sense(const struct storpath_target *t,
				      struct storpath_scmd *c)
{
	/* Errors are reported by autosense, so nothing is ever pending; an
	 * unknown LUN gets its sense here with GOOD status (SPC-4). */
	struct storpath_sense s = { .key = STORPATH_KEY_NO_SENSE, .asc = STORPATH_ASC_NONE };
	uint8_t buf[STORPATH_SENSE_LEN];
	if (c->lun >= STORPATH_MAX_LUNS || !t->luns[c->lun]) {
		s.key = STORPATH_KEY_ILLEGAL_REQUEST;
		s.asc = STORPATH_ASC_LUN_NOT_SUPPORTED;
	}
	if (!storpath_want_data_in(c))
		return;
	storpath_sense_fill(&s, buf, sizeof(buf));
	storpath_scsi_respond(c, buf, sizeof(buf), c->cdb[4]);
}

static void storpath_op_read_capacity10(const struct storpath_target *t,
					struct storpath_scmd *c)
{
	(void)t;
	const struct storpath_vdisk *d = c->disk;
	uint8_t buf[8];
	/* PMI clear requires LBA 0 (SBC-3). */
	if (!(c->cdb[8] & 1) && storpath_be32(&c->cdb[2])) {
		storpath_scsi_bad_field(c, 2);
		return;
	}
	if (!storpath_want_data_in(c))
		return;
	uint64_t last = d->nblocks - 1;
	storpath_put32(buf, last > 0xffffffffull ? 0xffffffffu : (uint32_t)last);
	storpath_put32(buf + 4, storpath_vdisk_bsize(d));
	storpath_scsi_respond(c, buf, sizeof(buf), sizeof(buf));
}

static void storpath_op_service_in16(const struct storpath_target *t,
				     struct storpath_scmd *c)
{
	(void)t;
	const struct storpath_vdisk *d = c->disk;
	uint8_t buf[32] = { 0 };
	if ((c->cdb[1] & 0x1f) != STORPATH_SA_READ_CAPACITY16) {
		storpath_scsi_bad_field(c, 1);
		return;
	}
	if (!storpath_want_data_in(c))
		return;
	storpath_put64(buf, d->nblocks - 1);
	storpath_put32(buf + 8, storpath_vdisk_bsize(d));
	/* Backing extents are 4 KiB aligned: say so, so 512-byte guests align. */
	buf[13] = (uint8_t)(12 - d->block_shift);
	storpath_scsi_respond(c, buf, sizeof(buf), storpath_be32(&c->cdb[10]));
}

static void storpath_op_report_luns(const struct storpath_target *t,
				    struct storpath_scmd *c)
{
	uint8_t buf[8 + 8 * STORPATH_MAX_LUNS] = { 0 };
	uint8_t sel = c->cdb[2];
	uint32_t alloc = storpath_be32(&c->cdb[6]);
	uint32_t n = 0;
	if (sel > 2) {
		storpath_scsi_bad_field(c, 2);
		return;
	}
	if (alloc < 16) {
		storpath_scsi_bad_field(c, 6);
		return;
	}
	if (!storpath_want_data_in(c))
		return;
	for (uint32_t l = 0; l < STORPATH_MAX_LUNS && sel != 1; l++) {
		if (!t->luns[l])
			continue;
		buf[8 + 8 * n + 1] = (uint8_t)l;   /* peripheral device addressing */
		n++;
	}
	storpath_put32(buf, 8 * n);
	storpath_scsi_respond(c, buf, 8 + 8 * n, alloc);
}

/* ---- MODE SENSE ---- */

#define STORPATH_PAGE_CACHING 0x08u
#define STORPATH_PAGE_CONTROL 0x0au
#define STORPATH_PAGE_ALL 0x3fu

/* Appends page @code (current/default values unless @changeable, whose
 * masks are all zero: nothing can be changed) at @p; returns its size. */
static uint32_t storpath_mode_page(uint8_t *p, uint8_t code, bool changeable)
{
	uint32_t len = code == STORPATH_PAGE_CACHING ? 20 : 12;
	for (uint32_t i = 0; i < len; i++)
		p[i] = 0;
	p[0] = code;
	p[1] = (uint8_t)(len - 2);
	if (changeable)
		return len;
	if (code == STORPATH_PAGE_CACHING)
		p[2] = 0x04;          /* WCE: writes need SYNCHRONIZE CACHE to be durable */
	else
		p[3] = 0x10;          /* queue algorithm modifier 1: unrestricted order */
	return len;
}

/* Block descriptor (short or long LBA form); returns its size. */
static uint32_t storpath_mode_blockdesc(uint8_t *p, const struct storpath_vdisk *d,
					bool longlba)
{
	for (uint32_t i = 0; i < (longlba ? 16u : 8u); i++)
		p[i] = 0;
	if (longlba) {
		storpath_put64(p, d->nblocks);
		storpath_put32(p + 12, storpath_vdisk_bsize(d));
		return 16;
	}
	storpath_put32(p, d->nblocks > 0xffffffffull ? 0xffffffffu : (uint32_t)d->nblocks);
	storpath_put32(p + 4, storpath_vdisk_bsize(d));  /* byte 4 reserved: 0 */
	p[4] = 0;
	return 8;
}

/* Common body of MODE SENSE(6) and (10): @hdr bytes of header are left for
 * the caller; returns the total length, or 0 after failing @c. */
static uint32_t storpath_mode_body(struct storpath_scmd *c, uint8_t *buf, uint32_t hdr,
				   bool dbd, bool longlba, uint32_t *bdlen)
{
	uint8_t pc = c->cdb[2] >> 6, page = c->cdb[2] & 0x3f, sub = c->cdb[3];
	if (pc == 3) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST, STORPATH_ASC_SAVING_PARAMS);
		return 0;
	}
	if (page != STORPATH_PAGE_CACHING && page != STORPATH_PAGE_CONTROL &&
	    page != STORPATH_PAGE_ALL) {
		storpath_scsi_bad_field(c, 2);
		return 0;
	}
	if (sub != 0 && !(sub == 0xff && page == STORPATH_PAGE_ALL)) {
		storpath_scsi_bad_field(c, 3);
		return 0;
	}
	uint32_t len = hdr;
	*bdlen = dbd ? 0 : storpath_mode_blockdesc(buf + len, c->disk, longlba);
	len += *bdlen;
	if (page == STORPATH_PAGE_CACHING || page == STORPATH_PAGE_ALL)
		len += storpath_mode_page(buf + len, STORPATH_PAGE_CACHING, pc == 1);
	if (page == STORPATH_PAGE_CONTROL || page == STORPATH_PAGE_ALL)
		len += storpath_mode_page(buf + len, STORPATH_PAGE_CONTROL, pc == 1);
	return len;
}

static void storpath_op_mode_sense6(const struct storpath_target *t,
				    struct storpath_scmd *c)
{
	(void)t;
	uint8_t buf[64] = { 0 };
	uint32_t bdlen;
	if (!storpath_want_data_in(c))
		return;
	uint32_t len = storpath_mode_body(c, buf, 4, c->cdb[1] & 0x08, false, &bdlen);
	if (!len)
		return;
	buf[0] = (uint8_t)(len - 1);   /* mode data length excludes itself */
	buf[3] = (uint8_t)bdlen;
	storpath_scsi_respond(c, buf, len, c->cdb[4]);
}

static void storpath_op_mode_sense10(const struct storpath_target *t,
				     struct storpath_scmd *c)
{
	(void)t;
	uint8_t buf[64] = { 0 };
	uint32_t bdlen;
	bool longlba = c->cdb[1] & 0x10;
	if (!storpath_want_data_in(c))
		return;
	uint32_t len = storpath_mode_body(c, buf, 8, c->cdb[1] & 0x08, longlba, &bdlen);
	if (!len)
		return;
	storpath_put16(buf, (uint16_t)(len - 2));
	buf[4] = bdlen == 16 ? 1 : 0;  /* LONGLBA */
	storpath_put16(buf + 6, (uint16_t)bdlen);
	storpath_scsi_respond(c, buf, len, storpath_be16(&c->cdb[7]));
}

/* ---- READ / WRITE / SYNCHRONIZE CACHE ---- */

static void storpath_rw(struct storpath_scmd *c, uint64_t lba, uint64_t n,
			uint16_t len_field, bool write)
{
	const struct storpath_vdisk *d = c->disk;
	if (c->cdb[1] & 0xe0) {          /* RDPROTECT/WRPROTECT: no protection info */
		storpath_scsi_bad_field(c, 1);
		return;
	}
	if (!storpath_vdisk_in_range(d, lba, n) || (n == 0 && lba >= d->nblocks)) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST,
				   STORPATH_ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (n > (STORPATH_MAX_XFER >> d->block_shift)) {
		storpath_scsi_bad_field(c, len_field);
		return;
	}
	/* The buffers must hold exactly what the CDB transfers: anything else
	 * is a confused or hostile driver, and the CDB is what it got wrong. */
	if (c->xfer_len != (n << d->block_shift)) {
		storpath_scsi_bad_field(c, len_field);
		return;
	}
	if (n && c->dir != (write ? STORPATH_DIR_WRITE : STORPATH_DIR_READ)) {
		storpath_scsi_bad_field(c, 0);
		return;
	}
	if (n == 0)
		return;
	c->action = write ? STORPATH_ACT_WRITE : STORPATH_ACT_READ;
	c->lba = lba;
	c->nblocks = n;
}

static void storpath_op_rw10(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	storpath_rw(c, storpath_be32(&c->cdb[2]), storpath_be16(&c->cdb[7]), 7,
		    c->cdb[0] == STORPATH_OP_WRITE10);
}

static void storpath_op_rw16(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	storpath_rw(c, storpath_be64(&c->cdb[2]), storpath_be32(&c->cdb[10]), 10,
		    c->cdb[0] == STORPATH_OP_WRITE16);
}

static void storpath_sync(struct storpath_scmd *c, uint64_t lba, uint64_t n)
{
	/* Zero blocks means "to the end of the disk". */
	if (!storpath_vdisk_in_range(c->disk, lba, n) || lba >= c->disk->nblocks) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST,
				   STORPATH_ASC_LBA_OUT_OF_RANGE);
		return;
	}
	c->action = STORPATH_ACT_FLUSH;
}

static void storpath_op_sync10(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	storpath_sync(c, storpath_be32(&c->cdb[2]), storpath_be16(&c->cdb[7]));
}

static void storpath_op_sync16(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	storpath_sync(c, storpath_be64(&c->cdb[2]), storpath_be32(&c->cdb[10]));
}

/* ---- dispatch ---- */

/* Indexed by operation code; NULL: INVALID COMMAND OPERATION CODE. */
static const storpath_op_fn storpath_ops[256] = {
	[STORPATH_OP_TEST_UNIT_READY] = storpath_op_tur,
	[STORPATH_OP_REQUEST_SENSE] = storpath_op_request_sense,
	[STORPATH_OP_INQUIRY] = storpath_scsi_inquiry,
	[STORPATH_OP_MODE_SENSE6] = storpath_op_mode_sense6,
	[STORPATH_OP_READ_CAPACITY10] = storpath_op_read_capacity10,
	[STORPATH_OP_READ10] = storpath_op_rw10,
	[STORPATH_OP_WRITE10] = storpath_op_rw10,
	[STORPATH_OP_SYNC_CACHE10] = storpath_op_sync10,
	[STORPATH_OP_MODE_SENSE10] = storpath_op_mode_sense10,
	[STORPATH_OP_READ16] = storpath_op_rw16,
	[STORPATH_OP_WRITE16] = storpath_op_rw16,
	[STORPATH_OP_SYNC_CACHE16] = storpath_op_sync16,
	[STORPATH_OP_SERVICE_IN16] = storpath_op_service_in16,
	[STORPATH_OP_REPORT_LUNS] = storpath_op_report_luns,
};

/* CDB length implied by the operation code's group (SPC-4 4.2.5.1). */
static uint32_t storpath_cdb_size(uint8_t op)
{
	static const uint8_t group_len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };
	return group_len[op >> 5];
}

/* Commands that address the logical unit itself need it to exist; these
 * three answer for any LUN (SPC-4). */
static bool storpath_any_lun(uint8_t op)
{
	return op == STORPATH_OP_INQUIRY || op == STORPATH_OP_REPORT_LUNS ||
	       op == STORPATH_OP_REQUEST_SENSE;
}

void storpath_scsi_exec(const struct storpath_target *t, struct storpath_scmd *c)
{
	c->status = STORPATH_STATUS_GOOD;
	c->sense = (struct storpath_sense){ 0 };
	c->done_bytes = 0;
	c->action = STORPATH_ACT_DONE;
	c->disk = (void *)0;
	if (c->cdb_len == 0 || c->cdb_len > STORPATH_CDB_MAX) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST,
				   STORPATH_ASC_INVALID_OPCODE);
		return;
	}
	uint8_t op = c->cdb[0];
	storpath_op_fn fn = storpath_ops[op];
	if (!fn) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST,
				   STORPATH_ASC_INVALID_OPCODE);
		return;
	}
	/* A CDB shorter than its opcode says is missing fields the command
	 * would read: point at the first missing byte. */
	if (c->cdb_len < storpath_cdb_size(op)) {
		storpath_scsi_bad_field(c, (uint16_t)c->cdb_len);
		return;
	}
	if (c->lun < STORPATH_MAX_LUNS)
		c->disk = t->luns[c->lun];
	if (!c->disk && !storpath_any_lun(op)) {
		storpath_scsi_fail(c, STORPATH_KEY_ILLEGAL_REQUEST,
				   STORPATH_ASC_LUN_NOT_SUPPORTED);
		return;
	}
	fn(t, c);
}
