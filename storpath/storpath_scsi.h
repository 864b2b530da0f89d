/* storpath_scsi: SCSI command emulation for storpath's virtual disks.
 *
 * Pure and freestanding: it reads a private copy of a command (CDB, LUN and
 * the already-translated data buffers), fills in-band response data (INQUIRY,
 * capacities, mode pages, LUN lists) and tells the caller what, if anything,
 * the backing store must do (read, write or flush an LBA range).  It never
 * touches guest memory except through the buffers it is handed, and never
 * more of them than the CDB's allocation length.
 *
 * Facts from SPC-4/SBC-3 (T10 drafts); sense is fixed format (response code
 * 0x70), with the sense-key-specific field pointer set for INVALID FIELD IN
 * CDB so that a driver sees which byte was wrong. */
#ifndef VMK_STORPATH_SCSI_H
#define VMK_STORPATH_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storpath_abi.h"
#include "storpath_vdisk.h"

#define STORPATH_MAX_LUNS 16u

/* Operation codes emulated. */
#define STORPATH_OP_TEST_UNIT_READY 0x00u
#define STORPATH_OP_REQUEST_SENSE   0x03u
#define STORPATH_OP_INQUIRY         0x12u
#define STORPATH_OP_MODE_SENSE6     0x1au
#define STORPATH_OP_READ_CAPACITY10 0x25u
#define STORPATH_OP_READ10          0x28u
#define STORPATH_OP_WRITE10         0x2au
#define STORPATH_OP_SYNC_CACHE10    0x35u
#define STORPATH_OP_MODE_SENSE10    0x5au
#define STORPATH_OP_READ16          0x88u
#define STORPATH_OP_WRITE16         0x8au
#define STORPATH_OP_SYNC_CACHE16    0x91u
#define STORPATH_OP_SERVICE_IN16    0x9eu  /* service action 0x10: READ CAPACITY(16) */
#define STORPATH_OP_REPORT_LUNS     0xa0u
#define STORPATH_SA_READ_CAPACITY16 0x10u

/* Sense keys. */
#define STORPATH_KEY_NO_SENSE        0x0u
#define STORPATH_KEY_MEDIUM_ERROR    0x3u
#define STORPATH_KEY_ILLEGAL_REQUEST 0x5u
#define STORPATH_KEY_ABORTED_COMMAND 0xbu

/* Additional sense codes (ASC << 8 | ASCQ). */
#define STORPATH_ASC_NONE              0x0000u
#define STORPATH_ASC_WRITE_ERROR       0x0c00u
#define STORPATH_ASC_UNRECOVERED_READ  0x1100u
#define STORPATH_ASC_INVALID_OPCODE    0x2000u
#define STORPATH_ASC_LBA_OUT_OF_RANGE  0x2100u
#define STORPATH_ASC_INVALID_FIELD_CDB 0x2400u
#define STORPATH_ASC_LUN_NOT_SUPPORTED 0x2500u
#define STORPATH_ASC_SAVING_PARAMS     0x3900u
#define STORPATH_ASC_DATA_PHASE_ERROR  0x4b00u

struct storpath_sense {
	uint8_t key;
	uint16_t asc;        /* ASC << 8 | ASCQ */
	bool field_valid;    /* SKSV: `field` names the offending CDB byte */
	uint16_t field;
};

/* A translated data segment: host pointer the device may use directly. */
struct storpath_sg {
	uint8_t *base;
	size_t len;      /* size_t: laid out like struct iovec for hosted back ends */
};

enum storpath_action {
	STORPATH_ACT_DONE = 0,   /* completed in place, status and sense set */
	STORPATH_ACT_READ,       /* read [lba, lba + nblocks) of disk into sg */
	STORPATH_ACT_WRITE,      /* write sg to [lba, lba + nblocks) */
	STORPATH_ACT_FLUSH,      /* make the disk's earlier writes durable */
};

/* One command, private to the vmkernel (copied out of the ring). */
struct storpath_scmd {
	/* in */
	uint64_t lun;
	uint8_t cdb[STORPATH_CDB_MAX];
	uint32_t cdb_len;
	uint8_t dir;
	uint32_t nsg;
	struct storpath_sg sg[STORPATH_MAX_SEGS];
	uint32_t xfer_len;           /* sum of sg lengths */
	/* out */
	uint8_t status;
	struct storpath_sense sense;
	uint32_t done_bytes;         /* data bytes transferred */
	enum storpath_action action;
	struct storpath_vdisk *disk;
	uint64_t lba;
	uint64_t nblocks;
};

struct storpath_target {
	struct storpath_vdisk *luns[STORPATH_MAX_LUNS];  /* NULL: no such LUN */
};

/* Decode and emulate @c against @t. */
void storpath_scsi_exec(const struct storpath_target *t, struct storpath_scmd *c);

/* Fail @c with CHECK CONDITION and the given sense. */
void storpath_scsi_fail(struct storpath_scmd *c, uint8_t key, uint16_t asc);
/* ... with ILLEGAL REQUEST / INVALID FIELD IN CDB pointing at CDB byte @byte. */
void storpath_scsi_bad_field(struct storpath_scmd *c, uint16_t byte);
/* The backing store failed the action of @c: MEDIUM ERROR. */
void storpath_scsi_io_error(struct storpath_scmd *c);

/* Write @s as fixed-format sense into @buf (capacity @cap); returns bytes
 * written (at most STORPATH_SENSE_LEN). */
uint32_t storpath_sense_fill(const struct storpath_sense *s, uint8_t *buf, uint32_t cap);

/* Copy up to @len response bytes into @c's buffers, never beyond @alloc
 * (the CDB's allocation length) or the buffers; sets done_bytes. */
void storpath_scsi_respond(struct storpath_scmd *c, const void *data, uint32_t len,
			   uint32_t alloc);

/* INQUIRY, in storpath_inquiry.c. */
void storpath_scsi_inquiry(const struct storpath_target *t, struct storpath_scmd *c);

/* Big-endian field access for CDBs and response data. */
static inline uint16_t storpath_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t storpath_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t storpath_be64(const uint8_t *p)
{
	return (uint64_t)storpath_be32(p) << 32 | storpath_be32(p + 4);
}
static inline void storpath_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void storpath_put32(uint8_t *p, uint32_t v)
{
	storpath_put16(p, (uint16_t)(v >> 16));
	storpath_put16(p + 2, (uint16_t)v);
}
static inline void storpath_put64(uint8_t *p, uint64_t v)
{
	storpath_put32(p, (uint32_t)(v >> 32));
	storpath_put32(p + 4, (uint32_t)v);
}

#endif
