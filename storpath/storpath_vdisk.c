/* storpath_vdisk: see storpath_vdisk.h. */
#include "storpath_vdisk.h"
#include "storpath_abi.h"

#include <vmk/err.h>

/* Backing offsets stay 4 KiB aligned so that O_DIRECT back ends and 4K-sector
 * devices never see a misaligned remapped request. */
#define STORPATH_DEV_ALIGN 4096u

static bool storpath_ranges_overlap(const struct storpath_extent *a,
				    const struct storpath_extent *b, uint32_t shift)
{
	uint64_t a_end = a->dev_off + (a->nblocks << shift);
	uint64_t b_end = b->dev_off + (b->nblocks << shift);
	return a->dev_off < b_end && b->dev_off < a_end;
}

static int storpath_extent_check(const struct storpath_vdisk_cfg *cfg, uint32_t i)
{
	const struct storpath_extent *e = &cfg->extents[i];
	uint64_t max_blocks = cfg->backing_bytes >> cfg->block_shift;
	if (e->nblocks == 0 || (e->dev_off & (STORPATH_DEV_ALIGN - 1)))
		return VMK_EINVAL;
	/* Subtractions that cannot wrap: the extent lies inside the device. */
	if (e->dev_off > cfg->backing_bytes || e->nblocks > max_blocks ||
	    (e->nblocks << cfg->block_shift) > cfg->backing_bytes - e->dev_off)
		return VMK_ERANGE;
	if (i + 1 < cfg->nextents &&
	    (e->nblocks << cfg->block_shift) < STORPATH_MAX_XFER)
		return VMK_EINVAL;
	for (uint32_t j = 0; j < i; j++)
		if (storpath_ranges_overlap(e, &cfg->extents[j], cfg->block_shift))
			return VMK_EINVAL;
	return VMK_OK;
}

static void storpath_copy_serial(char *dst, const char *src)
{
	uint32_t i = 0;
	for (; src && src[i] && i < STORPATH_SERIAL_LEN; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '_';
	for (; i < STORPATH_SERIAL_LEN; i++)
		dst[i] = ' ';
}

int storpath_vdisk_init(struct storpath_vdisk *d, const struct storpath_vdisk_cfg *cfg)
{
	if (!d || !cfg || !cfg->extents || cfg->nextents == 0 ||
	    cfg->nextents > STORPATH_MAX_EXTENTS)
		return VMK_EINVAL;
	if (cfg->block_shift != 9 && cfg->block_shift != 12)
		return VMK_EINVAL;
	uint64_t lba = 0;
	for (uint32_t i = 0; i < cfg->nextents; i++) {
		int err = storpath_extent_check(cfg, i);
		if (err)
			return err;
		d->ext[i] = cfg->extents[i];
		d->start[i] = lba;
		lba += cfg->extents[i].nblocks;
	}
	d->nextents = cfg->nextents;
	d->block_shift = cfg->block_shift;
	d->nblocks = lba;
	d->id = cfg->id;
	d->dev = cfg->dev;
	storpath_copy_serial(d->serial, cfg->serial);
	return VMK_OK;
}

/* Index of the extent holding @lba (< nblocks): binary search on starts. */
static uint32_t storpath_vdisk_find(const struct storpath_vdisk *d, uint64_t lba)
{
	uint32_t lo = 0, hi = d->nextents - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;
		if (d->start[mid] <= lba)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint32_t storpath_vdisk_map(const struct storpath_vdisk *d, uint64_t lba, uint64_t n,
			    struct storpath_piece out[STORPATH_MAX_PARTS])
{
	uint32_t i = storpath_vdisk_find(d, lba);
	uint32_t np = 0;
	while (n && np < STORPATH_MAX_PARTS && i < d->nextents) {
		uint64_t off = lba - d->start[i];
		uint64_t run = d->ext[i].nblocks - off;
		if (run > n)
			run = n;
		out[np].dev_off = d->ext[i].dev_off + (off << d->block_shift);
		out[np].nbytes = run << d->block_shift;
		np++;
		lba += run;
		n -= run;
		i++;
	}
	return np;
}
