/* Single-threaded tests of the trace ring: geometry checks, enable mask,
 * wrap, overwrite (including a writer lapping the reader mid-copy, through
 * the TRACE_RING_TEST_HOOK build of trace_ring.c), drop-new and lost counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmk/err.h>

#include "trace_emit.h"

#define SLOTS 8u

static _Alignas(64) uint8_t ring_mem[4096];
static struct trace_ring_cons cons;
static struct trace_writer w;
static struct trace_reader r;

/* Hook state: when armed, the writer writes lap_by records while the reader
 * is between its two looks at a slot's seq. */
static int hook_armed;
static unsigned lap_by;
static uint64_t next_val;

static void put(uint64_t v)
{
	trace_ring_write(&w, v, TRACE_EV_HYPERCALL, v, ~v, v * 3, 0);
	next_val = v + 1;
}

void trace_ring_test_hook(const struct trace_reader *rd)
{
	(void)rd;
	if (!hook_armed)
		return;
	hook_armed = 0;
	for (unsigned i = 0; i < lap_by; i++)
		put(next_val);
}

static void setup_mode(enum trace_mode mode)
{
	memset(ring_mem, 0xa5, sizeof(ring_mem));
	memset(&cons, 0, sizeof(cons));
	hook_armed = 0;
	next_val = 0;
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), SLOTS,
					   3, mode, &cons), 0);
	trace_set_enabled(&w, TRACE_EV_ALL);
	assert_int_equal(trace_reader_init(&r, ring_mem, sizeof(ring_mem), &cons), 0);
}

/* Reads one record, checks it is the hypercall put(v) wrote, returns v. */
static uint64_t get(uint64_t *lost)
{
	struct trace_record rec;

	assert_int_equal(trace_reader_next(&r, &rec, lost), 1);
	assert_int_equal(rec.id, TRACE_EV_HYPERCALL);
	assert_int_equal(rec.cpu, 3);
	assert_int_equal(rec.payload[1], ~rec.payload[0]);
	assert_int_equal(rec.payload[2], rec.payload[0] * 3);
	assert_int_equal(rec.tsc, rec.payload[0]);
	return rec.payload[0];
}

static void assert_empty(void)
{
	struct trace_record rec;
	uint64_t lost = 99;

	assert_int_equal(trace_reader_next(&r, &rec, &lost), 0);
	assert_int_equal(lost, 0);
}

static void test_init_rejects_bad_geometry(void **st)
{
	(void)st;
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), 6, 0,
					   TRACE_MODE_OVERWRITE, NULL), VMK_EINVAL);
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), 1, 0,
					   TRACE_MODE_OVERWRITE, NULL), VMK_EINVAL);
	assert_int_equal(trace_writer_init(&w, ring_mem + 8, 2048, 8, 0,
					   TRACE_MODE_OVERWRITE, NULL), VMK_EINVAL);
	assert_int_equal(trace_writer_init(&w, ring_mem, trace_ring_bytes(8) - 1,
					   8, 0, TRACE_MODE_OVERWRITE, NULL), VMK_ERANGE);
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), 8, 0,
					   TRACE_MODE_DROP_NEW, NULL), VMK_EINVAL);
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), 8, 0,
					   (enum trace_mode)7, NULL), VMK_EINVAL);
}

static void test_reader_checks_header(void **st)
{
	struct trace_ring_hdr *h = (struct trace_ring_hdr *)ring_mem;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	h->version_major++;
	assert_int_equal(trace_reader_init(&r, ring_mem, sizeof(ring_mem), NULL),
			 VMK_EVERSION);
	h->version_major--;
	h->version_minor++;   /* newer minor than this reader: refuse */
	assert_int_equal(trace_reader_init(&r, ring_mem, sizeof(ring_mem), NULL),
			 VMK_EVERSION);
	h->version_minor--;
	assert_int_equal(trace_reader_init(&r, ring_mem, 100, NULL), VMK_ERANGE);
	h->magic = 0;
	assert_int_equal(trace_reader_init(&r, ring_mem, sizeof(ring_mem), NULL),
			 VMK_EINVAL);
}

static void test_disabled_event_writes_nothing(void **st)
{
	struct trace_record rec;
	struct trace_p_vm_exit ex;
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	trace_set_enabled(&w, TRACE_EV_BIT(TRACE_EV_VM_EXIT));
	trace_set_world(&w, 42);
	trace_world_switch(&w, 1, 2, TRACE_SW_YIELD);
	trace_vm_entry(&w, 1, 0x1000);
	assert_empty();
	trace_vm_exit(&w, 5, 0x7b, 0xffffffff81000000ull, 0x10, 0x20);
	assert_int_equal(trace_reader_next(&r, &rec, &lost), 1);
	assert_int_equal(rec.id, TRACE_EV_VM_EXIT);
	assert_int_equal(rec.world, 42);
	memcpy(&ex, rec.payload, sizeof(ex));
	assert_int_equal(ex.vcpu_id, 5);
	assert_int_equal(ex.exit_reason, 0x7b);
	assert_int_equal(ex.guest_rip, 0xffffffff81000000ull);
	assert_int_equal(ex.info1, 0x10);
	assert_int_equal(ex.info2, 0x20);
	assert_int_equal(lost, 0);
	assert_empty();
}

/* Reads the next record, checks its id, copies its payload into @p. */
static void next_payload(uint16_t id, void *p)
{
	struct trace_record rec;
	uint64_t lost;

	assert_int_equal(trace_reader_next(&r, &rec, &lost), 1);
	assert_int_equal(rec.id, id);
	memcpy(p, rec.payload, sizeof(rec.payload));
}

/* Every helper packs its arguments as the ABI struct of its event says. */
static void test_helpers_match_abi_structs(void **st)
{
	struct trace_p_world_switch ws;
	struct trace_p_vm_entry en;
	struct trace_p_hypercall hc;
	struct trace_p_irq_forward fw;
	struct trace_p_irq_inject ij;
	struct trace_p_sched sc;
	struct trace_p_io_req io;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	trace_world_switch(&w, 11, 12, TRACE_SW_PREEMPT);
	trace_vm_entry(&w, 3, 0xfff0);
	trace_hypercall(&w, 9, -5, 0xa0, 0xa1);
	trace_irq_forward(&w, 19, 0x41, 1);
	trace_irq_inject(&w, 2, 0xec);
	trace_sched(&w, 11, 12, TRACE_SW_WAKE, 4, 300000);
	trace_io_req(&w, TRACE_EV_STORPATH_REQ, 1, TRACE_IO_WRITE, 4096, 77, 0xc0);
	next_payload(TRACE_EV_WORLD_SWITCH, &ws);
	assert_true(ws.prev_world == 11 && ws.next_world == 12 &&
		    ws.reason == TRACE_SW_PREEMPT);
	next_payload(TRACE_EV_VM_ENTRY, &en);
	assert_true(en.vcpu_id == 3 && en.guest_rip == 0xfff0);
	next_payload(TRACE_EV_HYPERCALL, &hc);
	assert_true(hc.nr == 9 && hc.ret == -5 && hc.arg0 == 0xa0 && hc.arg1 == 0xa1);
	next_payload(TRACE_EV_IRQ_FORWARD, &fw);
	assert_true(fw.irq == 19 && fw.vector == 0x41 && fw.masked == 1);
	next_payload(TRACE_EV_IRQ_INJECT, &ij);
	assert_true(ij.vcpu_id == 2 && ij.vector == 0xec);
	next_payload(TRACE_EV_SCHED, &sc);
	assert_true(sc.prev_world == 11 && sc.next_world == 12 &&
		    sc.reason == TRACE_SW_WAKE && sc.runnable == 4 &&
		    sc.slice_tsc == 300000);
	next_payload(TRACE_EV_STORPATH_REQ, &io);
	assert_true(io.queue == 1 && io.op == TRACE_IO_WRITE && io.len == 4096 &&
		    io.addr == 77 && io.cookie == 0xc0);
	assert_empty();
}

static void test_wrap_reader_keeping_up(void **st)
{
	uint64_t lost, v = 0;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	for (unsigned round = 0; round < 10; round++) {
		for (unsigned i = 0; i < 5; i++)
			put(next_val);
		for (unsigned i = 0; i < 5; i++) {
			assert_int_equal(get(&lost), v++);
			assert_int_equal(lost, 0);
		}
		assert_empty();
	}
	assert_int_equal(r.delivered, 50);
	assert_int_equal(r.overwritten, 0);
}

static void test_overwrite_oldest(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	for (unsigned i = 0; i < 3 * SLOTS + 2; i++)
		put(next_val);
	/* The newest SLOTS survive; everything before is lost, reported once,
	 * in front of the first survivor. */
	assert_int_equal(get(&lost), 2 * SLOTS + 2);
	assert_int_equal(lost, 2 * SLOTS + 2);
	for (unsigned i = 1; i < SLOTS; i++) {
		assert_int_equal(get(&lost), 2 * SLOTS + 2 + i);
		assert_int_equal(lost, 0);
	}
	assert_empty();
	assert_int_equal(trace_reader_take_lost(&r), 0);
	assert_int_equal(r.delivered + r.overwritten, trace_reader_written(&r));
}

static void test_lapped_during_copy_is_lost(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	for (unsigned i = 0; i < 4; i++)
		put(next_val);
	assert_int_equal(get(&lost), 0);
	/* While the reader copies record 1, the writer writes SLOTS more:
	 * record 1's slot now holds record 9, so the copy is torn. */
	hook_armed = 1;
	lap_by = SLOTS;
	assert_int_equal(get(&lost), 4);
	assert_int_equal(lost, 3);   /* 1 torn, 2 and 3 overwritten */
	for (uint64_t v = 5; v < 12; v++) {
		assert_int_equal(get(&lost), v);
		assert_int_equal(lost, 0);
	}
	assert_empty();
	assert_int_equal(r.delivered + r.overwritten, 12);
	assert_int_equal(trace_reader_written(&r), 12);
}

static void test_slot_rewritten_mid_copy_by_one(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_OVERWRITE);
	for (unsigned i = 0; i < SLOTS; i++)
		put(next_val);
	/* Ring full; one more write during the copy of record 0 reuses
	 * exactly its slot. */
	hook_armed = 1;
	lap_by = 1;
	assert_int_equal(get(&lost), 1);
	assert_int_equal(lost, 1);
	assert_int_equal(r.overwritten, 1);
}

static void test_drop_new_counts_and_places(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_DROP_NEW);
	for (unsigned i = 0; i < SLOTS + 4; i++)
		put(next_val);   /* 8 kept (0..7), 4 refused (8..11) */
	for (unsigned i = 0; i < SLOTS; i++) {
		assert_int_equal(get(&lost), i);
		assert_int_equal(lost, 0);
	}
	assert_empty();
	put(next_val);           /* 12: written, carries the 4 drops */
	assert_int_equal(get(&lost), 12);
	assert_int_equal(lost, 4);
	assert_int_equal(trace_reader_take_lost(&r), 0);
	assert_int_equal(r.delivered + 4, trace_reader_written(&r));
}

static void test_drop_new_lost_after_last(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_DROP_NEW);
	for (unsigned i = 0; i < SLOTS + 3; i++)
		put(next_val);
	for (unsigned i = 0; i < SLOTS; i++)
		get(&lost);
	assert_empty();
	assert_int_equal(trace_reader_take_lost(&r), 3);
	assert_int_equal(trace_reader_take_lost(&r), 0);   /* reported once */
	put(next_val);           /* its dropped_total (3) is already counted */
	assert_int_equal(get(&lost), SLOTS + 3);
	assert_int_equal(lost, 0);
}

static void test_drop_new_frees_on_read(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_DROP_NEW);
	for (unsigned i = 0; i < SLOTS; i++)
		put(next_val);
	for (unsigned i = 0; i < 3; i++)
		get(&lost);
	assert_int_equal(cons.tail, 3);
	for (unsigned i = 0; i < 5; i++)
		put(next_val);   /* 8..10 fit, 11 and 12 refused */
	for (uint64_t v = 3; v < 11; v++) {
		assert_int_equal(get(&lost), v);
		assert_int_equal(lost, 0);
	}
	assert_int_equal(trace_reader_take_lost(&r), 2);
	assert_int_equal(trace_reader_written(&r), 13);
}

/* A new session with the reader's tail left from the previous one: the
 * writer numbers records from that tail, so the ring is empty, not full. */
static void test_new_session_with_stale_tail(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_DROP_NEW);
	for (unsigned i = 0; i < 5; i++)
		put(next_val);
	for (unsigned i = 0; i < 5; i++)
		get(&lost);
	assert_int_equal(cons.tail, 5);
	assert_int_equal(trace_writer_init(&w, ring_mem, sizeof(ring_mem), SLOTS,
					   3, TRACE_MODE_DROP_NEW, &cons), 0);
	trace_set_enabled(&w, TRACE_EV_ALL);
	assert_int_equal(trace_reader_init(&r, ring_mem, sizeof(ring_mem), &cons), 0);
	next_val = 100;
	for (unsigned i = 0; i < SLOTS; i++)
		put(next_val);
	for (uint64_t v = 100; v < 100 + SLOTS; v++) {
		assert_int_equal(get(&lost), v);
		assert_int_equal(lost, 0);
	}
	assert_int_equal(trace_reader_take_lost(&r), 0);
	assert_int_equal(trace_reader_written(&r), SLOTS);
}

/* Drops taken from the header while records before them are unread would
 * be reported too early; they must wait for their records. */
static void test_take_lost_waits_for_unread(void **st)
{
	uint64_t lost;

	(void)st;
	setup_mode(TRACE_MODE_DROP_NEW);
	for (unsigned i = 0; i < SLOTS + 2; i++)
		put(next_val);           /* 0..7 kept, 8 and 9 refused */
	assert_int_equal(trace_reader_take_lost(&r), 0);
	for (unsigned i = 0; i < SLOTS; i++) {
		assert_int_equal(get(&lost), i);
		assert_int_equal(lost, 0);
	}
	assert_int_equal(trace_reader_take_lost(&r), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_geometry),
		cmocka_unit_test(test_reader_checks_header),
		cmocka_unit_test(test_disabled_event_writes_nothing),
		cmocka_unit_test(test_helpers_match_abi_structs),
		cmocka_unit_test(test_wrap_reader_keeping_up),
		cmocka_unit_test(test_overwrite_oldest),
		cmocka_unit_test(test_lapped_during_copy_is_lost),
		cmocka_unit_test(test_slot_rewritten_mid_copy_by_one),
		cmocka_unit_test(test_drop_new_counts_and_places),
		cmocka_unit_test(test_drop_new_lost_after_last),
		cmocka_unit_test(test_drop_new_frees_on_read),
		cmocka_unit_test(test_new_session_with_stale_tail),
		cmocka_unit_test(test_take_lost_waits_for_unread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
