/* The loader's image checks: a good image passes; every kind of damage is
 * refused with the right error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmk/err.h>
#include <vmk/image.h>

#define IMG_LEN 8192u
static uint8_t img[IMG_LEN];

static struct vmk_image_header *hdr(void)
{
	return (struct vmk_image_header *)img;
}

static void restamp(void)
{
	hdr()->checksum = vmk_image_crc(img, IMG_LEN);
}

static int setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img, 0, sizeof(struct vmk_image_header));
	*hdr() = (struct vmk_image_header){
		.magic = VMK_IMAGE_MAGIC, .abi_version = VMK_IMAGE_ABI_VERSION,
		.header_size = sizeof(struct vmk_image_header), .image_size = IMG_LEN,
		.load_size = 3 * IMG_LEN, .link_base = 0xffffffff90000000ull,
		.entry = 0xffffffff90000100ull, .mem_min = 1 << 20,
	};
	restamp();
	return 0;
}

static void expect(int want, const char *why_part)
{
	const char *why = NULL;

	assert_int_equal(vmk_image_check(img, IMG_LEN, NULL, &why), want);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
}

static void good_image_passes(void **state)
{
	struct vmk_image_info info;

	(void)state;
	assert_int_equal(vmk_image_check(img, IMG_LEN, &info, NULL), VMK_OK);
	assert_int_equal(info.entry, 0xffffffff90000100ull);
	assert_int_equal(info.load_size, 3 * IMG_LEN);
	assert_int_equal(info.mem_min, 1 << 20);
}

static void crc32_known_value(void **state)
{
	(void)state;
	/* The standard check value of CRC-32/IEEE. */
	assert_int_equal(vmk_crc32(0, "123456789", 9), 0xcbf43926u);
}

static void corrupt_byte_refused(void **state)
{
	(void)state;
	img[IMG_LEN / 2] ^= 0x40;
	expect(VMK_EBADIMG, "checksum");
}

static void bad_magic_refused(void **state)
{
	(void)state;
	hdr()->magic ^= 1;
	restamp();
	expect(VMK_EBADIMG, "magic");
}

static void wrong_abi_refused(void **state)
{
	(void)state;
	hdr()->abi_version = VMK_IMAGE_ABI_VERSION + 1;
	restamp();
	expect(VMK_EVERSION, "ABI");
}

static void truncated_refused(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(vmk_image_check(img, IMG_LEN - 100, NULL, &why), VMK_EBADIMG);
	assert_non_null(strstr(why, "truncated"));
	assert_int_equal(vmk_image_check(img, 10, NULL, &why), VMK_EBADIMG);
	assert_non_null(strstr(why, "shorter"));
	assert_int_equal(vmk_image_check(NULL, 0, NULL, &why), VMK_EBADIMG);
}

static void entry_outside_refused(void **state)
{
	(void)state;
	hdr()->entry = hdr()->link_base + IMG_LEN;
	restamp();
	expect(VMK_EBADIMG, "entry");
	setup(state);
	hdr()->entry = hdr()->link_base + 8;   /* inside the header */
	restamp();
	expect(VMK_EBADIMG, "entry");
}

static void sizes_refused(void **state)
{
	(void)state;
	hdr()->load_size = IMG_LEN - 1;
	restamp();
	expect(VMK_EBADIMG, "size");
	setup(state);
	hdr()->mem_min = hdr()->load_size - 1;
	restamp();
	expect(VMK_EBADIMG, "memory");
	setup(state);
	hdr()->reserved[1] = 1;
	restamp();
	expect(VMK_EBADIMG, "reserved");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(good_image_passes, setup),
		cmocka_unit_test_setup(crc32_known_value, setup),
		cmocka_unit_test_setup(corrupt_byte_refused, setup),
		cmocka_unit_test_setup(bad_magic_refused, setup),
		cmocka_unit_test_setup(wrong_abi_refused, setup),
		cmocka_unit_test_setup(truncated_refused, setup),
		cmocka_unit_test_setup(entry_outside_refused, setup),
		cmocka_unit_test_setup(sizes_refused, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
