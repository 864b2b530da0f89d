/* storpath_vdisk: a VM's virtual disk as an extent map onto a backing device.
 *
 * The disk is the concatenation of its extents: virtual LBA 0 is the first
 * block of extent 0, and so on, so the map covers the disk with no holes by
 * construction.  Each extent names a byte range of the backing device that
 * belongs to this VM; set-up (trusted) checks that every range lies inside
 * the backing device and that no two overlap, so a remapped LBA can never
 * reach a block outside the VM's own.
 *
 * Every extent but the last holds at least STORPATH_MAX_XFER bytes, so one
 * command (at most STORPATH_MAX_XFER) spans at most two extents: the back
 * end needs no unbounded split. */
#ifndef VMK_STORPATH_VDISK_H
#define VMK_STORPATH_VDISK_H

#include <stdbool.h>
#include <stdint.h>

#define STORPATH_MAX_EXTENTS 64u
#define STORPATH_MAX_PARTS 2u       /* backing I/Os one command may need */
#define STORPATH_SERIAL_LEN 16u     /* ASCII, space padded in VPD 0x80 */

struct storpath_extent {
	uint64_t nblocks;   /* virtual blocks in this extent */
	uint64_t dev_off;   /* backing byte offset of its first block */
};

struct storpath_vdisk_cfg {
	const struct storpath_extent *extents;
	uint32_t nextents;
	uint32_t block_shift;     /* 9 (512-byte) or 12 (4096-byte) logical blocks */
	uint64_t backing_bytes;   /* size of the backing device */
	const char *serial;       /* up to STORPATH_SERIAL_LEN printable ASCII */
	uint64_t id;              /* unique per disk: the NAA designator */
	void *dev;                /* the storage back end's handle, opaque here */
};

struct storpath_vdisk {
	struct storpath_extent ext[STORPATH_MAX_EXTENTS];
	uint64_t start[STORPATH_MAX_EXTENTS];  /* first virtual LBA of ext[i] */
	uint32_t nextents;
	uint32_t block_shift;
	uint64_t nblocks;
	uint64_t id;
	char serial[STORPATH_SERIAL_LEN];
	void *dev;
};

/* One contiguous piece of a remapped transfer. */
struct storpath_piece {
	uint64_t dev_off;   /* backing byte offset */
	uint64_t nbytes;
};

int storpath_vdisk_init(struct storpath_vdisk *d, const struct storpath_vdisk_cfg *cfg);

static inline uint32_t storpath_vdisk_bsize(const struct storpath_vdisk *d)
{
	return 1u << d->block_shift;
}

/* True if [lba, lba + n) lies inside the disk (overflow-safe). */
static inline bool storpath_vdisk_in_range(const struct storpath_vdisk *d,
					   uint64_t lba, uint64_t n)
{
	return lba <= d->nblocks && n <= d->nblocks - lba;
}

/* Remap [lba, lba + n) (in range, n * block size <= STORPATH_MAX_XFER) onto
 * the backing device; returns the number of pieces (1..STORPATH_MAX_PARTS). */
uint32_t storpath_vdisk_map(const struct storpath_vdisk *d, uint64_t lba, uint64_t n,
			    struct storpath_piece out[STORPATH_MAX_PARTS]);

#endif
