/* A writer thread and a reader thread on one ring, in both modes.
 *
 * The ring memory is one shared-memory object mapped twice: read-write for
 * the writer, read-only for the reader, as the COS will map the vmkernel's
 * rings.  A reader that wrote to the ring would fault.
 *
 * The writer writes a fixed number of events, each carrying its attempt
 * number and three words derived from it.  The reader checks that every
 * record is self-consistent (not torn), that attempt numbers only go up, and
 * that each record's attempt number is exactly the previous one + 1 + the
 * losses reported in front of it: nothing invented, nothing silently lost.
 * Bounded by count, never by time. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_ring.h"

#define EVENTS 200000u
#define SLOTS  16u

struct mt_ctx {
	struct trace_writer w;
	struct trace_reader r;
	void *rw, *ro;
	struct trace_ring_cons *cons;
	int done;                /* writer finished (release) */
	int reader_up;           /* reader started: the writer waits for it */
	uint64_t delivered, lost;
	uint64_t bad, first_bad;  /* torn, invented or misplaced records */
	uint64_t end;             /* attempt number after the last accounted */
};

static uint64_t mix(uint64_t i)
{
	return i * 0x9e3779b97f4a7c15ull ^ (i >> 7);
}

/* Varies the writer's pace so that it sometimes outruns the reader and
 * sometimes not: both the lapped and the caught-up paths get exercised. */
static void pace(uint64_t i)
{
	for (unsigned k = 0; k < (i & 511); k++)
		__asm__ volatile("" ::: "memory");
}

static void *writer_main(void *arg)
{
	struct mt_ctx *c = arg;

	while (!__atomic_load_n(&c->reader_up, __ATOMIC_ACQUIRE))
		;
	for (uint64_t i = 0; i < EVENTS; i++, pace(i))
		trace_ring_write(&c->w, i, TRACE_EV_NETPATH_REQ, i, ~i, mix(i),
				 i ^ 0x5555aaaa5555aaaaull);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* 1 if @rec is intact and is attempt number @expect.  (cmocka's asserts
 * must stay on the main thread, so the reader only counts failures.) */
static int record_ok(const struct trace_record *rec, uint64_t expect)
{
	uint64_t i = rec->payload[0];

	return rec->id == TRACE_EV_NETPATH_REQ && rec->tsc == i &&
	       rec->payload[1] == ~i && rec->payload[2] == mix(i) &&
	       rec->payload[3] == (i ^ 0x5555aaaa5555aaaaull) && i == expect;
}

/* Drains what is there, then takes the losses not yet placed, as the CTF
 * drain does; returns the next expected attempt number.  Taking losses
 * while the writer runs must never report them ahead of their place. */
static uint64_t drain(struct mt_ctx *c, uint64_t expect)
{
	struct trace_record rec;
	uint64_t lost;

	while (trace_reader_next(&c->r, &rec, &lost)) {
		expect += lost;
		if (!record_ok(&rec, expect) && !c->bad++)
			c->first_bad = c->delivered;
		expect = rec.payload[0] + 1;   /* resync after a bad one */
		c->delivered++;
		c->lost += lost;
	}
	lost = trace_reader_take_lost(&c->r);
	c->lost += lost;
	return expect + lost;
}

static void *reader_main(void *arg)
{
	struct mt_ctx *c = arg;
	uint64_t expect = 0;

	__atomic_store_n(&c->reader_up, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		expect = drain(c, expect);
	c->end = drain(c, expect);
	return NULL;
}

static void map_ring(struct mt_ctx *c, enum trace_mode mode)
{
	size_t bytes = trace_ring_bytes(SLOTS);
	int fd = memfd_create("vmk-trace-ring", 0);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
	c->rw = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	c->ro = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(c->rw != MAP_FAILED && c->ro != MAP_FAILED);
	c->cons = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(c->cons != MAP_FAILED);
	assert_int_equal(trace_writer_init(&c->w, c->rw, bytes, SLOTS, 1, mode,
					   c->cons), 0);
	assert_int_equal(trace_reader_init(&c->r, c->ro, bytes, c->cons), 0);
}

static void run_pair(enum trace_mode mode)
{
	struct mt_ctx c;
	pthread_t wt, rt;

	memset(&c, 0, sizeof(c));
	map_ring(&c, mode);
	assert_int_equal(pthread_create(&rt, NULL, reader_main, &c), 0);
	assert_int_equal(pthread_create(&wt, NULL, writer_main, &c), 0);
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	if (c.bad)
		fail_msg("%llu bad records, first at delivery %llu",
			 (unsigned long long)c.bad, (unsigned long long)c.first_bad);
	assert_int_equal(c.end, EVENTS);
	assert_int_equal(c.delivered + c.lost, EVENTS);
	assert_int_equal(trace_reader_written(&c.r), EVENTS);
	assert_int_equal(c.r.delivered, c.delivered);
	print_message("mode %d: delivered %llu lost %llu (torn or lapped "
		      "%llu)\n", mode, (unsigned long long)c.delivered,
		      (unsigned long long)c.lost,
		      (unsigned long long)c.r.overwritten);
	munmap(c.rw, trace_ring_bytes(SLOTS));
	munmap(c.ro, trace_ring_bytes(SLOTS));
	munmap(c.cons, 4096);
}

static void test_concurrent_overwrite(void **st)
{
	(void)st;
	run_pair(TRACE_MODE_OVERWRITE);
}

static void test_concurrent_drop_new(void **st)
{
	(void)st;
	run_pair(TRACE_MODE_DROP_NEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_overwrite),
		cmocka_unit_test(test_concurrent_drop_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
