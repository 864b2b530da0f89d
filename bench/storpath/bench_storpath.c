/* bench/storpath: 4 KiB random reads and writes through the whole storpath
 * path — driver ring -> back end -> SCSI emulation -> extent remap ->
 * io_uring (O_DIRECT, the guest's own buffers) -> completion ring — at queue
 * depths 1, 16 and 128, on the file named by $STORPATH_BENCH_FILE.  The run
 * script runs fio's io_uring engine on the same file as the baseline.
 *
 * One benchmark iteration is one completed I/O; the driver keeps the queue
 * full, polls (no completion interrupts) and rings one doorbell per batch of
 * resubmissions.  Latency is from queueing the request to the driver seeing
 * its completion (fio's "lat").  Counters: p50/p99/p99.9 latency (us), CPU
 * time per I/O (us, this thread, user + system), payload copies, io_uring
 * enters, doorbells and interrupts per I/O. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "vmk_bench.h"

#include "storpath_be.h"
#include "storpath_drv.h"
#include "storpath_uring.h"
#include <vmk/xorshift.h>

#define SB_BS 4096u
#define SB_MAX_QD 128u
#define SB_GPA 0x100000ull
#define SB_REQ_SLOTS 256u
#define SB_CPL_SLOTS 256u
#define SB_RING_BYTES 0x10000u        /* each ring's share of guest memory */
#define SB_MAX_SAMPLES (8u << 20)
#define SB_EXTENTS 4u

/* One benchmark run's world: guest memory, device, disk, io_uring. */
struct sb {
	uint8_t *mem;                     /* rings, then one 4 KiB buffer per slot */
	size_t mem_len;
	struct ring_region region;
	struct storpath_drv drv;
	struct storpath_be *be;
	struct storpath_target tgt;
	struct storpath_vdisk disk;
	struct storpath_uring u;
	uint64_t nblocks4k;               /* disk size in 4 KiB units */
	uint64_t rng;
	uint64_t t_submit[SB_MAX_QD];
	uint32_t *lat;                    /* ns, one per measured I/O */
	uint64_t nlat;
};

static uint64_t sb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double sb_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
	       (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
}

static uint64_t sb_rnd(struct sb *b)
{
	return vmk_xorshift64(&b->rng);
}

static uint64_t sb_data_off(uint32_t slot)
{
	return 2 * SB_RING_BYTES + (uint64_t)slot * SB_BS;
}

/* The disk: the file in SB_EXTENTS equal pieces, in reverse order, so every
 * I/O goes through a real remap. */
static int sb_disk(struct sb *b, uint64_t file_bytes)
{
	struct storpath_extent ext[SB_EXTENTS];
	uint64_t piece = (file_bytes / SB_EXTENTS) & ~((uint64_t)(1u << 20) - 1);
	for (uint32_t i = 0; i < SB_EXTENTS; i++) {
		ext[i].nblocks = piece >> 9;
		ext[i].dev_off = piece * (SB_EXTENTS - 1 - i);
	}
	struct storpath_vdisk_cfg cfg = {
		.extents = ext, .nextents = SB_EXTENTS, .block_shift = 9,
		.backing_bytes = file_bytes, .serial = "BENCH", .id = 1, .dev = &b->u,
	};
	b->nblocks4k = piece * SB_EXTENTS / SB_BS;
	b->tgt.luns[0] = &b->disk;
	return storpath_vdisk_init(&b->disk, &cfg);
}

static int sb_device(struct sb *b)
{
	b->mem_len = sb_data_off(SB_MAX_QD);
	b->mem = aligned_alloc(4096, b->mem_len);
	if (!b->mem)
		return -1;
	memset(b->mem, 0, b->mem_len);
	b->region = (struct ring_region){ .gpa = SB_GPA, .len = b->mem_len, .hva = b->mem };
	if (storpath_drv_init(&b->drv, b->mem, ring_mem_size(SB_REQ_SLOTS, sizeof(struct storpath_req)),
			      SB_REQ_SLOTS, b->mem + SB_RING_BYTES,
			      ring_mem_size(SB_CPL_SLOTS, sizeof(struct storpath_cpl)), SB_CPL_SLOTS))
		return -1;
	struct storpath_be_cfg cfg = {
		.regions = &b->region, .nregions = 1, .target = &b->tgt,
		.dev = { .abi_version = STORPATH_ABI_VERSION,
			 .req = { .ring_gpa = SB_GPA, .nslots = SB_REQ_SLOTS },
			 .cpl = { .ring_gpa = SB_GPA + SB_RING_BYTES, .nslots = SB_CPL_SLOTS } },
		.io = storpath_uring_ops(&b->u),
	};
	b->be = calloc(1, sizeof(*b->be));
	return b->be ? storpath_be_init(b->be, &cfg) : -1;
}

static const char *sb_open(struct sb *b, uint32_t qd)
{
	const char *path = getenv("STORPATH_BENCH_FILE");
	struct stat st;
	memset(b, 0, sizeof(*b));
	b->rng = 0x9e3779b97f4a7c15ull ^ qd;
	if (!path || stat(path, &st) || st.st_size < (8 << 20))
		return "set STORPATH_BENCH_FILE to a file of at least 8 MiB";
	if (storpath_uring_open(&b->u, path, 2 * qd))
		return "cannot open the file with O_DIRECT and io_uring";
	if (sb_disk(b, (uint64_t)st.st_size) || sb_device(b))
		return "storpath set-up failed";
	b->u.submit_in_reap = !getenv("STORPATH_BENCH_EAGER_KICK");
	b->lat = malloc(SB_MAX_SAMPLES * sizeof(uint32_t));
	return b->lat ? NULL : "out of memory";
}

static void sb_close(struct sb *b)
{
	storpath_uring_close(&b->u);
	free(b->be);
	free(b->mem);
	free(b->lat);
}

/* Queue a 4 KiB READ(10)/WRITE(10) at a random aligned offset from slot @s. */
static void sb_queue(struct sb *b, uint32_t s, bool write)
{
	struct storpath_req *r = storpath_drv_next(&b->drv);
	uint64_t lba = (sb_rnd(b) % b->nblocks4k) * (SB_BS / 512);
	r->tag = s;
	r->cdb_len = 10;
	r->cdb[0] = write ? 0x2a : 0x28;
	storpath_put32(r->cdb + 2, (uint32_t)lba);
	storpath_put16(r->cdb + 7, SB_BS / 512);
	r->dir = write ? STORPATH_DIR_WRITE : STORPATH_DIR_READ;
	r->nsegs = 1;
	r->seg[0].gpa = SB_GPA + sb_data_off(s);
	r->seg[0].len = SB_BS;
	storpath_drv_queue(&b->drv);
	b->t_submit[s] = sb_now();
}

/* Run the vmkernel side until the driver has completions.  The back end
 * reaps right after each poll, so new requests go to the kernel in the same
 * io_uring_enter that waits for completions (one system call per cycle). */
static uint32_t sb_wait(struct sb *b, struct storpath_cpl *c)
{
	for (;;) {
		uint32_t n = storpath_drv_poll(&b->drv, c, SB_MAX_QD);
		if (n)
			return n;
		storpath_be_poll(b->be, SB_MAX_QD);
		storpath_uring_reap(&b->u, b->be, 1);
		storpath_be_flush(b->be);
	}
}

static int sb_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double sb_pct(const struct sb *b, double p)
{
	if (!b->nlat)
		return 0;
	uint64_t i = (uint64_t)(p / 100.0 * (double)(b->nlat - 1) + 0.5);
	return b->lat[i] / 1000.0;
}

static void sb_report(vmk_bench_state *s, struct sb *b, double cpu_us, int64_t ios)
{
	struct storpath_stats st;
	storpath_be_stats(b->be, &st);
	qsort(b->lat, b->nlat, sizeof(uint32_t), sb_cmp);
	vmk_bench_set_items(s, ios);
	vmk_bench_counter(s, "p50_us", sb_pct(b, 50), 0);
	vmk_bench_counter(s, "p99_us", sb_pct(b, 99), 0);
	vmk_bench_counter(s, "p999_us", sb_pct(b, 99.9), 0);
	vmk_bench_counter(s, "cpu_us_per_io", ios ? cpu_us / (double)ios : 0, 0);
	vmk_bench_counter(s, "payload_copies", (double)(st.payload_copies +
							b->u.st.payload_copies), 0);
	vmk_bench_counter(s, "zero_copy_ios", (double)b->u.st.zero_copy, 0);
	vmk_bench_counter(s, "enters_per_io", ios ? (double)b->u.st.enters / (double)ios : 0, 0);
	vmk_bench_counter(s, "doorbells_per_io", ios ? (double)b->drv.doorbells / (double)ios : 0, 0);
	vmk_bench_counter(s, "irqs_per_io", ios ? (double)st.irqs / (double)ios : 0, 0);
	vmk_bench_counter(s, "errors", (double)(st.check_conditions + b->u.st.errors), 0);
}

/* Finish what is in flight, untimed, so the next run starts clean. */
static void sb_drain(struct sb *b)
{
	struct storpath_cpl c[SB_MAX_QD];
	while (b->drv.inflight)
		sb_wait(b, c);
}

static void sb_run(vmk_bench_state *s, void *arg)
{
	bool write = arg != NULL;
	uint32_t qd = (uint32_t)vmk_bench_arg(s, 0);
	struct sb *b = malloc(sizeof(*b));
	struct storpath_cpl c[SB_MAX_QD];
	const char *why = b ? sb_open(b, qd) : "out of memory";
	if (why) {
		vmk_bench_skip(s, why);
		while (vmk_bench_keep_running(s))
			;
		free(b);
		return;
	}
	for (uint32_t i = 0; i < qd; i++)
		sb_queue(b, i, write);
	storpath_drv_kick(&b->drv);
	uint32_t have = 0, next = 0;
	int64_t ios = 0;
	double cpu0 = sb_cpu_us();
	while (vmk_bench_keep_running(s)) {
		if (next == have) {
			/* Resubmissions of the last batch go out with one kick. */
			storpath_drv_kick(&b->drv);
			have = sb_wait(b, c);
			next = 0;
		}
		const struct storpath_cpl *cp = &c[next++];
		uint32_t slot = (uint32_t)cp->tag;
		if (b->nlat < SB_MAX_SAMPLES)
			b->lat[b->nlat++] = (uint32_t)(sb_now() - b->t_submit[slot]);
		if (cp->status != STORPATH_STATUS_GOOD)
			vmk_bench_skip(s, "an I/O failed");
		sb_queue(b, slot, write);
		ios++;
	}
	double cpu = sb_cpu_us() - cpu0;
	storpath_drv_kick(&b->drv);
	sb_drain(b);
	sb_report(s, b, cpu, ios);
	sb_close(b);
	free(b);
}

static void sb_register(void)
{
	static const int64_t qds[] = { 1, 16, 128 };
	for (int w = 0; w < 2; w++) {
		for (int i = 0; i < 3; i++) {
			struct vmk_bench_opts o = { .args = { qds[i] }, .nargs = 1,
						    .use_real_time = 1 };
			vmk_bench_add(w ? "storpath_randwrite" : "storpath_randread", sb_run,
				      w ? (void *)1 : NULL, &o);
		}
	}
}

/* ---- exact path length: instructions per I/O under callgrind ----
 *
 * The same driver and vmkernel code on a null storage back end that
 * completes every operation at the next kick, with no system call: what
 * callgrind counts inside sb_icount_loop is storpath's own path (driver
 * queue + kick, ring intake, SCSI decode, extent remap, completion, driver
 * poll), exactly, run after run. */

struct sb_null {
	struct storpath_be *be;
	struct storpath_io *pending[2 * SB_MAX_QD];
	uint32_t n;
};

static int sb_null_submit(void *ctx, struct storpath_io *io)
{
	struct sb_null *z = ctx;
	z->pending[z->n++] = io;
	return 0;
}

static void sb_null_kick(void *ctx)
{
	struct sb_null *z = ctx;
	for (uint32_t i = 0; i < z->n; i++)
		storpath_be_io_done(z->be, z->pending[i], 0);
	z->n = 0;
}

/* Kept out of line so callgrind can toggle collection on it alone. */
__attribute__((noinline)) uint64_t sb_icount_loop(struct sb *b, uint64_t ios, uint32_t qd,
						   bool write)
{
	struct storpath_cpl c[SB_MAX_QD];
	uint64_t done = 0;
	for (uint32_t i = 0; i < qd; i++)
		sb_queue(b, i, write);
	storpath_drv_kick(&b->drv);
	while (done < ios) {
		storpath_be_poll(b->be, SB_MAX_QD);
		storpath_be_flush(b->be);
		uint32_t n = storpath_drv_poll(&b->drv, c, SB_MAX_QD);
		for (uint32_t i = 0; i < n; i++)
			sb_queue(b, (uint32_t)c[i].tag, write);
		storpath_drv_kick(&b->drv);
		done += n;
	}
	return done;
}

static int sb_icount(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	bool write = strcmp(argv[2], "write") == 0;
	uint32_t qd = (uint32_t)atoi(argv[3]);
	uint64_t ios = strtoull(argv[4], NULL, 0);
	struct sb *b = calloc(1, sizeof(*b));
	struct sb_null z = { 0 };
	if (!b || qd == 0 || qd > SB_MAX_QD)
		return 2;
	b->rng = 1;
	/* A 64 MiB disk over a backing device nobody opens. */
	if (sb_disk(b, 64u << 20) || sb_device(b))
		return 1;
	z.be = b->be;
	b->be->io = (struct storpath_io_ops){ .ctx = &z, .submit = sb_null_submit,
					      .kick = sb_null_kick };
	b->disk.dev = &z;
	uint64_t done = sb_icount_loop(b, ios, qd, write);
	struct storpath_stats st;
	storpath_be_stats(b->be, &st);
	printf("icount_ios %llu\nicount_errors %llu\n", (unsigned long long)done,
	       (unsigned long long)st.check_conditions);
	free(b->be);
	free(b->mem);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--icount") == 0)
		return sb_icount(argc, argv);
	return vmk_bench_main(argc, argv, sb_register);
}
