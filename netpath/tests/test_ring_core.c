/* ring_core on its own: indices, wrap-around, full/empty, batches,
 * notification suppression and corrupt peer indices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmk/err.h>

#include "ring_core.h"

#define SLOTS 16u
#define SLOT 8u

struct pair {
	void *mem;
	struct ring p;   /* producer */
	struct ring c;   /* consumer */
};

static struct pair *pair_new(void)
{
	struct pair *x = calloc(1, sizeof(*x));
	size_t len = ring_mem_size(SLOTS, SLOT);
	x->mem = aligned_alloc(64, len);
	assert_int_equal(ring_format(x->mem, len, SLOTS, SLOT), VMK_OK);
	assert_int_equal(ring_attach_producer(&x->p, x->mem, len, SLOTS, SLOT), VMK_OK);
	assert_int_equal(ring_attach_consumer(&x->c, x->mem, len, SLOTS, SLOT), VMK_OK);
	return x;
}

static void pair_free(struct pair *x)
{
	free(x->mem);
	free(x);
}

/* Put both sides (and the shared header) at index @at, as if that many
 * slots had already gone round. */
static void pair_jump(struct pair *x, uint32_t at)
{
	x->p.head = x->p.tail = x->p.peer = at;
	x->c.head = x->c.tail = x->c.peer = at;
	struct ring_shared *sh = x->mem;
	sh->prod = sh->cons = at;
	sh->cons_wake = at + 1;
	sh->prod_wake = at;
}

static uint32_t produce(struct pair *x, uint32_t n, uint64_t first, bool *bell)
{
	uint32_t space = ring_prod_space(&x->p);
	if (n > space)
		n = space;
	for (uint32_t i = 0; i < n; i++)
		*(uint64_t *)ring_prod_slot(&x->p, i) = first + i;
	bool b = ring_prod_publish(&x->p, n);
	if (bell)
		*bell = b;
	return n;
}

static uint32_t consume(struct pair *x, uint32_t max, uint64_t *expect)
{
	uint32_t n = ring_cons_poll(&x->c);
	if (n > max)
		n = max;
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(*(uint64_t *)ring_cons_slot(&x->c, i), (*expect)++);
	ring_cons_consume(&x->c, n);
	ring_cons_release(&x->c, n);
	return n;
}

static void reclaim_all(struct pair *x)
{
	ring_prod_reclaim(&x->p, ring_prod_poll_done(&x->p));
}

static void test_geometry(void **state)
{
	(void)state;
	struct ring r;
	static _Alignas(64) uint8_t mem[4096];
	assert_int_equal(ring_attach_consumer(&r, mem, sizeof(mem), 0, SLOT), VMK_EINVAL);
	assert_int_equal(ring_attach_consumer(&r, mem, sizeof(mem), 12, SLOT), VMK_EINVAL);
	assert_int_equal(ring_attach_consumer(&r, mem, sizeof(mem), RING_MAX_SLOTS * 2, SLOT), VMK_EINVAL);
	assert_int_equal(ring_attach_consumer(&r, mem + 8, sizeof(mem) - 8, 16, SLOT), VMK_EINVAL);
	assert_int_equal(ring_attach_consumer(&r, mem, sizeof(mem), 16, 12), VMK_EINVAL);
	assert_int_equal(ring_attach_consumer(&r, mem, RING_SLOTS_OFFSET + 16 * 8 - 1, 16, SLOT), VMK_ERANGE);
	assert_int_equal(ring_attach_consumer(&r, mem, RING_SLOTS_OFFSET + 16 * 8, 16, SLOT), VMK_OK);
}

static void test_empty(void **state)
{
	(void)state;
	struct pair *x = pair_new();
	assert_int_equal(ring_cons_poll(&x->c), 0);
	assert_int_equal(ring_prod_poll_done(&x->p), 0);
	assert_int_equal(ring_prod_space(&x->p), SLOTS);
	assert_false(ring_cons_release(&x->c, 5));   /* nothing held: no-op */
	assert_int_equal(ring_cons_poll(&x->c), 0);
	assert_int_equal(x->c.bad_index + x->p.bad_index, 0);
	pair_free(x);
}

static void test_full(void **state)
{
	(void)state;
	struct pair *x = pair_new();
	uint64_t expect = 0;
	assert_int_equal(produce(x, SLOTS, 0, NULL), SLOTS);
	assert_int_equal(ring_prod_space(&x->p), 0);
	assert_int_equal(produce(x, 1, 99, NULL), 0);     /* full: nothing goes in */
	assert_int_equal(ring_cons_poll(&x->c), SLOTS);
	assert_int_equal(consume(x, 3, &expect), 3);
	assert_int_equal(ring_prod_space(&x->p), 0);      /* not reclaimed yet */
	reclaim_all(x);
	assert_int_equal(ring_prod_space(&x->p), 3);
	assert_int_equal(produce(x, 5, SLOTS, NULL), 3);
	assert_int_equal(consume(x, 100, &expect), SLOTS);
	assert_int_equal(expect, SLOTS + 3);
	pair_free(x);
}

/* Slot and 32-bit index wrap-around: start just below 2^32. */
static void test_wraparound(void **state)
{
	(void)state;
	struct pair *x = pair_new();
	pair_jump(x, UINT32_MAX - 20);
	uint64_t next = 0, expect = 0;
	for (int round = 0; round < 50; round++) {
		next += produce(x, 1 + round % 7, next, NULL);
		consume(x, 1 + round % 5, &expect);
		reclaim_all(x);
	}
	while (expect < next)
		consume(x, SLOTS, &expect);
	assert_true(x->c.head < 1000);                     /* really wrapped */
	assert_int_equal(x->c.bad_index + x->p.bad_index, 0);
	pair_free(x);
}

/* Asymmetric ordering: a counting stand-in for the remote fence, which
 * only an arm may call (publish and release take no barrier). */
static unsigned fences;

static void count_fence(void *ctx)
{
	(void)ctx;
	fences++;
}

static struct pair *pair_new_asym(void)
{
	struct pair *x = pair_new();
	ring_set_remote_fence(&x->p, count_fence, NULL);
	ring_set_remote_fence(&x->c, count_fence, NULL);
	fences = 0;
	return x;
}

/* One notification per batch, none while the consumer polls.  Three arms. */
static void batches_notify(struct pair *x)
{
	uint64_t expect = 0;
	bool bell;
	produce(x, 8, 0, &bell);
	assert_true(bell);                  /* armed from the start */
	produce(x, 4, 8, &bell);
	assert_false(bell);                 /* consumer has not re-armed */
	consume(x, 12, &expect);
	reclaim_all(x);
	assert_true(ring_cons_arm(&x->c, 1));   /* empty: may sleep */
	produce(x, 8, 12, &bell);
	assert_true(bell);
	produce(x, 1, 20, &bell);
	assert_false(bell);
	/* Coalescing: ask only once 4 more are there. */
	consume(x, 100, &expect);
	reclaim_all(x);
	assert_true(ring_cons_arm(&x->c, 4));
	produce(x, 3, 21, &bell);
	assert_false(bell);
	produce(x, 1, 24, &bell);
	assert_true(bell);
	/* Arming when work is already there says "don't sleep". */
	assert_false(ring_cons_arm(&x->c, 1));
	pair_free(x);
}

static void test_batches_notify(void **state)
{
	(void)state;
	batches_notify(pair_new());
}

/* The same notifications with asymmetric ordering; one fence per arm. */
static void test_batches_notify_asym(void **state)
{
	(void)state;
	batches_notify(pair_new_asym());
	assert_int_equal(fences, 3);
}

/* Two producer arms. */
static void producer_wake(struct pair *x)
{
	produce(x, 6, 0, NULL);
	assert_true(ring_prod_arm(&x->p, 1));       /* nothing released yet */
	ring_cons_poll(&x->c);
	ring_cons_consume(&x->c, 6);
	assert_true(ring_cons_release(&x->c, 2));   /* crosses the wake index */
	assert_false(ring_cons_release(&x->c, 4));  /* not re-armed */
	assert_int_equal(ring_prod_poll_done(&x->p), 6);
	assert_false(ring_prod_arm(&x->p, 1) && ring_cons_poll(&x->c));
	pair_free(x);
}

static void test_producer_wake(void **state)
{
	(void)state;
	producer_wake(pair_new());
}

static void test_producer_wake_asym(void **state)
{
	(void)state;
	producer_wake(pair_new_asym());
	assert_int_equal(fences, 2);
}

/* A producer index beyond the ring or going backwards is rejected, and the
 * consumer reads nothing it was not legitimately given. */
static void test_corrupt_prod(void **state)
{
	(void)state;
	struct pair *x = pair_new();
	struct ring_shared *sh = x->mem;
	uint64_t expect = 0;
	produce(x, 4, 0, NULL);
	consume(x, 2, &expect);
	sh->prod = x->c.tail + SLOTS + 1;                 /* beyond the ring */
	assert_int_equal(ring_cons_poll(&x->c), 2);       /* last good snapshot */
	assert_int_equal(x->c.bad_index, 1);
	sh->prod = 0x80000000u;
	assert_int_equal(ring_cons_poll(&x->c), 2);
	sh->prod = 1;                                     /* behind what was read */
	assert_int_equal(ring_cons_poll(&x->c), 2);
	assert_int_equal(x->c.bad_index, 3);
	sh->prod = 4;                                     /* sane again: recovers */
	assert_int_equal(consume(x, 10, &expect), 2);
	assert_int_equal(expect, 4);
	pair_free(x);
}

static void test_corrupt_cons(void **state)
{
	(void)state;
	struct pair *x = pair_new();
	struct ring_shared *sh = x->mem;
	produce(x, 4, 0, NULL);
	sh->cons = 9;                                     /* releases unpublished slots */
	assert_int_equal(ring_prod_poll_done(&x->p), 0);
	assert_int_equal(x->p.bad_index, 1);
	sh->cons = 3;
	assert_int_equal(ring_prod_poll_done(&x->p), 3);
	sh->cons = 2;                                     /* goes backwards */
	assert_int_equal(ring_prod_poll_done(&x->p), 3);
	assert_int_equal(x->p.bad_index, 2);
	ring_prod_reclaim(&x->p, 100);                    /* clamped to what is done */
	assert_int_equal(ring_prod_space(&x->p), SLOTS - 1);
	pair_free(x);
}

static void test_wake_crossed(void **state)
{
	(void)state;
	assert_true(ring_wake_crossed(5, 8, 6));
	assert_true(ring_wake_crossed(5, 8, 8));
	assert_false(ring_wake_crossed(5, 8, 5));
	assert_false(ring_wake_crossed(5, 8, 9));
	assert_true(ring_wake_crossed(UINT32_MAX - 1, 2, 0));
	assert_false(ring_wake_crossed(7, 7, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_batches_notify),
		cmocka_unit_test(test_batches_notify_asym),
		cmocka_unit_test(test_producer_wake),
		cmocka_unit_test(test_producer_wake_asym),
		cmocka_unit_test(test_corrupt_prod),
		cmocka_unit_test(test_corrupt_cons),
		cmocka_unit_test(test_wake_crossed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
