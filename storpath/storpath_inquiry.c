/* storpath_inquiry: INQUIRY standard data and the VPD pages Linux's sd asks
 * for (0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2).  Layouts from SPC-4 6.6 and 7.8,
 * SBC-3 6.6. */
#include "storpath_scsi.h"

#define STORPATH_TYPE_DISK 0x00u
#define STORPATH_TYPE_NONE 0x7fu    /* qualifier 011b, type 1Fh: no LU here */

static const char storpath_vendor[8] = { 'V', 'M', 'K', ' ', ' ', ' ', ' ', ' ' };
static const char storpath_product[16] = { 's', 't', 'o', 'r', 'p', 'a', 't', 'h',
					   ' ', 'd', 'i', 's', 'k', ' ', ' ', ' ' };

static void storpath_copy(uint8_t *dst, const char *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = (uint8_t)src[i];
}

static uint32_t storpath_inq_standard(const struct storpath_vdisk *d, uint8_t *p)
{
	p[0] = d ? STORPATH_TYPE_DISK : STORPATH_TYPE_NONE;
	p[2] = 0x06;                /* SPC-4 */
	p[3] = 0x02;                /* response data format 2 */
	p[4] = 36 - 5;              /* additional length */
	p[7] = 0x02;                /* CMDQUE: the driver may queue commands */
	storpath_copy(p + 8, storpath_vendor, 8);
	storpath_copy(p + 16, storpath_product, 16);
	storpath_copy(p + 32, "0001", 4);
	return 36;
}

static uint32_t storpath_vpd_supported(const struct storpath_vdisk *d, uint8_t *p)
{
	static const uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	(void)d;
	for (uint32_t i = 0; i < sizeof(pages); i++)
		p[4 + i] = pages[i];
	return 4 + sizeof(pages);
}

static uint32_t storpath_vpd_serial(const struct storpath_vdisk *d, uint8_t *p)
{
	storpath_copy(p + 4, d->serial, STORPATH_SERIAL_LEN);
	return 4 + STORPATH_SERIAL_LEN;
}

/* Two logical-unit designators: NAA locally assigned (binary, what Linux
 * builds its wwid from) and T10 vendor ID (ASCII, vendor + serial). */
static uint32_t storpath_vpd_ident(const struct storpath_vdisk *d, uint8_t *p)
{
	uint8_t *q = p + 4;
	q[0] = 0x01;                /* code set: binary */
	q[1] = 0x03;                /* association LU, designator type NAA */
	q[3] = 8;
	storpath_put64(q + 4, (3ull << 60) | (d->id & 0x0fffffffffffffffull));
	q += 12;
	q[0] = 0x02;                /* code set: ASCII */
	q[1] = 0x01;                /* association LU, T10 vendor ID */
	q[3] = 8 + STORPATH_SERIAL_LEN;
	storpath_copy(q + 4, storpath_vendor, 8);
	storpath_copy(q + 12, d->serial, STORPATH_SERIAL_LEN);
	q += 4 + 8 + STORPATH_SERIAL_LEN;
	return (uint32_t)(q - p);
}

static uint32_t storpath_vpd_limits(const struct storpath_vdisk *d, uint8_t *p)
{
	uint32_t max = STORPATH_MAX_XFER >> d->block_shift;
	/* Optimal granularity: one 4 KiB backing block. */
	storpath_put16(p + 6, (uint16_t)(4096u >> d->block_shift));
	storpath_put32(p + 8, max);     /* maximum transfer length */
	storpath_put32(p + 12, max);    /* optimal transfer length */
	return 64;                      /* no UNMAP: those fields stay 0 */
}

static uint32_t storpath_vpd_characteristics(const struct storpath_vdisk *d, uint8_t *p)
{
	(void)d;
	storpath_put16(p + 4, 1);       /* medium rotation rate: non-rotating */
	return 64;
}

static uint32_t storpath_vpd_provisioning(const struct storpath_vdisk *d, uint8_t *p)
{
	(void)d;
	(void)p;
	/* Fully provisioned, no UNMAP/WRITE SAME unmapping: bytes 4..7 zero. */
	return 8;
}

typedef uint32_t (*storpath_vpd_fn)(const struct storpath_vdisk *d, uint8_t *p);

static storpath_vpd_fn storpath_vpd_lookup(uint8_t page)
{
	switch (page) {
	case 0x00: return storpath_vpd_supported;
	case 0x80: return storpath_vpd_serial;
	case 0x83: return storpath_vpd_ident;
	case 0xb0: return storpath_vpd_limits;
	case 0xb1: return storpath_vpd_characteristics;
	case 0xb2: return storpath_vpd_provisioning;
	default: return (storpath_vpd_fn)0;
	}
}

void storpath_scsi_inquiry(const struct storpath_target *t, struct storpath_scmd *c)
{
	(void)t;
	uint8_t buf[128] = { 0 };
	bool evpd = c->cdb[1] & 0x01;
	uint8_t page = c->cdb[2];
	uint32_t len;
	if (c->cdb[1] & 0xfe) {           /* CMDDT (obsolete) and reserved bits */
		storpath_scsi_bad_field(c, 1);
		return;
	}
	if (!evpd && page) {
		storpath_scsi_bad_field(c, 2);
		return;
	}
	if (c->xfer_len && c->dir != STORPATH_DIR_READ) {
		storpath_scsi_bad_field(c, 0);
		return;
	}
	if (!evpd) {
		len = storpath_inq_standard(c->disk, buf);
	} else {
		storpath_vpd_fn fn = storpath_vpd_lookup(page);
		/* A LUN that does not exist has no VPD pages. */
		if (!fn || !c->disk) {
			storpath_scsi_bad_field(c, 2);
			return;
		}
		len = fn(c->disk, buf);
		buf[0] = STORPATH_TYPE_DISK;
		buf[1] = page;
		storpath_put16(buf + 2, (uint16_t)(len - 4));
	}
	storpath_scsi_respond(c, buf, len, storpath_be16(&c->cdb[3]));
}
