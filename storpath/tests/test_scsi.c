/* Command emulation through the full path (driver ring -> back end ->
 * emulation -> RAM disk -> completion ring), checked against the data and
 * sense that SPC-4/SBC-3 specify; plus the ring protocol (one doorbell per
 * batch, no completion interrupt while the driver polls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "sp_fixture.h"
#include "storpath_scsi.h"

#define IN STORPATH_DIR_READ
#define OUT STORPATH_DIR_WRITE

static uint8_t *data(struct sp *f) { return sp_hva(f, SP_DATA_OFF); }

static void assert_good(const struct storpath_cpl *c)
{
	assert_int_equal(c->status, STORPATH_STATUS_GOOD);
	assert_int_equal(c->response, STORPATH_RESP_OK);
	assert_int_equal(c->sense_len, 0);
}

static void test_tur(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t cdb[6] = { 0x00 };
	struct storpath_cpl c = sp_cmd(f, cdb, 6, STORPATH_DIR_NONE, 0);
	assert_good(&c);
	sp_free(f);
}

static void test_inquiry_standard(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 };
	memset(data(f), 0xaa, 96);
	struct storpath_cpl c = sp_cmd(f, cdb, 6, IN, 96);
	assert_good(&c);
	assert_int_equal(c.residual, 96 - 36);
	const uint8_t *d = data(f);
	assert_int_equal(d[0], 0x00);      /* qualifier 0, direct access block */
	assert_int_equal(d[2], 0x06);      /* SPC-4 */
	assert_int_equal(d[3] & 0x0f, 2);  /* response data format */
	assert_int_equal(d[4], 31);
	assert_int_equal(d[7] & 0x02, 0x02);  /* CMDQUE */
	assert_memory_equal(d + 8, "VMK     ", 8);
	assert_memory_equal(d + 16, "storpath disk   ", 16);
	assert_int_equal(d[36], 0xaa);     /* nothing beyond the response */
	/* Allocation length 5: five bytes and not one more. */
	const uint8_t cdb5[6] = { 0x12, 0, 0, 0, 5, 0 };
	memset(data(f), 0xaa, 96);
	c = sp_cmd(f, cdb5, 6, IN, 96);
	assert_good(&c);
	assert_int_equal(c.residual, 91);
	assert_int_equal(data(f)[4], 31);
	assert_int_equal(data(f)[5], 0xaa);
	sp_free(f);
}

static void test_inquiry_no_lun(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t cdb[6] = { 0x12, 0, 0, 0, 36, 0 };
	struct storpath_req *r = sp_req(f, cdb, 6, IN, 36);
	r->lun = 7;
	struct storpath_cpl c = sp_exec(f);
	assert_good(&c);
	assert_int_equal(data(f)[0], 0x7f);   /* qualifier 011b, type 1Fh */
	sp_free(f);
}

static struct storpath_cpl vpd(struct sp *f, uint8_t page)
{
	const uint8_t cdb[6] = { 0x12, 0x01, page, 0, 255, 0 };
	memset(data(f), 0xaa, 256);
	return sp_cmd(f, cdb, 6, IN, 255);
}

static void test_vpd_pages(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t *d = data(f);
	struct storpath_cpl c = vpd(f, 0x00);
	assert_good(&c);
	const uint8_t list[] = { 0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	assert_memory_equal(d, list, sizeof(list));
	assert_int_equal(c.residual, 255 - sizeof(list));

	c = vpd(f, 0x80);
	assert_good(&c);
	assert_int_equal(d[1], 0x80);
	assert_int_equal(d[3], 16);
	assert_memory_equal(d + 4, "SPTEST0         ", 16);

	c = vpd(f, 0x83);
	assert_good(&c);
	assert_int_equal(d[1], 0x83);
	assert_int_equal(d[2] << 8 | d[3], 12 + 28);
	assert_int_equal(d[4], 0x01);       /* binary */
	assert_int_equal(d[5], 0x03);       /* LU, NAA */
	assert_int_equal(d[7], 8);
	assert_int_equal(d[8] >> 4, 3);     /* NAA locally assigned */
	assert_int_equal(d[15], 0x34);
	assert_int_equal(d[16], 0x02);      /* ASCII */
	assert_int_equal(d[17], 0x01);      /* LU, T10 vendor ID */
	assert_memory_equal(d + 20, "VMK     SPTEST0", 15);

	c = vpd(f, 0xb0);
	assert_good(&c);
	assert_int_equal(d[2] << 8 | d[3], 0x3c);
	assert_int_equal(d[6] << 8 | d[7], 8);                 /* 4 KiB granularity */
	assert_int_equal(storpath_be32(d + 8), 2048);          /* 1 MiB max transfer */

	c = vpd(f, 0xb1);
	assert_good(&c);
	assert_int_equal(d[2] << 8 | d[3], 0x3c);
	assert_int_equal(d[4] << 8 | d[5], 1);                 /* non-rotating */

	c = vpd(f, 0xb2);
	assert_good(&c);
	assert_int_equal(d[1], 0xb2);
	assert_int_equal(d[2] << 8 | d[3], 4);
	assert_int_equal(d[5], 0);                             /* no unmapping */
	sp_free(f);
}

static void test_inquiry_bad_fields(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	struct storpath_cpl c = vpd(f, 0x99);                  /* no such page */
	sp_assert_field(f, &c, 2);
	const uint8_t cdb[6] = { 0x12, 0x00, 0x80, 0, 36, 0 }; /* page without EVPD */
	c = sp_cmd(f, cdb, 6, IN, 36);
	sp_assert_field(f, &c, 2);
	const uint8_t cmddt[6] = { 0x12, 0x02, 0, 0, 36, 0 };
	c = sp_cmd(f, cmddt, 6, IN, 36);
	sp_assert_field(f, &c, 1);
	sp_free(f);
}

static void test_read_capacity(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t *d = data(f);
	const uint8_t rc10[10] = { 0x25 };
	struct storpath_cpl c = sp_cmd(f, rc10, 10, IN, 8);
	assert_good(&c);
	assert_int_equal(storpath_be32(d), SP_DISK_BLOCKS - 1);
	assert_int_equal(storpath_be32(d + 4), 512);

	const uint8_t rc16[16] = { 0x9e, 0x10, [13] = 32 };
	memset(data(f), 0xaa, 64);
	c = sp_cmd(f, rc16, 16, IN, 32);
	assert_good(&c);
	assert_int_equal(storpath_be64(d), SP_DISK_BLOCKS - 1);
	assert_int_equal(storpath_be32(d + 8), 512);
	assert_int_equal(d[12], 0);        /* no protection */
	assert_int_equal(d[13], 3);        /* 8 logical per physical block */
	assert_int_equal(d[14], 0);        /* no LBPME */

	const uint8_t bad_sa[16] = { 0x9e, 0x11, [13] = 32 };
	c = sp_cmd(f, bad_sa, 16, IN, 32);
	sp_assert_field(f, &c, 1);
	const uint8_t bad_pmi[10] = { 0x25, 0, 0, 0, 0, 1 };  /* LBA without PMI */
	c = sp_cmd(f, bad_pmi, 10, IN, 8);
	sp_assert_field(f, &c, 2);
	sp_free(f);
}

static void test_report_luns(void **state)
{
	(void)state;
	struct sp_opts o = { .second_lun = true };
	struct sp *f = sp_new(&o);
	const uint8_t *d = data(f);
	const uint8_t cdb[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };   /* alloc 256 */
	struct storpath_cpl c = sp_cmd(f, cdb, 12, IN, 256);
	assert_good(&c);
	const uint8_t want[24] = { 0, 0, 0, 16, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0,
				   0, 3, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(d, want, sizeof(want));
	assert_int_equal(c.residual, 256 - 24);
	/* Any LUN may be asked. */
	struct storpath_req *r = sp_req(f, cdb, 12, IN, 256);
	r->lun = 9;
	c = sp_exec(f);
	assert_good(&c);
	const uint8_t small[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	c = sp_cmd(f, small, 12, IN, 8);
	sp_assert_field(f, &c, 6);
	const uint8_t bad_sel[12] = { 0xa0, 0, 0x10, 0, 0, 0, 0, 0, 1, 0 };
	c = sp_cmd(f, bad_sel, 12, IN, 256);
	sp_assert_field(f, &c, 2);
	sp_free(f);
}

static void test_mode_sense6(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t *d = data(f);
	const uint8_t all[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
	struct storpath_cpl c = sp_cmd(f, all, 6, IN, 255);
	assert_good(&c);
	assert_int_equal(d[0], 4 + 8 + 20 + 12 - 1);
	assert_int_equal(d[2], 0);                          /* not WP, no DPOFUA */
	assert_int_equal(d[3], 8);
	assert_int_equal(storpath_be32(d + 4), SP_DISK_BLOCKS);
	assert_int_equal(storpath_be32(d + 8) & 0xffffff, 512);
	assert_int_equal(d[12], 0x08);                      /* caching page */
	assert_int_equal(d[13], 0x12);
	assert_int_equal(d[14] & 0x04, 0x04);               /* WCE */
	assert_int_equal(d[32], 0x0a);                      /* control page */
	assert_int_equal(d[33], 0x0a);
	assert_int_equal(c.residual, 255 - 44);

	const uint8_t dbd[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 };
	c = sp_cmd(f, dbd, 6, IN, 255);
	assert_good(&c);
	assert_int_equal(d[0], 4 + 20 - 1);
	assert_int_equal(d[3], 0);
	assert_int_equal(d[4], 0x08);

	const uint8_t chg[6] = { 0x1a, 0x08, 0x48, 0, 255, 0 };  /* changeable */
	c = sp_cmd(f, chg, 6, IN, 255);
	assert_good(&c);
	assert_int_equal(d[6], 0);                          /* WCE not changeable */

	const uint8_t saved[6] = { 0x1a, 0, 0xff, 0, 255, 0 };
	c = sp_cmd(f, saved, 6, IN, 255);
	sp_assert_sense(f, &c, 0x05, 0x39, 0x00);
	const uint8_t page[6] = { 0x1a, 0, 0x1c, 0, 255, 0 };
	c = sp_cmd(f, page, 6, IN, 255);
	sp_assert_field(f, &c, 2);
	const uint8_t sub[6] = { 0x1a, 0, 0x08, 0x01, 255, 0 };
	c = sp_cmd(f, sub, 6, IN, 255);
	sp_assert_field(f, &c, 3);
	sp_free(f);
}

static void test_mode_sense10(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t *d = data(f);
	const uint8_t llba[10] = { 0x5a, 0x10, 0x0a, 0, 0, 0, 0, 0, 255, 0 };
	struct storpath_cpl c = sp_cmd(f, llba, 10, IN, 255);
	assert_good(&c);
	assert_int_equal(d[0] << 8 | d[1], 8 + 16 + 12 - 2);
	assert_int_equal(d[4] & 1, 1);                      /* LONGLBA */
	assert_int_equal(d[6] << 8 | d[7], 16);
	assert_int_equal(storpath_be64(d + 8), SP_DISK_BLOCKS);
	assert_int_equal(storpath_be32(d + 20), 512);
	assert_int_equal(d[24], 0x0a);

	const uint8_t shortbd[10] = { 0x5a, 0, 0x08, 0, 0, 0, 0, 0, 255, 0 };
	c = sp_cmd(f, shortbd, 10, IN, 255);
	assert_good(&c);
	assert_int_equal(d[6] << 8 | d[7], 8);
	assert_int_equal(d[16], 0x08);
	sp_free(f);
}

static void test_request_sense(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t *d = data(f);
	const uint8_t cdb[6] = { 0x03, 0, 0, 0, 18, 0 };
	struct storpath_cpl c = sp_cmd(f, cdb, 6, IN, 18);
	assert_good(&c);
	assert_int_equal(d[0], 0x70);
	assert_int_equal(d[2], 0);
	assert_int_equal(d[12], 0);
	struct storpath_req *r = sp_req(f, cdb, 6, IN, 18);
	r->lun = 5;
	c = sp_exec(f);
	assert_good(&c);                                    /* GOOD, with the sense */
	assert_int_equal(d[2], 0x05);
	assert_int_equal(d[12], 0x25);
	sp_free(f);
}

static void fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* WRITE(10) across the e0/e1 extent boundary lands at both remapped
 * places; READ(16) brings it back. */
static void test_read_write_remap(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint32_t lba = 4090, n = 16, len = n * 512;
	fill_pattern(data(f), len, 1);
	uint8_t want[16 * 512];
	memcpy(want, data(f), len);
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0x0f, 0xfa, 0, 0, 16, 0 };
	struct storpath_cpl c = sp_cmd(f, w10, 10, OUT, len);
	assert_good(&c);
	assert_int_equal(c.residual, 0);
	assert_memory_equal(f->backing + (4u << 20) + lba * 512, want, 6 * 512);
	assert_memory_equal(f->backing + 0, want + 6 * 512, 10 * 512);

	memset(data(f), 0, len);
	const uint8_t r16[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0xfa, 0, 0, 0, 16 };
	c = sp_cmd(f, r16, 16, IN, len);
	assert_good(&c);
	assert_memory_equal(data(f), want, len);
	/* The last extent (e3 at 2 MiB) holds the last block. */
	const uint8_t w16[16] = { 0x8a, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0xff, 0, 0, 0, 1 };
	fill_pattern(data(f), 512, 9);
	c = sp_cmd(f, w16, 16, OUT, 512);
	assert_good(&c);
	assert_memory_equal(f->backing + (2u << 20) + 2047 * 512, data(f), 512);

	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.reads, 1);
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.payload_copies, 0);
	sp_assert_canaries(f);
	sp_free(f);
}

static void test_sg_segments(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	/* Three segments of odd sizes across the e1/e2 boundary (LBA 8190). */
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0x1f, 0xfe, 0, 0, 4, 0 };
	struct storpath_req *r = sp_req(f, w10, 10, OUT, 0);
	uint32_t lens[3] = { 100, 1500, 448 };
	for (uint32_t i = 0; i < 3; i++) {
		r->seg[i].gpa = sp_gpa(SP_DATA_OFF + 0x10000 * (i + 1));
		r->seg[i].len = lens[i];
		fill_pattern(sp_hva(f, SP_DATA_OFF + 0x10000 * (i + 1)), lens[i], i + 3);
	}
	r->nsegs = 3;
	struct storpath_cpl c = sp_exec(f);
	assert_good(&c);
	uint8_t want[2048];
	uint32_t off = 0;
	for (uint32_t i = 0; i < 3; i++) {
		memcpy(want + off, sp_hva(f, SP_DATA_OFF + 0x10000 * (i + 1)), lens[i]);
		off += lens[i];
	}
	assert_memory_equal(f->backing + 4096 * 512 - 1024, want, 1024);
	assert_memory_equal(f->backing + (6u << 20), want + 1024, 1024);
	sp_assert_canaries(f);
	sp_free(f);
}

static void test_sync_cache(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t s10[10] = { 0x35 };
	const uint8_t s16[16] = { 0x91, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0 };
	struct storpath_cpl c = sp_cmd(f, s10, 10, STORPATH_DIR_NONE, 0);
	assert_good(&c);
	c = sp_cmd(f, s16, 16, STORPATH_DIR_NONE, 0);
	assert_good(&c);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.flushes, 2);
	assert_int_equal(f->ram_ops, 2);
	sp_free(f);
}

static void test_io_errors(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0x0f, 0xfc, 0, 0, 8, 0 };  /* two parts */
	const uint8_t s10[10] = { 0x35 };
	f->fail_next = 1;
	struct storpath_cpl c = sp_cmd(f, r10, 10, IN, 4096);
	sp_assert_sense(f, &c, 0x03, 0x11, 0x00);
	assert_int_equal(c.residual, 4096);
	f->fail_next = 1;                  /* first part fails, second goes */
	c = sp_cmd(f, w10, 10, OUT, 4096);
	sp_assert_sense(f, &c, 0x03, 0x0c, 0x00);
	f->fail_next = 1;
	c = sp_cmd(f, s10, 10, STORPATH_DIR_NONE, 0);
	sp_assert_sense(f, &c, 0x03, 0x0c, 0x00);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.io_errors, 3);
	sp_free(f);
}

/* One doorbell per batch, only when the back end armed; no completion
 * interrupt while the driver polls, one per batch once it arms. */
static void test_notification(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t tur[6] = { 0 };
	for (int i = 0; i < 10; i++) {
		sp_req(f, tur, 6, STORPATH_DIR_NONE, 0);
		storpath_drv_queue(&f->drv);
	}
	assert_true(storpath_drv_kick(&f->drv));    /* back end starts armed */
	assert_int_equal(storpath_be_poll(f->be, 64), 10);
	assert_true(storpath_be_flush(f->be));      /* ring_core: consumers start armed */
	struct storpath_cpl c[16];
	assert_int_equal(storpath_drv_poll(&f->drv, c, 16), 10);
	for (int i = 0; i < 3; i++) {
		sp_req(f, tur, 6, STORPATH_DIR_NONE, 0);
		storpath_drv_queue(&f->drv);
	}
	assert_false(storpath_drv_kick(&f->drv));   /* back end is polling */
	assert_int_equal(storpath_be_poll(f->be, 64), 3);
	assert_false(storpath_be_flush(f->be));     /* driver polls: no interrupt */
	assert_int_equal(storpath_drv_poll(&f->drv, c, 16), 3);
	for (int i = 0; i < 3; i++) {
		sp_req(f, tur, 6, STORPATH_DIR_NONE, 0);
		storpath_drv_queue(&f->drv);
	}
	storpath_drv_kick(&f->drv);
	assert_int_equal(storpath_be_poll(f->be, 64), 3);
	assert_true(storpath_drv_arm(&f->drv));     /* nothing published yet */
	assert_true(storpath_be_flush(f->be));      /* one interrupt, three cpls */
	assert_int_equal(storpath_drv_poll(&f->drv, c, 16), 3);
	assert_true(storpath_be_arm(f->be));
	sp_req(f, tur, 6, STORPATH_DIR_NONE, 0);
	storpath_drv_queue(&f->drv);
	assert_true(storpath_drv_kick(&f->drv));
	assert_int_equal(f->drv.doorbells, 2);
	assert_int_equal(f->drv.kicks, 4);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.irqs, 2);
	assert_int_equal(st.cpl_batches, 3);
	sp_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tur),
		cmocka_unit_test(test_inquiry_standard),
		cmocka_unit_test(test_inquiry_no_lun),
		cmocka_unit_test(test_vpd_pages),
		cmocka_unit_test(test_inquiry_bad_fields),
		cmocka_unit_test(test_read_capacity),
		cmocka_unit_test(test_report_luns),
		cmocka_unit_test(test_mode_sense6),
		cmocka_unit_test(test_mode_sense10),
		cmocka_unit_test(test_request_sense),
		cmocka_unit_test(test_read_write_remap),
		cmocka_unit_test(test_sg_segments),
		cmocka_unit_test(test_sync_cache),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_notification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
