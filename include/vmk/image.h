/* The vmkernel image format: a flat binary whose first bytes are this
 * header.  The loader refuses anything whose magic, ABI, sizes or checksum
 * disagree.  Little-endian; every field is naturally aligned. */
#ifndef VMK_IMAGE_H
#define VMK_IMAGE_H
#include <vmk/types.h>

#define VMK_IMAGE_MAGIC 0x31474d494b4d5600ull  /* "\0VMKIMG1" read as LE u64 */
#define VMK_IMAGE_ABI_VERSION 1u
#define VMK_IMAGE_MAX_SIZE (64u << 20)         /* sanity bound for loaders */

struct vmk_image_header {
	uint64_t magic;          /* VMK_IMAGE_MAGIC */
	uint32_t abi_version;    /* VMK_IMAGE_ABI_VERSION */
	uint32_t header_size;    /* sizeof(struct vmk_image_header) */
	uint64_t image_size;     /* bytes in the file, this header included */
	uint64_t load_size;      /* bytes the image spans once loaded (adds bss) */
	uint64_t link_base;      /* virtual address the first byte is linked at */
	uint64_t entry;          /* virtual address of the per-CPU entry point */
	uint64_t mem_min;        /* least memory the vmkernel needs, image included */
	uint32_t flags;          /* none defined: must be 0 */
	uint32_t checksum;       /* CRC-32 (IEEE) of the file with this field 0 */
	uint64_t reserved[2];    /* must be 0 */
};

/* What vmk_image_check() found. */
struct vmk_image_info {
	uint64_t image_size, load_size, link_base, entry, mem_min;
};

/* Validates @len bytes at @buf.  Returns 0 and fills @info, or a negative
 * VMK_E* (VMK_EBADIMG, VMK_EVERSION) and points *@why at a short reason. */
int vmk_image_check(const void *buf, uint64_t len, struct vmk_image_info *info,
		    const char **why);
/* The checksum vmk_image_check() expects for the @len-byte image at @buf;
 * the image tool stamps it after linking. */
uint32_t vmk_image_crc(const void *buf, uint64_t len);
/* CRC-32 of @len bytes, continuing from @crc (start with 0). */
uint32_t vmk_crc32(uint32_t crc, const void *buf, uint64_t len);

#endif
