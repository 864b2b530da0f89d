/* Image header validation, shared by the loader (vmkload.ko), the CLI, the
 * image tool and the unit tests.  Plain C: no libc, no kernel headers. */
#include <vmk/err.h>
#include <vmk/image.h>

#define OFF_CHECKSUM 60u  /* offsetof(struct vmk_image_header, checksum) */

_Static_assert(sizeof(struct vmk_image_header) == 80, "image header is 80 bytes");
_Static_assert(__builtin_offsetof(struct vmk_image_header, checksum) == OFF_CHECKSUM,
	       "checksum offset");

uint32_t vmk_crc32(uint32_t crc, const void *buf, uint64_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* CRC of the whole file with the checksum field read as zero. */
static uint32_t image_crc(const uint8_t *p, uint64_t len)
{
	static const uint8_t zero[4];
	uint32_t crc = vmk_crc32(0, p, OFF_CHECKSUM);

	crc = vmk_crc32(crc, zero, sizeof(zero));
	return vmk_crc32(crc, p + OFF_CHECKSUM + 4, len - OFF_CHECKSUM - 4);
}

static int bad(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

int vmk_image_check(const void *buf, uint64_t len, struct vmk_image_info *info,
		    const char **why)
{
	const struct vmk_image_header *h = buf;

	if (!buf || len < sizeof(*h))
		return bad(why, "file shorter than the image header", VMK_EBADIMG);
	if (h->magic != VMK_IMAGE_MAGIC)
		return bad(why, "not a vmkernel image (bad magic)", VMK_EBADIMG);
	if (h->abi_version != VMK_IMAGE_ABI_VERSION)
		return bad(why, "image ABI version differs from the loader's", VMK_EVERSION);
	if (h->header_size != sizeof(*h) || h->flags || h->reserved[0] || h->reserved[1])
		return bad(why, "header size, flags or reserved fields are wrong", VMK_EBADIMG);
	if (h->image_size != len)
		return bad(why, "file size differs from the header's (truncated?)", VMK_EBADIMG);
	if (len > VMK_IMAGE_MAX_SIZE || h->load_size < len || h->load_size > VMK_IMAGE_MAX_SIZE)
		return bad(why, "image or load size out of range", VMK_EBADIMG);
	if (h->mem_min < h->load_size)
		return bad(why, "memory requirement smaller than the image", VMK_EBADIMG);
	if (h->link_base & 0xfff || h->entry < h->link_base + sizeof(*h) ||
	    h->entry >= h->link_base + len)
		return bad(why, "entry point outside the image", VMK_EBADIMG);
	if (image_crc(buf, len) != h->checksum)
		return bad(why, "checksum mismatch (corrupt image)", VMK_EBADIMG);
	if (info) {
		info->image_size = h->image_size;
		info->load_size = h->load_size;
		info->link_base = h->link_base;
		info->entry = h->entry;
		info->mem_min = h->mem_min;
	}
	return VMK_OK;
}

uint32_t vmk_image_crc(const void *buf, uint64_t len)
{
	return len < sizeof(struct vmk_image_header) ? 0 : image_crc(buf, len);
}
