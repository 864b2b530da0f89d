/* The back end against a hostile driver: every bad CDB gets CHECK
 * CONDITION with the sense SPC-4/SBC-3 prescribe, every bad descriptor gets
 * ABORTED COMMAND / DATA PHASE ERROR without a byte moved, a bad sense
 * buffer is reported and counted, and a corrupt ring index is dropped and
 * counted.  After each, the guards around guest memory and the backing
 * bytes of other VMs are intact, and the device still works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "sp_fixture.h"
#include "storpath_scsi.h"
#include <vmk/xorshift.h>

#define IN STORPATH_DIR_READ
#define OUT STORPATH_DIR_WRITE

/* The device still answers a plain READ(10) correctly. */
static void assert_still_works(struct sp *f)
{
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct storpath_cpl c = sp_cmd(f, r10, 10, IN, 512);
	assert_int_equal(c.status, STORPATH_STATUS_GOOD);
	assert_int_equal(c.residual, 0);
	sp_assert_canaries(f);
}

static void test_unknown_opcode(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	/* FORMAT UNIT, READ(6), WRITE SAME(16), UNMAP, vendor specific. */
	const uint8_t ops[] = { 0x04, 0x08, 0x93, 0x42, 0xc0, 0xff };
	for (uint32_t i = 0; i < sizeof(ops); i++) {
		uint8_t cdb[16] = { ops[i] };
		struct storpath_cpl c = sp_cmd(f, cdb, 16, IN, 512);
		sp_assert_sense(f, &c, 0x05, 0x20, 0x00);
		assert_int_equal(c.residual, 512);
	}
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_bad_cdb_len(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t r16[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t lens[] = { 0, 17, 255 };
	for (uint32_t i = 0; i < sizeof(lens); i++) {
		struct storpath_cpl c = sp_cmd(f, r16, lens[i], IN, 512);
		sp_assert_sense(f, &c, 0x05, 0x20, 0x00);
	}
	/* READ(16) cut to 10 bytes: the first missing byte is named. */
	struct storpath_cpl c = sp_cmd(f, r16, 10, IN, 512);
	sp_assert_field(f, &c, 10);
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_lba_out_of_range(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint32_t n = SP_DISK_BLOCKS;
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	storpath_put32(r10 + 2, n);                  /* first block past the end */
	struct storpath_cpl c = sp_cmd(f, r10, 10, IN, 512);
	sp_assert_sense(f, &c, 0x05, 0x21, 0x00);
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0 };
	storpath_put32(w10 + 2, n - 1);              /* straddles the end */
	c = sp_cmd(f, w10, 10, OUT, 1024);
	sp_assert_sense(f, &c, 0x05, 0x21, 0x00);
	uint8_t r16[16] = { 0x88 };
	storpath_put64(r16 + 2, UINT64_MAX);         /* LBA + length wraps */
	storpath_put32(r16 + 10, 1);
	c = sp_cmd(f, r16, 16, IN, 512);
	sp_assert_sense(f, &c, 0x05, 0x21, 0x00);
	storpath_put64(r16 + 2, 1);
	storpath_put32(r16 + 10, UINT32_MAX);
	c = sp_cmd(f, r16, 16, IN, 512);
	sp_assert_sense(f, &c, 0x05, 0x21, 0x00);
	uint8_t s16[16] = { 0x91 };
	storpath_put64(s16 + 2, n);
	c = sp_cmd(f, s16, 16, STORPATH_DIR_NONE, 0);
	sp_assert_sense(f, &c, 0x05, 0x21, 0x00);
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_length_mismatch(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };     /* 4 KiB */
	struct storpath_cpl c = sp_cmd(f, r10, 10, IN, 2048);            /* short */
	sp_assert_field(f, &c, 7);
	c = sp_cmd(f, r10, 10, IN, 8192);                                /* long */
	sp_assert_field(f, &c, 7);
	c = sp_cmd(f, r10, 10, STORPATH_DIR_NONE, 0);                    /* none */
	sp_assert_field(f, &c, 7);
	const uint8_t w16[16] = { 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	c = sp_cmd(f, w16, 16, OUT, 4096 + 512);
	sp_assert_field(f, &c, 10);
	/* More than the 1 MiB maximum transfer length (VPD B0h). */
	const uint8_t big[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x01 };
	c = sp_cmd(f, big, 16, IN, 4096);
	sp_assert_field(f, &c, 10);
	/* Direction contradicts the opcode. */
	c = sp_cmd(f, r10, 10, OUT, 4096);
	sp_assert_field(f, &c, 0);
	const uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	c = sp_cmd(f, inq, 6, OUT, 36);
	sp_assert_field(f, &c, 0);
	/* Protection information requested from a disk without any. */
	const uint8_t prot[10] = { 0x28, 0x20, 0, 0, 0, 0, 0, 0, 8, 0 };
	c = sp_cmd(f, prot, 10, IN, 4096);
	sp_assert_field(f, &c, 1);
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_unknown_lun(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	const uint64_t luns[] = { 1, STORPATH_MAX_LUNS, UINT64_MAX };
	for (uint32_t i = 0; i < 3; i++) {
		struct storpath_req *r = sp_req(f, r10, 10, IN, 512);
		r->lun = luns[i];
		struct storpath_cpl c = sp_exec(f);
		sp_assert_sense(f, &c, 0x05, 0x25, 0x00);
	}
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

/* A WRITE whose data segment or request header is malformed: 0Bh/4Bh/00h,
 * nothing moved. */
static void expect_bad_desc(uint64_t gpa, uint32_t len, uint16_t nsegs, uint8_t dir)
{
	struct sp *f = sp_new(NULL);
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct storpath_req *r = sp_req(f, w10, 10, dir, 512);
	r->seg[0].gpa = gpa;
	r->seg[0].len = len;
	r->nsegs = nsegs;
	struct storpath_cpl c = sp_exec(f);
	sp_assert_sense(f, &c, 0x0b, 0x4b, 0x00);
	assert_int_equal(c.residual, 0);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.bad_desc, 1);
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_desc_out_of_range(void **state)
{
	(void)state;
	const uint64_t end = SP_GPA_BASE + SP_MEM_SIZE;
	expect_bad_desc(0, 512, 1, OUT);                          /* below */
	expect_bad_desc(SP_GPA_BASE - 256, 512, 1, OUT);          /* straddles start */
	expect_bad_desc(end, 512, 1, OUT);                        /* above */
	expect_bad_desc(end - 256, 512, 1, OUT);                  /* straddles end */
	expect_bad_desc(UINT64_MAX - 100, 512, 1, OUT);           /* wraps */
	expect_bad_desc(sp_gpa(SP_DATA_OFF), UINT32_MAX, 1, OUT); /* huge */
	expect_bad_desc(sp_gpa(SP_DATA_OFF), 0, 1, OUT);          /* empty */
	expect_bad_desc(sp_gpa(SP_DATA_OFF), 512, 5, OUT);        /* too many */
	expect_bad_desc(sp_gpa(SP_DATA_OFF), 512, UINT16_MAX, OUT);
	expect_bad_desc(sp_gpa(SP_DATA_OFF), 512, 1, 7);          /* direction */
	expect_bad_desc(sp_gpa(SP_DATA_OFF), 512, 1, STORPATH_DIR_NONE);
}

/* Segments that each fit but add up past STORPATH_MAX_XFER. */
static void test_desc_too_long(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	struct storpath_req *r = sp_req(f, r10, 10, IN, 0);
	r->nsegs = 4;
	for (int i = 0; i < 4; i++) {
		r->seg[i].gpa = sp_gpa(SP_DATA_OFF);
		r->seg[i].len = 2u << 20;
	}
	struct storpath_cpl c = sp_exec(f);
	sp_assert_sense(f, &c, 0x0b, 0x4b, 0x00);
	assert_int_equal(f->ram_ops, 0);
	assert_still_works(f);
	sp_free(f);
}

static void test_bad_sense_buffer(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	const uint8_t bad[6] = { 0xc0 };
	struct storpath_req *r = sp_req(f, bad, 6, STORPATH_DIR_NONE, 0);
	r->sense_gpa = SP_GPA_BASE + SP_MEM_SIZE - 4;            /* straddles end */
	struct storpath_cpl c = sp_exec(f);
	assert_int_equal(c.status, STORPATH_STATUS_CHECK_CONDITION);
	assert_int_equal(c.response, STORPATH_RESP_BAD_SENSE);
	assert_int_equal(c.sense_len, 0);
	/* A short sense buffer gets exactly its size. */
	r = sp_req(f, bad, 6, STORPATH_DIR_NONE, 0);
	r->sense_len = 8;
	memset(sp_sense(f), 0x5a, 64);
	c = sp_exec(f);
	assert_int_equal(c.sense_len, 8);
	assert_int_equal(sp_sense(f)[0], 0x70);
	assert_int_equal(sp_sense(f)[8], 0x5a);
	/* No sense buffer: status only. */
	r = sp_req(f, bad, 6, STORPATH_DIR_NONE, 0);
	r->sense_len = 0;
	c = sp_exec(f);
	assert_int_equal(c.status, STORPATH_STATUS_CHECK_CONDITION);
	assert_int_equal(c.sense_len, 0);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.bad_sense, 1);
	assert_int_equal(st.check_conditions, 3);
	assert_still_works(f);
	sp_free(f);
}

/* A producer index beyond the ring or moving backwards is dropped and
 * counted; nothing is read for it; the good index works again after. */
static void test_corrupt_req_index(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	struct ring_shared *sh = f->drv.req.sh;
	const uint32_t bad[] = { 64 + 1, 1000, UINT32_MAX };
	for (uint32_t i = 0; i < 3; i++) {
		sh->prod = bad[i];
		assert_int_equal(storpath_be_poll(f->be, 64), 0);
	}
	sh->prod = 0;
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.bad_index, 3);
	assert_int_equal(st.cmds, 0);
	assert_still_works(f);
	/* Backwards: behind what was already consumed. */
	sh->prod = (uint32_t)-1;
	assert_int_equal(storpath_be_poll(f->be, 64), 0);
	sh->prod = 1;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.bad_index, 4);
	assert_still_works(f);
	sp_free(f);
}

/* The driver corrupts the completion ring's release index: rejected and
 * counted, and the back end never writes a completion slot still owned by
 * the driver. */
static void test_corrupt_cpl_index(void **state)
{
	(void)state;
	struct sp_opts o = { .cpl_slots = 8 };
	struct sp *f = sp_new(&o);
	f->drv.max_inflight = 64;          /* a driver that ignores the limit */
	const uint8_t tur[6] = { 0 };
	for (int i = 0; i < 20; i++) {
		sp_req(f, tur, 6, STORPATH_DIR_NONE, 0);
		storpath_drv_queue(&f->drv);
	}
	storpath_drv_kick(&f->drv);
	assert_int_equal(storpath_be_poll(f->be, 64), 8);   /* one per cpl slot */
	storpath_be_flush(f->be);
	assert_int_equal(storpath_be_poll(f->be, 64), 0);   /* none released yet */
	f->drv.cpl.sh->cons = 100;                          /* beyond published */
	assert_int_equal(storpath_be_poll(f->be, 64), 0);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.bad_index, 1);
	f->drv.cpl.sh->cons = 0;
	struct storpath_cpl c[32];
	uint32_t got = 0;
	for (int i = 0; i < 10 && got < 20; i++) {
		got += storpath_drv_poll(&f->drv, c, 32);
		storpath_be_poll(f->be, 64);
		storpath_be_flush(f->be);
	}
	assert_int_equal(got, 20);
	sp_assert_canaries(f);
	sp_free(f);
}

/* Garbage in every request field, many times over: every request is
 * completed exactly once, nothing escapes, the device keeps working. */
static void test_fuzz(void **state)
{
	(void)state;
	struct sp *f = sp_new(NULL);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 200; round++) {
		uint32_t n = 1 + round % 16;
		for (uint32_t k = 0; k < n; k++) {
			struct storpath_req *r = storpath_drv_next(&f->drv);
			uint8_t *p = (uint8_t *)r;
			for (uint32_t i = 0; i < sizeof(*r); i++) {
				vmk_xorshift64(&x);
				p[i] = (uint8_t)x;
			}
			/* Sometimes plausible, so deeper paths are reached too. */
			if (x & 1) {
				r->lun = 0;
				r->cdb_len = 16;
				r->cdb[0] = (uint8_t)(x >> 8) & 1 ? 0x88 : 0x8a;
				r->cdb[2] = r->cdb[3] = r->cdb[4] = r->cdb[5] = 0;
				r->cdb[6] = r->cdb[7] = r->cdb[10] = r->cdb[11] = r->cdb[12] = 0;
				r->nsegs = 1;
				r->dir = (x >> 9) & 1 ? IN : OUT;
				r->seg[0].gpa = sp_gpa(SP_DATA_OFF) + ((x >> 16) & 0x3ff);
				r->seg[0].len = (uint32_t)r->cdb[13] * 512;
			}
			r->tag = ++f->tag;
			storpath_drv_queue(&f->drv);
		}
		storpath_drv_kick(&f->drv);
		sp_pump(f);
		struct storpath_cpl c[16];
		assert_int_equal(storpath_drv_poll(&f->drv, c, 16), n);
	}
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.cmds, st.good + st.check_conditions);
	assert_true(st.check_conditions > 0);
	assert_still_works(f);
	sp_free(f);
}

/* A guest thread scribbles over every request slot while the back end
 * reads them: whatever mix of bytes the back end copies, it validates that
 * copy and nothing else (no double fetch), so every published request
 * completes exactly once and nothing outside the VM is touched (the RAM
 * disk asserts every backing range; the canaries are checked).  Bounded by
 * count: the scribbler runs until the main thread's rounds are done. */
struct scribbler {
	uint64_t *slots;
	uint32_t words;
	int stop;
	uint64_t passes;
};

static void *scribble(void *arg)
{
	struct scribbler *w = arg;
	uint64_t x = 0x243f6a8885a308d3ull;
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		for (uint32_t i = 0; i < w->words; i++) {
			/* The words that steer the back end: LUN, sense length and
			 * CDB length/direction/segment count, CDB, first segment. */
			if (!((1u << (i % 16)) & 0xfa))
				continue;
			vmk_xorshift64(&x);
			/* Mostly plausible values, so deep paths are raced too. */
			uint64_t v = (x & 3) ? __atomic_load_n(&w->slots[i], __ATOMIC_RELAXED) ^ (x >> 60)
					     : x;
			__atomic_store_n(&w->slots[i], v, __ATOMIC_RELAXED);
		}
		w->passes++;
	}
	return NULL;
}

static void test_racing_guest(void **state)
{
	(void)state;
	struct sp_opts o = { .req_slots = 16, .cpl_slots = 16 };
	struct sp *f = sp_new(&o);
	struct scribbler w = { .slots = (uint64_t *)f->drv.req.slots,
			       .words = 16 * sizeof(struct storpath_req) / 8 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, scribble, &w), 0);
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	for (int round = 0; round < 3000; round++) {
		for (int k = 0; k < 8; k++) {
			sp_req(f, w10, 10, OUT, 4096);
			storpath_drv_queue(&f->drv);
		}
		storpath_drv_kick(&f->drv);
		/* Give the scribbler the published slots for a moment. */
		for (volatile int spin = 0; spin < 20000; spin++)
			;
		sp_pump(f);
		struct storpath_cpl c[16];
		assert_int_equal(storpath_drv_poll(&f->drv, c, 16), 8);
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.cmds, 3000 * 8);
	assert_int_equal(st.cmds, st.good + st.check_conditions);
	print_message("racing guest: %llu scribble passes, %llu good, %llu check conditions\n",
		      (unsigned long long)w.passes, (unsigned long long)st.good,
		      (unsigned long long)st.check_conditions);
	assert_still_works(f);
	sp_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_opcode),
		cmocka_unit_test(test_bad_cdb_len),
		cmocka_unit_test(test_lba_out_of_range),
		cmocka_unit_test(test_length_mismatch),
		cmocka_unit_test(test_unknown_lun),
		cmocka_unit_test(test_desc_out_of_range),
		cmocka_unit_test(test_desc_too_long),
		cmocka_unit_test(test_bad_sense_buffer),
		cmocka_unit_test(test_corrupt_req_index),
		cmocka_unit_test(test_corrupt_cpl_index),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_racing_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
