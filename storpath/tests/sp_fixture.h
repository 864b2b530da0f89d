/* Test fixture: one VM's guest memory (a single region with canaries on
 * both sides), a storpath device on it (driver + back end), and a virtual
 * disk of four shuffled extents over a backing store that also holds bytes
 * the VM does not own.  The storage back end is either a RAM disk that
 * completes synchronously (command emulation, hostile input) or io_uring on
 * a file (data integrity). */
#ifndef SP_FIXTURE_H
#define SP_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storpath_be.h"
#include "storpath_drv.h"
#include "storpath_uring.h"

#define SP_GPA_BASE 0x100000ull
#define SP_MEM_SIZE (8u << 20)
#define SP_GUARD 4096u
#define SP_REQ_OFF 0u
#define SP_CPL_OFF 0x10000u
#define SP_SENSE_OFF 0x20000u      /* 64 bytes per tag slot */
#define SP_DATA_OFF 0x100000u      /* 1 MiB onward: data buffers */
#define SP_BACKING (8u << 20)      /* backing store bytes */
#define SP_DISK_BLOCKS 12288u      /* 6 MiB of 512-byte blocks */
#define SP_CANARY 0xeeu

struct sp_opts {
	uint32_t req_slots;        /* default 64 */
	uint32_t cpl_slots;        /* default 128 */
	const char *file;          /* io_uring on this file; NULL: RAM disk */
	bool second_lun;           /* also LUN 3 */
};

struct sp {
	uint8_t *raw;              /* guard + guest memory + guard */
	uint8_t *mem;              /* guest memory, SP_GPA_BASE */
	struct ring_region region;
	struct storpath_drv drv;
	struct storpath_be *be;
	struct storpath_target tgt;
	struct storpath_vdisk disk, disk3;
	uint8_t *backing;          /* RAM disk */
	bool uring;
	struct storpath_uring u;
	uint32_t fail_next;        /* RAM disk: fail this many operations */
	uint64_t ram_ops;
	uint64_t tag;
};

struct sp *sp_new(const struct sp_opts *o);
void sp_free(struct sp *f);

static inline uint64_t sp_gpa(uint32_t off) { return SP_GPA_BASE + off; }
static inline uint8_t *sp_hva(struct sp *f, uint32_t off) { return f->mem + off; }

/* A request slot with a fresh tag, the CDB, one data segment at
 * SP_DATA_OFF of @len bytes (none if 0) and an 18-byte sense buffer. */
struct storpath_req *sp_req(struct sp *f, const uint8_t *cdb, uint32_t cdb_len,
			    uint8_t dir, uint32_t len);
/* Queue the slot from sp_req, run everything, return the one completion. */
struct storpath_cpl sp_exec(struct sp *f);
/* sp_req + sp_exec. */
struct storpath_cpl sp_cmd(struct sp *f, const uint8_t *cdb, uint32_t cdb_len,
			   uint8_t dir, uint32_t len);
/* Pump the back end and storage until nothing moves; completions land in
 * the ring (not read). */
void sp_pump(struct sp *f);

/* Sense of the last command (tag slot 0). */
uint8_t *sp_sense(struct sp *f);
/* Assert a completion is CHECK CONDITION with this fixed-format sense. */
void sp_assert_sense(struct sp *f, const struct storpath_cpl *c, uint8_t key,
		     uint8_t asc, uint8_t ascq);
/* ... and with SKSV pointing at CDB byte @field. */
void sp_assert_field(struct sp *f, const struct storpath_cpl *c, uint16_t field);
/* Guards around guest memory and unowned backing bytes are intact. */
void sp_assert_canaries(struct sp *f);

/* Extents of the test disk. */
extern const struct storpath_extent sp_extents[4];

#endif
