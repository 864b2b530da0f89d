/* Data integrity through the full path on a real file: driver ring -> back
 * end -> extent remap -> io_uring with O_DIRECT on the guest's own buffers
 * -> completion ring.  Random multi-segment writes at queue depth 32 (the
 * commands in flight never overlap, so a shadow copy says what the disk
 * must hold), then every block read back and checked, by checksum and byte
 * for byte, with zero errors and zero payload copies.  Bounded by count.
 *
 * The backing file (8 MiB) lives in $STORPATH_TEST_DIR or the working
 * directory (ctest: the build tree) and is removed at the end. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "sp_fixture.h"
#include "storpath_scsi.h"
#include <vmk/xorshift.h>

#define QD 32u
#define ZONE (SP_DISK_BLOCKS / QD)     /* blocks: one zone per slot in flight */
#define SLOT_BYTES 0x10000u            /* guest buffer area per slot */
#define MAX_BLOCKS 64u
#define WRITES 1500u
#define RANDOM_READS 600u

static char path[4096];
static uint8_t *shadow;                /* what the disk must hold */
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	return vmk_xorshift64(&rng);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static bool foreign(uint64_t off)
{
	return (off >= (3u << 20) && off < (4u << 20)) || off >= (7u << 20);
}

static void make_file(void)
{
	const char *dir = getenv("STORPATH_TEST_DIR");
	snprintf(path, sizeof(path), "%s/storpath-integrity-%d.img", dir ? dir : ".",
		 (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	uint8_t *buf = malloc(1u << 20);
	for (uint32_t mb = 0; mb < SP_BACKING >> 20; mb++) {
		memset(buf, foreign((uint64_t)mb << 20) ? SP_CANARY : 0, 1u << 20);
		assert_int_equal(pwrite(fd, buf, 1u << 20, (off_t)mb << 20), 1 << 20);
	}
	free(buf);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void check_file(void)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	uint8_t *buf = malloc(2u << 20);
	const uint32_t mbs[2] = { 3, 7 };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pread(fd, buf, 1u << 20, (off_t)mbs[i] << 20), 1 << 20);
		for (uint32_t k = 0; k < (1u << 20); k++)
			assert_int_equal(buf[k], SP_CANARY);
	}
	/* The disk's blocks are where the extent map says, in order. */
	uint64_t vblock = 0;
	for (int e = 0; e < 4; e++) {
		uint64_t len = sp_extents[e].nblocks * 512;
		assert_int_equal(pread(fd, buf, len, (off_t)sp_extents[e].dev_off), (ssize_t)len);
		assert_memory_equal(buf, shadow + vblock * 512, len);
		vblock += sp_extents[e].nblocks;
	}
	free(buf);
	close(fd);
}

/* Queue a READ/WRITE(10 or 16) of [lba, lba + n) whose data sits in slot
 * @s, split into 1..3 segments at 4 KiB-aligned guest addresses. */
static void queue_rw(struct sp *f, uint32_t s, uint64_t lba, uint32_t n, bool write)
{
	struct storpath_req *r = storpath_drv_next(&f->drv);
	assert_non_null(r);
	bool big = rnd() & 1;
	r->cdb_len = big ? 16 : 10;
	r->cdb[0] = big ? (write ? 0x8a : 0x88) : (write ? 0x2a : 0x28);
	if (big) {
		storpath_put64(r->cdb + 2, lba);
		storpath_put32(r->cdb + 10, n);
	} else {
		storpath_put32(r->cdb + 2, (uint32_t)lba);
		storpath_put16(r->cdb + 7, (uint16_t)n);
	}
	r->dir = write ? STORPATH_DIR_WRITE : STORPATH_DIR_READ;
	r->tag = s;
	r->sense_gpa = sp_gpa(SP_SENSE_OFF + 64 * s);
	r->sense_len = STORPATH_SENSE_LEN;
	uint32_t left = n, off = SP_DATA_OFF + s * SLOT_BYTES;
	uint32_t nsegs = 1 + (uint32_t)(rnd() % 3);
	for (uint32_t k = 0; k < nsegs && left; k++) {
		uint32_t take = k + 1 == nsegs ? left : 1 + (uint32_t)(rnd() % left);
		r->seg[k].gpa = sp_gpa(off);
		r->seg[k].len = take * 512;
		if (write) {
			uint8_t *p = sp_hva(f, off);
			for (uint32_t i = 0; i < take * 512; i += 8) {
				uint64_t v = rnd();
				memcpy(p + i, &v, 8);
			}
			memcpy(shadow + (lba + n - left) * 512, p, take * 512);
		}
		off += (take * 512 + 4095) & ~4095u;
		left -= take;
		r->nsegs = (uint16_t)(k + 1);
	}
	storpath_drv_queue(&f->drv);
}

/* Gather what slot @s read (its segments, in order) and compare. */
static void verify_read(struct sp *f, const struct storpath_req *copy, uint64_t lba)
{
	uint8_t buf[MAX_BLOCKS * 512];
	uint32_t len = 0;
	for (uint32_t k = 0; k < copy->nsegs; k++) {
		memcpy(buf + len, f->mem + (copy->seg[k].gpa - SP_GPA_BASE), copy->seg[k].len);
		len += copy->seg[k].len;
	}
	assert_int_equal(fnv1a(buf, len), fnv1a(shadow + lba * 512, len));
	assert_memory_equal(buf, shadow + lba * 512, len);
}

static void expect_good(struct sp *f, uint32_t n)
{
	struct storpath_cpl c[QD];
	uint32_t got = 0;
	storpath_drv_kick(&f->drv);
	for (int i = 0; i < 100000 && got < n; i++) {
		storpath_be_poll(f->be, 64);
		storpath_uring_reap(&f->u, f->be, f->u.inflight ? 1 : 0);
		storpath_be_flush(f->be);
		uint32_t k = storpath_drv_poll(&f->drv, c, QD);
		for (uint32_t j = 0; j < k; j++) {
			assert_int_equal(c[j].status, STORPATH_STATUS_GOOD);
			assert_int_equal(c[j].residual, 0);
		}
		got += k;
	}
	assert_int_equal(got, n);
}

static void sync_cache(struct sp *f)
{
	struct storpath_req *r = storpath_drv_next(&f->drv);
	r->cdb_len = 10;
	r->cdb[0] = 0x35;
	storpath_drv_queue(&f->drv);
	expect_good(f, 1);
}

static void random_writes(struct sp *f)
{
	for (uint32_t done = 0; done < WRITES; done += QD) {
		for (uint32_t s = 0; s < QD; s++) {
			uint32_t n = 1 + (uint32_t)(rnd() % MAX_BLOCKS);
			uint64_t lba = (uint64_t)s * ZONE + rnd() % (ZONE - n + 1);
			queue_rw(f, s, lba, n, true);
		}
		expect_good(f, QD);
		if (done % (8 * QD) == 0)
			sync_cache(f);
	}
	sync_cache(f);
}

/* Read [lba, lba + n) per slot, QD at a time, and check each. */
static void read_batch(struct sp *f, const uint64_t *lba, const uint32_t *n, uint32_t cnt)
{
	struct storpath_req copies[QD];
	for (uint32_t s = 0; s < cnt; s++) {
		queue_rw(f, s, lba[s], n[s], false);
		copies[s] = *(struct storpath_req *)ring_prod_slot(&f->drv.req, f->drv.queued - 1);
	}
	expect_good(f, cnt);
	for (uint32_t s = 0; s < cnt; s++)
		verify_read(f, &copies[s], lba[s]);
}

static void read_everything(struct sp *f)
{
	uint64_t lba[QD];
	uint32_t n[QD], cnt = 0;
	for (uint64_t b = 0; b < SP_DISK_BLOCKS; b += MAX_BLOCKS) {
		lba[cnt] = b;
		n[cnt++] = MAX_BLOCKS;
		if (cnt == QD) {
			read_batch(f, lba, n, cnt);
			cnt = 0;
		}
	}
	if (cnt)
		read_batch(f, lba, n, cnt);
	for (uint32_t done = 0; done < RANDOM_READS; done += QD) {
		for (uint32_t s = 0; s < QD; s++) {
			n[s] = 1 + (uint32_t)(rnd() % MAX_BLOCKS);
			lba[s] = rnd() % (SP_DISK_BLOCKS - n[s] + 1);
		}
		read_batch(f, lba, n, QD);
	}
}

/* A kernel without io_uring (or a seccomp filter against it), or a file
 * system without O_DIRECT, cannot run the back end at all: skip, saying
 * why, rather than fail. */
static bool usable(void)
{
	struct storpath_uring u;
	int err = storpath_uring_open(&u, path, 4);
	if (err) {
		print_message("storpath_uring_open(%s): %s; skipping\n", path, vmk_strerror(err));
		unlink(path);
		return false;
	}
	storpath_uring_close(&u);
	return true;
}

static void test_integrity(void **state)
{
	(void)state;
	make_file();
	if (!usable())
		skip();
	shadow = calloc(SP_DISK_BLOCKS, 512);
	struct sp_opts o = { .file = path, .req_slots = 64, .cpl_slots = 64 };
	struct sp *f = sp_new(&o);
	random_writes(f);
	/* Reads with submissions riding on the reap's enter (the benchmark's
	 * mode); writes above went out at each kick. */
	f->u.submit_in_reap = true;
	read_everything(f);
	struct storpath_stats st;
	storpath_be_stats(f->be, &st);
	assert_int_equal(st.check_conditions, 0);
	assert_int_equal(st.io_errors, 0);
	assert_int_equal(st.bad_index, 0);
	assert_int_equal(f->u.st.errors, 0);
	assert_int_equal(f->u.st.payload_copies, 0);   /* zero copy, all the way */
	assert_true(f->u.st.zero_copy >= st.reads + st.writes);
	print_message("integrity: %llu writes, %llu reads, %llu MiB, %llu io_uring ops, "
		      "%llu payload copies, 0 errors\n",
		      (unsigned long long)st.writes, (unsigned long long)st.reads,
		      (unsigned long long)((st.read_bytes + st.write_bytes) >> 20),
		      (unsigned long long)f->u.st.submitted,
		      (unsigned long long)f->u.st.payload_copies);
	sp_free(f);
	check_file();
	free(shadow);
	unlink(path);
}

/* A misaligned guest buffer still works, through a counted bounce. */
static void test_misaligned_bounce(void **state)
{
	(void)state;
	make_file();
	if (!usable())
		skip();
	struct sp_opts o = { .file = path };
	struct sp *f = sp_new(&o);
	const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0x10, 0, 0, 0, 2, 0 };
	struct storpath_req *r = sp_req(f, w10, 10, STORPATH_DIR_WRITE, 1024);
	r->seg[0].gpa += 8;                         /* O_DIRECT cannot take it */
	uint8_t *p = sp_hva(f, SP_DATA_OFF + 8);
	for (uint32_t i = 0; i < 1024; i++)
		p[i] = (uint8_t)(i * 29 + 3);
	uint8_t want[1024];
	memcpy(want, p, 1024);
	struct storpath_cpl c = sp_exec(f);
	assert_int_equal(c.status, STORPATH_STATUS_GOOD);
	const uint8_t r10[10] = { 0x28, 0, 0, 0, 0x10, 0, 0, 0, 2, 0 };
	r = sp_req(f, r10, 10, STORPATH_DIR_READ, 1024);
	r->seg[0].gpa += 24;
	memset(sp_hva(f, SP_DATA_OFF), 0, 2048);
	c = sp_exec(f);
	assert_int_equal(c.status, STORPATH_STATUS_GOOD);
	assert_memory_equal(sp_hva(f, SP_DATA_OFF + 24), want, 1024);
	assert_int_equal(f->u.st.payload_copies, 2);
	assert_int_equal(f->u.st.copy_bytes, 2048);
	sp_free(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integrity),
		cmocka_unit_test(test_misaligned_bounce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
