/* Scheduler policy tests: a synthetic clock drives the policy (see
 * sched_harness.h); no test reads a real clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include "sched_harness.h"

#define MS 1000000ull
#define SEC (1000 * MS)
#define PPM SCHED_CPU_PPM
#define CPU(n) ((uint64_t)1 << (n))

static struct harness *new_h(uint32_t ncpus)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	assert_int_equal(h_init(h, ncpus, NULL), VMK_OK);
	return h;
}

static uint32_t ent(struct harness *h, int32_t id)
{
	struct sched_world_info wi;
	assert_int_equal(sched_world_info(&h->s, id, &wi), VMK_OK);
	return wi.entitlement_ppm;
}

static uint32_t cpu_of(struct harness *h, int32_t id)
{
	struct sched_world_info wi;
	assert_int_equal(sched_world_info(&h->s, id, &wi), VMK_OK);
	return wi.cpu;
}

/* The lab criterion: within 5% of the entitlement. */
static void assert_within(struct harness *h, int32_t id, double tol)
{
	double e = h_error(h, id);
	if (e > tol || e < -tol)
		fail_msg("world %d: received %llu ns, entitled %llu ns (%.2f%%)", id,
			 (unsigned long long)h->received[id],
			 (unsigned long long)h->entitled[id], e * 100);
}

static void test_shares_one_cpu(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	for (int32_t i = 0; i < 4; i++)
		assert_int_equal(h_add(h, i, 1000 * (i + 1), 0, PPM, CPU(0)), VMK_OK);
	for (int32_t i = 0; i < 4; i++)
		assert_int_equal(ent(h, i), 100000 * (i + 1));
	assert_int_equal(h_run(h, 10 * SEC), 0);
	for (int32_t i = 0; i < 4; i++)
		assert_within(h, i, 0.05);
	assert_true(h->idle_ns[0] == 0);
	free(h);
}

static void test_shares_uneven_many(void **st)
{
	(void)st;
	static const uint32_t shares[] = { 100, 250, 500, 1000, 1500, 2000, 4000, 650 };
	struct harness *h = new_h(1);
	for (int32_t i = 0; i < 8; i++)
		assert_int_equal(h_add(h, i, shares[i], 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_run(h, 20 * SEC), 0);
	for (int32_t i = 0; i < 8; i++)
		assert_within(h, i, 0.05);
	free(h);
}

/* A world with few shares but a 40% reservation gets its 40% against two
 * heavy competitors, who split the rest by shares. */
static void test_reservation_under_contention(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 100, 400000, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 2, 2000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(ent(h, 0), 400000);
	assert_int_equal(ent(h, 1), 200000);
	assert_int_equal(ent(h, 2), 400000);
	assert_int_equal(h_run(h, 10 * SEC), 0);
	for (int32_t i = 0; i < 3; i++)
		assert_within(h, i, 0.05);
	assert_true(h->received[0] >= 38 * SEC / 10);
	free(h);
}

/* Alone on an otherwise idle CPU, a 30% limit still holds. */
static void test_limit_caps_on_idle_cpu(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 1000, 0, 300000, CPU(0)), VMK_OK);
	assert_int_equal(ent(h, 0), 300000);
	assert_int_equal(h_run(h, 10 * SEC), 0);
	assert_within(h, 0, 0.05);
	assert_true(h->received[0] <= 3 * SEC + 30 * MS);   /* + one banked burst */
	assert_true(h->idle_ns[0] >= 7 * SEC - 30 * MS);
	free(h);
}

/* The limit binds under contention too; the other world takes the rest. */
static void test_limit_with_competitor(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 3000, 0, 200000, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(ent(h, 0), 200000);
	assert_int_equal(ent(h, 1), 800000);
	assert_int_equal(h_run(h, 10 * SEC), 0);
	assert_within(h, 0, 0.05);
	assert_within(h, 1, 0.05);
	assert_true(h->idle_ns[0] == 0);
	free(h);
}

/* Blocked: nothing.  Woken: back to its share at once, no catch-up burst. */
static void test_block_wake_bounded_lag(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_run(h, 2 * SEC), 0);
	assert_int_equal(h_block(h, 1), VMK_OK);
	assert_int_equal(ent(h, 1), 0);
	assert_int_equal(ent(h, 0), PPM);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 5 * SEC), 0);
	assert_int_equal(h->received[1], 0);
	assert_int_equal(h->received[0], 3 * SEC);
	assert_int_equal(h_wake(h, 1), VMK_OK);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 5 * SEC + 100 * MS), 0);
	/* Half of 100 ms, plus at most one slice and one tick of lag. */
	assert_true(h->received[1] <= 50 * MS + 11 * MS);
	assert_true(h->received[1] >= 50 * MS - 11 * MS);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 7 * SEC), 0);
	assert_within(h, 0, 0.05);
	assert_within(h, 1, 0.05);
	free(h);
}

/* A world that blocks and wakes often (an I/O-bound VM) is never idle-time
 * starved nor allowed to catch up: over each wake cycle it is off its
 * entitlement by at most one slice (SFQ's bound), the CPU never idles while
 * work waits, and over cycles long against a slice it is within 5%. */
static void frequent_blocking(uint64_t per, unsigned cycles, double tol)
{
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, PPM, CPU(0)), VMK_OK);
	uint64_t t = 0;
	for (unsigned i = 0; i < 2 * cycles; i++) {
		uint64_t r0 = h->received[1], e0 = h->entitled[1];
		t += per;
		assert_int_equal(h_run(h, t), 0);
		int64_t off = (int64_t)(h->received[1] - r0) - (int64_t)(h->entitled[1] - e0);
		assert_true(off <= 10 * (int64_t)MS && off >= -10 * (int64_t)MS);
		assert_int_equal(i % 2 ? h_wake(h, 1) : h_block(h, 1), VMK_OK);
	}
	assert_int_equal(h->idle_ns[0], 0);
	assert_int_equal(h->received[0] + h->received[1], t);
	if (tol > 0)
		for (int32_t i = 0; i < 2; i++)
			assert_within(h, i, tol);
	free(h);
}

static void test_frequent_blocking(void **st)
{
	(void)st;
	frequent_blocking(7 * MS, 300, 0);
	frequent_blocking(13 * MS, 300, 0);
	frequent_blocking(50 * MS, 100, 0);
	frequent_blocking(500 * MS, 10, 0.05);
}

/* Blocked worlds' shares and reservations go to the others. */
static void test_idle_redistributed(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	assert_int_equal(h_add(h, 0, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, 700000, CPU(0)), VMK_OK);
	assert_int_equal(h_add(h, 2, 2000, 500000, PPM, CPU(0)), VMK_OK);
	assert_int_equal(ent(h, 2), 500000);
	assert_int_equal(h_block(h, 2), VMK_OK);
	assert_int_equal(ent(h, 0), 500000);
	assert_int_equal(ent(h, 1), 500000);
	assert_int_equal(h_run(h, 5 * SEC), 0);
	assert_within(h, 0, 0.05);
	assert_within(h, 1, 0.05);
	assert_int_equal(h->received[2], 0);
	assert_int_equal(h->idle_ns[0], 0);
	/* A limited world cannot take the idle time: the other one does. */
	struct sched_params p = { 1000, 0, 200000 };
	assert_int_equal(sched_set_params(&h->s, 1, &p), VMK_OK);
	assert_int_equal(ent(h, 0), 800000);
	assert_int_equal(ent(h, 1), 200000);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 10 * SEC), 0);
	assert_within(h, 0, 0.05);
	assert_within(h, 1, 0.05);
	free(h);
}

/* Four worlds start pinned to CPU 0; three are then let go.  Balancing
 * moves two of them to CPU 1 and never the pinned one. */
static void test_migration_balances_two_cpus(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	h->balance_ns = 100 * MS;
	for (int32_t i = 0; i < 4; i++)
		assert_int_equal(h_add(h, i, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(h_run(h, 1 * SEC), 0);
	assert_int_equal(h->idle_ns[1], 1 * SEC);
	for (int32_t i = 1; i < 4; i++)
		assert_int_equal(sched_set_affinity(&h->s, i, CPU(0) | CPU(1)), VMK_OK);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 6 * SEC), 0);
	assert_int_equal(cpu_of(h, 0), 0);
	assert_int_equal(h->per_cpu[0][1], 0);
	unsigned on1 = 0;
	for (int32_t i = 1; i < 4; i++)
		on1 += cpu_of(h, i);
	assert_int_equal(on1, 2);
	assert_true(h->migrations >= 2 && h->migrations <= 3);
	assert_true(h->idle_ns[1] <= 200 * MS);   /* one balance period at most */
	h_reset_counters(h);
	assert_int_equal(h_run(h, 11 * SEC), 0);
	assert_int_equal(h->migrations, 0);        /* balanced: no ping-pong */
	for (int32_t i = 0; i < 4; i++)
		assert_within(h, i, 0.05);
	free(h);
}

/* A CPU added while two worlds share one: each then gets a whole CPU, and
 * the new CPU is idle for at most one balance period. */
static void test_cpu_added_while_scheduled(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	h->balance_ns = 100 * MS;
	for (int32_t i = 0; i < 2; i++)
		assert_int_equal(h_add(h, i, 1000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_run(h, 1 * SEC), 0);
	assert_int_equal(ent(h, 0), PPM / 2);
	assert_int_equal(sched_add_cpu(&h->s, h->now - 1), VMK_EINVAL);   /* backwards */
	assert_int_equal(sched_add_cpu(&h->s, h->now), 1);
	h->t[1] = h->now;
	h->ncpus = 2;
	assert_int_equal(ent(h, 0), PPM);
	assert_int_equal(ent(h, 1), PPM);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 3 * SEC), 0);
	assert_true(h->idle_ns[1] <= 100 * MS);
	assert_true(cpu_of(h, 0) != cpu_of(h, 1));
	for (int32_t i = 0; i < 2; i++)
		assert_within(h, i, 0.05);
	free(h);
}

/* Entitlements 1.0, 0.5, 0.5 pack exactly onto two CPUs. */
static void test_migration_packs_entitlements(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	h->balance_ns = 50 * MS;
	assert_int_equal(h_add(h, 0, 2000, 0, PPM, CPU(1)), VMK_OK);
	assert_int_equal(h_add(h, 1, 1000, 0, PPM, CPU(1)), VMK_OK);
	assert_int_equal(h_add(h, 2, 1000, 0, PPM, CPU(1)), VMK_OK);
	assert_int_equal(ent(h, 0), PPM);
	assert_int_equal(ent(h, 1), 500000);
	for (int32_t i = 0; i < 3; i++)
		assert_int_equal(sched_set_affinity(&h->s, i, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_run(h, 1 * SEC), 0);
	assert_int_not_equal(cpu_of(h, 0), cpu_of(h, 1));
	assert_int_equal(cpu_of(h, 1), cpu_of(h, 2));
	h_reset_counters(h);
	assert_int_equal(h_run(h, 11 * SEC), 0);
	for (int32_t i = 0; i < 3; i++)
		assert_within(h, i, 0.05);
	free(h);
}

/* Three (or five) equal worlds on two CPUs: no placement gives each its
 * 2/3 (2/5) of a CPU, so balancing rotates the shortfall between them. */
static void rotate(unsigned nworlds)
{
	struct harness *h = new_h(2);
	h->balance_ns = 100 * MS;
	for (int32_t i = 0; i < (int32_t)nworlds; i++)
		assert_int_equal(h_add(h, i, 1000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_run(h, 20 * SEC), 0);
	for (int32_t i = 0; i < (int32_t)nworlds; i++)
		assert_within(h, i, 0.05);
	assert_int_equal(h->idle_ns[0] + h->idle_ns[1], 0);
	free(h);
}

static void test_rotation_three_on_two(void **st)
{
	(void)st;
	rotate(3);
	rotate(5);
}

/* The lab test in miniature: VMs of different shares, one with a
 * reservation and one with a limit, on two CPUs, balanced periodically. */
static void test_lab_mix_two_cpus(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	h->balance_ns = 100 * MS;
	assert_int_equal(h_add(h, 0, 1000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_add(h, 1, 2000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_add(h, 2, 3000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(h_add(h, 3, 4000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(ent(h, 0), 200000);
	assert_int_equal(ent(h, 3), 800000);
	assert_int_equal(h_run(h, 20 * SEC), 0);
	for (int32_t i = 0; i < 4; i++)
		assert_within(h, i, 0.05);
	/* A reservation for the smallest, a limit for the largest: 0.35, 0.46,
	 * 0.69, 0.5, which no placement packs onto two CPUs, so stealing has
	 * to rotate them. */
	struct sched_params p0 = { 1000, 350000, PPM }, p3 = { 4000, 0, 500000 };
	assert_int_equal(sched_set_params(&h->s, 0, &p0), VMK_OK);
	assert_int_equal(sched_set_params(&h->s, 3, &p3), VMK_OK);
	assert_int_equal(ent(h, 0), 350000);   /* reservation over its 0.2 */
	assert_int_equal(ent(h, 3), 500000);   /* limit under its 0.8 */
	assert_int_equal(ent(h, 0) + ent(h, 1) + ent(h, 2) + ent(h, 3), 2 * PPM);
	h_reset_counters(h);
	assert_int_equal(h_run(h, 40 * SEC), 0);
	for (int32_t i = 0; i < 4; i++)
		assert_within(h, i, 0.05);
	free(h);
}

/* Random mixes of shares, reservations and limits on 1-4 CPUs (a fixed
 * seed: the same cases every run).  The 5% criterion holds in nearly all;
 * the rare miss is a heavy world beside reserved ones on two CPUs (README). */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static double random_case(uint32_t *seed)
{
	static const uint32_t shares[] = { 500, 1000, 1000, 2000, 3000, 4000 };
	uint32_t ncpus = 1 + lcg(seed) % 4, n = ncpus + 1 + lcg(seed) % (2 * ncpus);
	struct harness *h = new_h(ncpus);
	uint64_t caps = 0;
	h->balance_ns = 100 * MS;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = lcg(seed) % 5 == 0 ? 100000 * (1 + lcg(seed) % 3) : 0;
		uint32_t l = lcg(seed) % 5 == 0 ? 300000 + 200000 * (lcg(seed) % 3) : PPM;
		int err = h_add(h, (int32_t)i, shares[lcg(seed) % 6], r < l ? r : l, l,
				SCHED_AFFINITY_ALL);
		assert_true(err == VMK_OK || err == VMK_ERANGE);
		caps += err == VMK_OK ? l : 0;
	}
	assert_int_equal(h_run(h, 20 * SEC), 0);
	double worst = 0;
	for (int32_t i = 0; i < (int32_t)n; i++) {
		struct sched_world_info wi;
		if (sched_world_info(&h->s, i, &wi) == VMK_OK)
			worst = fmax(worst, fabs(h_error(h, i)));
	}
	/* All are CPU-bound: no CPU idles unless the limits leave it idle. */
	for (uint32_t c = 0; c < ncpus && caps >= (uint64_t)ncpus * PPM * 3 / 2; c++)
		assert_true(h->idle_ns[c] <= 2 * MS);
	free(h);
	return worst;
}

static void test_random_mixes(void **st)
{
	(void)st;
	uint32_t seed = 42, within = 0;
	double worst = 0;
	for (int i = 0; i < 40; i++) {
		double e = random_case(&seed);
		within += e <= 0.05;
		worst = fmax(worst, e);
	}
	print_message("random mixes: %u of 40 within 5%%, worst %.1f%%\n", within, worst * 100);
	assert_true(within >= 37);
	assert_true(worst <= 0.25);
}

/* An idle CPU takes a world waiting on a busy one, and the busy one, when it
 * picks, names the idle CPU to kick. */
static void test_idle_cpu_steals(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	for (int32_t i = 0; i < 3; i++)
		assert_int_equal(sched_add_world(s, i, &p, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(cpu_of(h, 0), 0);
	assert_int_equal(cpu_of(h, 1), 1);
	assert_int_equal(cpu_of(h, 2), 0);
	for (int32_t i = 0; i < 3; i++)
		assert_int_equal(sched_wake(s, i, 0, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 1, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 1);
	assert_int_equal(pk.kick_cpu, SCHED_NONE);
	/* World 1 blocks: CPU 1 is idle while world 2 waits on CPU 0. */
	assert_int_equal(sched_block(s, 1, 1 * MS), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 1 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	assert_int_equal(pk.kick_cpu, 1);
	assert_int_equal(sched_tick(s, 1, 1 * MS), 1);
	assert_int_equal(sched_pick_next(s, 1, 1 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 2);
	assert_int_equal(cpu_of(h, 2), 1);
	free(h);
	/* Over time: three worlds, one blocking often, never an idle CPU while
	 * one waits. */
	h = new_h(2);
	for (int32_t i = 0; i < 3; i++)
		assert_int_equal(h_add(h, i, 1000, 0, PPM, SCHED_AFFINITY_ALL), VMK_OK);
	uint64_t t = 0;
	for (int i = 0; i < 100; i++) {
		t += 30 * MS;
		assert_int_equal(h_run(h, t), 0);
		assert_int_equal(i % 2 ? h_wake(h, 1) : h_block(h, 1), VMK_OK);
	}
	assert_int_equal(h->idle_ns[0] + h->idle_ns[1], 0);
	free(h);
}

/* A world waking on a busy CPU moves to an idle one it may use; blocking
 * twice is a no-op; lag is bounded (1 s) and shown in world_info. */
static void test_wake_moves_and_lag_bound(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	struct sched_world_info wi;
	assert_int_equal(h_add(h, 0, 1000, 0, PPM, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(&h->s, 1, &(struct sched_params){ 1000, 0, PPM },
					 SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(sched_set_affinity(&h->s, 1, CPU(0)), VMK_OK);
	assert_int_equal(sched_set_affinity(&h->s, 1, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(cpu_of(h, 1), 0);
	assert_int_equal(h_run(h, 10 * MS), 0);
	assert_int_equal(h_wake(h, 1), VMK_OK);
	assert_int_equal(cpu_of(h, 1), 1);
	assert_int_equal(h_block(h, 1), VMK_OK);
	struct sched before = h->s;
	assert_int_equal(sched_block(&h->s, 1, 10 * MS), VMK_OK);
	assert_memory_equal(&before, &h->s, sizeof(before));
	/* Two worlds pinned to CPU 0 are entitled to a CPU each and get half:
	 * their lag grows by 0.5 s per second until the 1 s bound. */
	assert_int_equal(sched_set_affinity(&h->s, 1, CPU(0)), VMK_OK);
	assert_int_equal(h_wake(h, 1), VMK_OK);
	assert_int_equal(h_run(h, 1 * SEC), 0);
	assert_int_equal(sched_world_info(&h->s, 0, &wi), VMK_OK);
	assert_true(wi.lag_ns > 400 * (int64_t)MS && wi.lag_ns < 600 * (int64_t)MS);
	assert_int_equal(h_run(h, 5 * SEC), 0);
	assert_int_equal(sched_world_info(&h->s, 0, &wi), VMK_OK);
	assert_true(wi.lag_ns >= 990 * (int64_t)MS && wi.lag_ns <= 1000 * (int64_t)MS);
	assert_int_equal(h->idle_ns[1], 5 * SEC);   /* affinity holds */
	free(h);
}

/* A wake-up on a busy CPU goes to an idle CPU the world may use, and that
 * CPU is the one to kick; a pinned world stays and kicks only if it must. */
static void test_wake_kick(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 0, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, 1, &p, CPU(0) | CPU(1)), VMK_OK);
	assert_int_equal(sched_add_world(s, 2, &p, CPU(0)), VMK_OK);
	assert_int_equal(cpu_of(h, 1), 1);        /* placed on the emptier CPU */
	assert_int_equal(sched_set_affinity(s, 1, CPU(0) | CPU(1)), VMK_OK);
	assert_int_equal(sched_wake(s, 0, 0, &kick), VMK_OK);
	assert_int_equal(kick, 0);
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	assert_int_equal(pk.slice_ns, 10 * MS);
	assert_int_equal(sched_wake(s, 1, 1 * MS, &kick), VMK_OK);
	assert_int_equal(kick, 1);
	assert_int_equal(sched_wake(s, 1, 1 * MS, &kick), VMK_OK);   /* again: no-op */
	assert_int_equal(kick, SCHED_NONE);
	/* World 2 wakes behind world 0 by less than the wake granularity. */
	assert_int_equal(sched_wake(s, 2, 1 * MS, &kick), VMK_OK);
	assert_int_equal(kick, SCHED_NONE);
	assert_int_equal(sched_tick(s, 0, 2 * MS), 0);
	assert_int_equal(sched_tick(s, 0, 10 * MS), 1);        /* slice over */
	assert_int_equal(sched_pick_next(s, 0, 10 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 2);
	/* Blocking the running world asks for a new pick. */
	assert_int_equal(sched_block(s, 2, 11 * MS), VMK_OK);
	assert_int_equal(sched_tick(s, 0, 11 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 11 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	/* World 2 now wakes well behind the running world 0: preempt. */
	assert_int_equal(sched_wake(s, 2, 20 * MS, &kick), VMK_OK);
	assert_int_equal(kick, 0);
	assert_int_equal(sched_tick(s, 0, 20 * MS), 1);
	free(h);
}

/* Scans stop at the highest slot in use (s->nslots): a world in a high slot
 * behind freed ones is still seen, the bound shrinks as the top slots free,
 * and a freed low slot is reused first. */
static void test_slot_bound(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(s->nslots, 0);
	for (int32_t id = 10; id < 13; id++)
		assert_int_equal(sched_add_world(s, id, &p, CPU(0)), VMK_OK);
	assert_int_equal(s->nslots, 3);
	assert_int_equal(sched_remove_world(s, 10), VMK_OK);
	assert_int_equal(sched_remove_world(s, 11), VMK_OK);
	assert_int_equal(s->nslots, 3);                 /* world 12 is in slot 2 */
	assert_int_equal(sched_add_world(s, 12, &p, CPU(0)), VMK_EBUSY);   /* found */
	assert_int_equal(sched_wake(s, 12, 0, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 12);
	assert_int_equal(sched_block(s, 12, 1 * MS), VMK_OK);
	assert_int_equal(sched_tick(s, 0, 1 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 1 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, SCHED_NONE);
	assert_int_equal(sched_add_world(s, 13, &p, CPU(0)), VMK_OK);   /* slot 0 */
	assert_int_equal(s->nslots, 3);
	assert_int_equal(sched_remove_world(s, 12), VMK_OK);
	assert_int_equal(s->nslots, 1);
	assert_int_equal(sched_remove_world(s, 13), VMK_OK);
	assert_int_equal(s->nslots, 0);
	free(h);
}

/* An idle CPU whose only world is out of limit credit says when to look
 * again, so the vmkernel can arm its timer instead of polling. */
static void test_idle_hint(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, 100000 };   /* 10%: banks 10 ms */
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 7, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_wake(s, 7, 0, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 7);
	assert_int_equal(pk.slice_ns, 500000);          /* its start credit */
	assert_int_equal(sched_tick(s, 0, 500000), 1);
	assert_int_equal(sched_pick_next(s, 0, 500000, &pk), VMK_OK);
	assert_int_equal(pk.world, SCHED_NONE);
	/* Has 0.05 ms, needs 0.5 ms of credit at 10%: 4.5 ms of waiting. */
	assert_true(pk.slice_ns >= 4500000 && pk.slice_ns <= 4500010);
	uint64_t t = 500000 + pk.slice_ns;
	assert_int_equal(sched_tick(s, 0, t), 1);
	assert_int_equal(sched_pick_next(s, 0, t, &pk), VMK_OK);
	assert_int_equal(pk.world, 7);
	/* Nothing runnable at all: no hint, sleep until kicked. */
	assert_int_equal(sched_block(s, 7, t + 1), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, t + 1, &pk), VMK_OK);
	assert_int_equal(pk.world, SCHED_NONE);
	assert_int_equal(pk.slice_ns, 0);
	free(h);
}

static void test_admission_control(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	struct sched *s = &h->s;
	struct sched_params big = { 1000, 600000, PPM }, half = { 1000, 500000, PPM };
	assert_int_equal(sched_add_world(s, 0, &big, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, 1, &half, CPU(0)), VMK_ERANGE);
	assert_int_equal(sched_add_world(s, 1, &half, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(cpu_of(h, 1), 1);
	assert_int_equal(sched_add_world(s, 2, &half, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(cpu_of(h, 2), 1);
	assert_int_equal(sched_add_world(s, 3, &half, SCHED_AFFINITY_ALL), VMK_ERANGE);
	/* Raising a reservation past its CPU's capacity, or moving a reserved
	 * world where it does not fit, is refused too. */
	struct sched_params more = { 1000, 500000, PPM };
	assert_int_equal(sched_set_params(s, 0, &more), VMK_OK);
	assert_int_equal(sched_set_affinity(s, 1, CPU(0)), VMK_OK);   /* 0.5 + 0.5 fits */
	more.reservation_ppm = 500001;
	assert_int_equal(sched_set_params(s, 0, &more), VMK_ERANGE);
	assert_int_equal(sched_set_affinity(s, 2, CPU(0)), VMK_ERANGE);
	/* Removing a world returns its reservation. */
	assert_int_equal(sched_remove_world(s, 1), VMK_OK);
	assert_int_equal(sched_set_affinity(s, 2, CPU(0)), VMK_OK);
	free(h);
}

static void test_table_full(void **st)
{
	(void)st;
	struct harness *h = new_h(4);
	struct sched *s = &h->s;
	struct sched_params p = { 10, 0, PPM };
	for (int32_t i = 0; i < SCHED_MAX_WORLDS; i++)
		assert_int_equal(sched_add_world(s, 1000 + i, &p, SCHED_AFFINITY_ALL), VMK_OK);
	for (uint32_t c = 0; c < 4; c++)
		assert_int_equal(s->c[c].nworlds, SCHED_MAX_WORLDS / 4);
	struct sched before = *s;
	assert_int_equal(sched_add_world(s, 5, &p, SCHED_AFFINITY_ALL), VMK_ENOSPC);
	assert_memory_equal(&before, s, sizeof(before));
	assert_int_equal(sched_remove_world(s, 1000 + 17), VMK_OK);
	assert_int_equal(sched_add_world(s, 5, &p, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(sched_add_world(s, 6, &p, SCHED_AFFINITY_ALL), VMK_ENOSPC);
	/* All of them runnable at once: every world gets its share. */
	int32_t kick;
	for (int32_t i = 0; i < SCHED_MAX_WORLDS; i++)
		if (i != 17)
			assert_int_equal(sched_wake(s, 1000 + i, 0, &kick), VMK_OK);
	assert_int_equal(sched_wake(s, 5, 0, &kick), VMK_OK);
	assert_int_equal(ent(h, 5), 4 * PPM / SCHED_MAX_WORLDS);
	free(h);
}

/* Every bad input is refused with a clear code and leaves the state exactly
 * as it was (compared byte for byte). */
static void test_bad_inputs(void **st)
{
	(void)st;
	struct harness *h = new_h(2);
	struct sched *s = &h->s;
	struct sched_params ok = { 1000, 100000, 500000 };
	struct sched_pick pk;
	struct sched_migration m[2];
	uint32_t n;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 1, &ok, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(sched_add_world(s, 2, &ok, SCHED_AFFINITY_ALL), VMK_OK);
	assert_int_equal(sched_wake(s, 1, 5 * MS, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, cpu_of(h, 1), 5 * MS, &pk), VMK_OK);
	struct sched before = *s;
	struct sched_params zero_shares = { 0, 0, PPM }, many = { SCHED_MAX_SHARES + 1, 0, PPM },
		res_gt_lim = { 1000, 600000, 500000 }, zero_lim = { 1000, 0, 0 },
		over = { 1000, 0, PPM + 1 };
	const struct sched_params *bad[] = { NULL, &zero_shares, &many, &res_gt_lim,
					     &zero_lim, &over };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sched_add_world(s, 9, bad[i], SCHED_AFFINITY_ALL), VMK_EINVAL);
		assert_int_equal(sched_set_params(s, 2, bad[i]), VMK_EINVAL);
	}
	assert_int_equal(sched_add_world(s, -3, &ok, SCHED_AFFINITY_ALL), VMK_EINVAL);
	assert_int_equal(sched_add_world(s, 9, &ok, 0), VMK_EINVAL);
	assert_int_equal(sched_add_world(s, 9, &ok, CPU(5)), VMK_EINVAL);  /* offline */
	assert_int_equal(sched_add_world(s, 2, &ok, SCHED_AFFINITY_ALL), VMK_EBUSY);
	assert_int_equal(sched_add_world(NULL, 9, &ok, SCHED_AFFINITY_ALL), VMK_EINVAL);
	assert_int_equal(sched_remove_world(s, 9), VMK_ENOENT);
	assert_int_equal(sched_remove_world(s, -1), VMK_EINVAL);
	assert_int_equal(sched_remove_world(s, 1), VMK_EBUSY);          /* running */
	assert_int_equal(sched_set_params(s, 9, &ok), VMK_ENOENT);
	assert_int_equal(sched_set_affinity(s, 9, CPU(0)), VMK_ENOENT);
	assert_int_equal(sched_set_affinity(s, 2, CPU(7)), VMK_EINVAL);
	uint32_t other = 1 - cpu_of(h, 1);
	assert_int_equal(sched_set_affinity(s, 1, CPU(other)), VMK_EBUSY);
	assert_int_equal(sched_wake(s, 9, 6 * MS, &kick), VMK_ENOENT);
	assert_int_equal(sched_wake(s, 2, 6 * MS, NULL), VMK_EINVAL);
	assert_int_equal(sched_wake(s, -2, 6 * MS, &kick), VMK_EINVAL);
	assert_int_equal(sched_block(s, 9, 6 * MS), VMK_ENOENT);
	assert_int_equal(sched_block(s, 1, 4 * MS), VMK_EINVAL);       /* time went back */
	assert_int_equal(sched_tick(s, 2, 6 * MS), VMK_EINVAL);        /* no such CPU */
	assert_int_equal(sched_tick(s, cpu_of(h, 1), 4 * MS), VMK_EINVAL);
	assert_int_equal(sched_tick(NULL, 0, 6 * MS), VMK_EINVAL);
	assert_int_equal(sched_pick_next(s, 0, 6 * MS, NULL), VMK_EINVAL);
	assert_int_equal(sched_pick_next(s, 64, 6 * MS, &pk), VMK_EINVAL);
	assert_int_equal(sched_pick_next(s, cpu_of(h, 1), 4 * MS, &pk), VMK_EINVAL);
	assert_int_equal(sched_balance(s, 6 * MS, NULL, 2, &n), VMK_EINVAL);
	assert_int_equal(sched_balance(s, 6 * MS, m, 2, NULL), VMK_EINVAL);
	assert_int_equal(sched_world_info(s, 9, &(struct sched_world_info){0}), VMK_ENOENT);
	assert_int_equal(sched_world_info(s, 1, NULL), VMK_EINVAL);
	assert_memory_equal(&before, s, sizeof(before));

	struct sched_config cfg;
	sched_config_default(&cfg, 0);
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	sched_config_default(&cfg, SCHED_MAX_CPUS + 1);
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	sched_config_default(&cfg, 2);
	cfg.min_slice_ns = cfg.slice_ns + 1;
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	sched_config_default(&cfg, 2);
	cfg.limit_period_ns = cfg.slice_ns - 1;
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	assert_int_equal(sched_init(s, NULL), VMK_EINVAL);
	assert_memory_equal(&before, s, sizeof(before));
	free(h);
}

/* ---- co-scheduling ------------------------------------------------------ */

#define BOUND (3 * MS)          /* sched_config_default()'s cosched_skew_ns */
#define SLICE (10 * MS)
#define VM1(i) (8 + (i))        /* the vmkernel's VM_SID(1, i) */
#define VM2 16

static unsigned unyielding[SCHED_MAX_CPUS];   /* check_costopped_fill_idle() */

static struct harness *new_co(uint32_t ncpus, uint32_t mode)
{
	struct sched_config cfg;
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	sched_config_default(&cfg, ncpus);
	assert_int_equal(cfg.cosched, SCHED_COSCHED_NONE);   /* the default */
	assert_int_equal(cfg.cosched_skew_ns, BOUND);
	cfg.cosched = mode;
	assert_int_equal(h_init(h, ncpus, &cfg), VMK_OK);
	memset(unyielding, 0, sizeof(unyielding));
	return h;
}

/* Added, put in its group while still blocked (as the vmkernel should), woken. */
static void add_sib(struct harness *h, int32_t id, int32_t group, uint32_t shares,
		    uint64_t affinity)
{
	struct sched_params p = { shares, 0, PPM };
	assert_int_equal(sched_add_world(&h->s, id, &p, affinity), VMK_OK);
	assert_int_equal(sched_set_group(&h->s, id, group), VMK_OK);
	assert_int_equal(h_wake(h, id), VMK_OK);
}

static struct sched_world_info info(struct harness *h, int32_t id)
{
	struct sched_world_info wi;
	assert_int_equal(sched_world_info(&h->s, id, &wi), VMK_OK);
	return wi;
}

/* A co-stopped world runs only where nothing else could: if one runs on a
 * CPU that has not been told to pick again while a world that is not
 * co-stopped waits and may run there (no limits or reservations in these
 * tests), that CPU must give way at its next tick.  (At one check the CPU
 * may not have seen it yet: another CPU's pick at the same instant made it
 * ready.)  Checked between ticks, for every CPU. */
static void check_costopped_fill_idle(struct harness *h)
{
	for (uint32_t c = 0; c < h->ncpus; c++) {
		bool other = false;
		if (h->cur[c] == SCHED_NONE || !info(h, h->cur[c]).costopped || h->need_pick[c]) {
			unyielding[c] = 0;
			continue;
		}
		for (int32_t id = 0; id < H_MAX_ID && !other; id++) {
			struct sched_world_info wi;
			other = sched_world_info(&h->s, id, &wi) == VMK_OK &&
				wi.state == SCHED_READY && !wi.costopped && (wi.affinity >> c & 1);
		}
		unyielding[c] = other ? unyielding[c] + 1 : 0;
		assert_true(unyielding[c] <= 1);
	}
}

/* The harness's own view of the skew of a group that never blocks: a
 * member's lead over its slowest sibling is exactly the CPU time it got
 * more (skew only grows while one waits and a sibling runs).  Also checks
 * that the policy never co-stops a whole group. */
static uint64_t spread(struct harness *h, int32_t first, int n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	bool free_one = false;
	for (int32_t id = first; id < first + n; id++) {
		lo = h->received[id] < lo ? h->received[id] : lo;
		hi = h->received[id] > hi ? h->received[id] : hi;
		free_one |= !info(h, id).costopped;
	}
	assert_true(free_one);
	check_costopped_fill_idle(h);
	return hi - lo;
}

static uint32_t costops(struct harness *h, int32_t first, int n)
{
	uint32_t sum = 0;
	for (int32_t id = first; id < first + n; id++)
		sum += info(h, id).costops;
	return sum;
}

/* A 3-vCPU VM and a 1-vCPU VM of twice a vCPU's shares on 2 CPUs
 * (entitlements 0.4, 0.4, 0.4 and 0.8, which no placement packs, so the
 * vCPU sharing a CPU with the big VM falls behind), balanced, 20 s, checked
 * every tick: RELAXED keeps every vCPU within bound + one slice of its
 * slowest sibling (the criterion; in fact within the bound plus less
 * than a min slice, see below), co-stopping as it goes, idles no CPU and
 * keeps both VMs' entitlements; NONE, the same run, lets them drift far
 * apart and never co-stops.  Returns the largest spread seen. */
static uint64_t three_plus_one(uint32_t mode, uint32_t *nco)
{
	struct harness *h = new_co(2, mode);
	h->balance_ns = 100 * MS;
	for (int32_t i = 0; i < 3; i++)
		add_sib(h, VM1(i), 1, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM2, 2, 2000, SCHED_AFFINITY_ALL);
	uint64_t worst = 0;
	for (uint64_t t = MS; t <= 20 * SEC; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		uint64_t sp = spread(h, VM1(0), 3);
		worst = sp > worst ? sp : worst;
		if (mode == SCHED_COSCHED_RELAXED) {
			assert_true(sp <= BOUND + SLICE);
			for (int32_t i = 0; i < 3; i++)
				assert_true(info(h, VM1(i)).lead_ns <= BOUND + MS);
		}
	}
	*nco = costops(h, VM1(0), 3);
	assert_int_equal(h->idle_ns[0] + h->idle_ns[1], 0);
	uint64_t vm1 = 0, costop_ns = 0;
	for (int32_t i = 0; i < 3; i++) {
		struct sched_world_info wi = info(h, VM1(i));
		vm1 += h->received[VM1(i)];
		assert_int_equal(wi.group, 1);
		assert_true(wi.lead_max_ns <= (mode ? BOUND + MS : worst));
		costop_ns += wi.costop_ns;
	}
	assert_true(mode ? costop_ns > 0 : costop_ns == 0);
	/* Co-stops move time between the VM's own vCPUs, not to the other VM:
	 * each VM keeps its entitlement (0.4 a vCPU and 0.8) within 5%. */
	assert_true(vm1 >= 24 * SEC * 95 / 100 && vm1 <= 24 * SEC * 105 / 100);
	assert_within(h, VM2, 0.05);
	print_message("%s: largest spread %.2f ms, %u co-stops, %llu migrations\n",
		      mode ? "relaxed" : "none", worst / 1e6, *nco,
		      (unsigned long long)h->migrations);
	free(h);
	return worst;
}

static void test_cosched_skew_bound(void **st)
{
	(void)st;
	uint32_t nco;
	/* Slices end when the lead would pass the bound: it is passed by
	 * less than a min slice (0.5 ms), not by a tick. */
	assert_true(three_plus_one(SCHED_COSCHED_RELAXED, &nco) <= BOUND + MS / 2);
	assert_true(nco > 0);
	assert_true(three_plus_one(SCHED_COSCHED_NONE, &nco) > BOUND + SLICE);
	assert_int_equal(nco, 0);
}

/* A halted vCPU holds nobody back: two vCPUs of a 3-vCPU VM on 2 CPUs
 * while the third is blocked get a whole CPU each and are never co-stopped.
 * A laggard that halts releases the siblings it held, and a vCPU that wakes
 * comes back level with its slowest sibling: it co-stops no one. */
static void test_cosched_halted_sibling(void **st)
{
	(void)st;
	struct harness *h = new_co(2, SCHED_COSCHED_RELAXED);
	for (int32_t i = 0; i < 3; i++)
		add_sib(h, VM1(i), 1, 1000, SCHED_AFFINITY_ALL);
	assert_int_equal(h_block(h, VM1(2)), VMK_OK);
	for (uint64_t t = MS; t <= 2 * SEC; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		for (int32_t i = 0; i < 2; i++)
			assert_false(info(h, VM1(i)).costopped);
	}
	assert_int_equal(costops(h, VM1(0), 3), 0);
	assert_int_equal(h->received[VM1(0)], 2 * SEC);
	assert_int_equal(h->received[VM1(1)], 2 * SEC);
	/* Its wake-up co-stops no one, though it ran nothing for 2 s. */
	assert_int_equal(h_wake(h, VM1(2)), VMK_OK);
	assert_int_equal(info(h, VM1(2)).lead_ns, 0);
	assert_int_equal(info(h, VM1(2)).skew_ns, info(h, VM1(0)).lead_ns);
	for (int32_t i = 0; i < 3; i++)
		assert_false(info(h, VM1(i)).costopped);
	/* Three on two: run until some vCPU is co-stopped behind a laggard,
	 * then block that laggard: the one it held is released at once (it
	 * is level with the third). */
	int32_t lag = SCHED_NONE;
	for (uint64_t t = 2 * SEC + MS; t <= 3 * SEC && lag == SCHED_NONE; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		for (int32_t i = 0; i < 3; i++)
			if (info(h, VM1(i)).costopped)
				for (int32_t j = 0; j < 3; j++)
					if (info(h, VM1(j)).lead_ns == 0 &&
					    info(h, VM1(j)).state == SCHED_READY)
						lag = VM1(j);
	}
	assert_int_not_equal(lag, SCHED_NONE);
	assert_int_equal(h_block(h, lag), VMK_OK);
	for (int32_t i = 0; i < 3; i++)
		assert_false(info(h, VM1(i)).costopped);
	free(h);
}

/* The laggard is pinned to CPU 1, where a heavy VM takes most of the time;
 * the other two vCPUs may run anywhere.  Co-stopping them would idle CPU 0
 * (the laggard cannot come): they run there instead, a whole CPU between
 * them, and their lead stays capped (2 x bound), so that the laggard is not
 * kept waiting for old debt.  Where they share CPU 1 with the laggard they
 * still give way to it. */
static void test_cosched_pinned_laggard(void **st)
{
	(void)st;
	struct harness *h = new_co(2, SCHED_COSCHED_RELAXED);
	h->balance_ns = 100 * MS;
	add_sib(h, VM2, 2, 9000, CPU(1));
	add_sib(h, VM1(0), 1, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM1(1), 1, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM1(2), 1, 1000, CPU(1));
	for (uint64_t t = MS; t <= 10 * SEC; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		spread(h, VM1(0), 3);                  /* never all co-stopped */
		for (int32_t i = 0; i < 3; i++)
			assert_true(info(h, VM1(i)).lead_ns <= 2 * BOUND);
	}
	print_message("pinned laggard: %.2f / %.2f / %.2f s of 10, idle %.3f s, %u co-stops\n",
		      h->received[VM1(0)] / 1e9, h->received[VM1(1)] / 1e9,
		      h->received[VM1(2)] / 1e9, (h->idle_ns[0] + h->idle_ns[1]) / 1e9,
		      costops(h, VM1(0), 3));
	assert_true(h->idle_ns[0] + h->idle_ns[1] == 0);
	assert_true(h->received[VM1(0)] >= 4 * SEC);
	assert_true(h->received[VM1(1)] >= 4 * SEC);
	assert_true(h->received[VM1(2)] >= SEC / 2);   /* its share on CPU 1 */
	free(h);
}

/* A laggard that cannot run for its limit (10%) does not starve its
 * sibling on one CPU: the sibling is co-stopped, but runs when nothing else
 * can (its lead capped at 2 x bound), and a world that wakes while it runs
 * so preempts it at once, though not behind it in virtual time. */
static void test_cosched_limited_laggard(void **st)
{
	(void)st;
	struct harness *h = new_co(1, SCHED_COSCHED_RELAXED);
	struct sched *s = &h->s;
	struct sched_params full = { 1000, 0, PPM }, tenth = { 1000, 0, PPM / 10 };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, VM1(0), &full, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, VM1(1), &tenth, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, VM2, &full, CPU(0)), VMK_OK);
	for (int32_t i = 0; i < 2; i++) {
		assert_int_equal(sched_set_group(s, VM1(i), 1), VMK_OK);
		assert_int_equal(sched_wake(s, VM1(i), 0, &kick), VMK_OK);
	}
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, VM1(0));
	assert_int_equal(pk.slice_ns, BOUND + 1);        /* ends at the bound */
	assert_int_equal(sched_tick(s, 0, BOUND + 1), 1);
	assert_int_equal(sched_pick_next(s, 0, BOUND + 1, &pk), VMK_OK);
	assert_int_equal(pk.world, VM1(1));              /* the laggard's turn */
	assert_true(info(h, VM1(0)).costopped);
	uint64_t t = BOUND + 1 + pk.slice_ns;            /* its credit: 0.5 ms */
	assert_int_equal(sched_tick(s, 0, t), 1);
	assert_int_equal(sched_pick_next(s, 0, t, &pk), VMK_OK);
	assert_int_equal(pk.world, VM1(0));              /* co-stopped, but nothing else */
	assert_true(info(h, VM1(0)).costopped);
	assert_int_equal(sched_wake(s, VM2, t, &kick), VMK_OK);
	assert_int_equal(kick, 0);
	assert_int_equal(sched_tick(s, 0, t), 1);
	assert_int_equal(sched_pick_next(s, 0, t, &pk), VMK_OK);
	assert_int_equal(pk.world, VM2);
	free(h);
	/* Over 10 s: the laggard gets its 10%, its sibling the rest. */
	h = new_co(1, SCHED_COSCHED_RELAXED);
	add_sib(h, VM1(0), 1, 1000, CPU(0));
	assert_int_equal(sched_add_world(&h->s, VM1(1), &tenth, CPU(0)), VMK_OK);
	assert_int_equal(sched_set_group(&h->s, VM1(1), 1), VMK_OK);
	assert_int_equal(h_wake(h, VM1(1)), VMK_OK);
	for (t = MS; t <= 10 * SEC; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		assert_true(info(h, VM1(0)).lead_ns <= 2 * BOUND);
	}
	assert_true(h->received[VM1(1)] >= SEC - 20 * MS && h->received[VM1(1)] <= SEC + 20 * MS);
	assert_int_equal(h->received[VM1(0)] + h->received[VM1(1)], 10 * SEC);
	free(h);
}

/* A world that yields (a PAUSE-loop exit) is passed over once, keeps its
 * virtual time (it runs next), and runs on if nothing else can. */
static void test_yield(void **st)
{
	(void)st;
	struct harness *h = new_h(1);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 1, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, 0, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_wake(s, 1, 0, &kick), VMK_OK);
	assert_int_equal(sched_wake(s, 0, 0, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 1);
	assert_int_equal(sched_tick(s, 0, 10 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 10 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	/* World 0 is behind: without the yield it would be picked again. */
	struct sched before = *s;
	assert_int_equal(sched_tick(s, 0, 11 * MS), 0);
	assert_int_equal(sched_pick_next(s, 0, 11 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	*s = before;
	assert_int_equal(sched_yield_world(s, 0, 11 * MS), VMK_OK);
	assert_int_equal(sched_tick(s, 0, 11 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 11 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 1);
	struct sched_world_info wi;
	assert_int_equal(sched_world_info(s, 0, &wi), VMK_OK);
	assert_int_equal(wi.yields, 1);                         /* it gave the CPU away */
	assert_int_equal(sched_yield_world(s, 0, 12 * MS), VMK_OK);   /* not running: no-op */
	assert_int_equal(sched_tick(s, 0, 21 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 21 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);                          /* it lost nothing */
	/* Alone, a yielder runs on. */
	assert_int_equal(sched_block(s, 1, 22 * MS), VMK_OK);
	assert_int_equal(sched_yield_world(s, 0, 22 * MS), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 22 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, 0);
	assert_int_equal(sched_world_info(s, 0, &wi), VMK_OK);
	assert_int_equal(wi.yields, 1);                         /* not counted: it ran on */
	free(h);
}

/* Directed yield: a spinning vCPU's CPU goes to its preempted sibling (the
 * likely lock holder), pulled from the CPU where it waits, ahead of a world
 * of another VM that is further ahead in virtual time; without the group,
 * the yield goes to that world, and so it does if the sibling is further
 * ahead than that world (a yield never jumps the queue). */
static void directed_yield(bool grouped, bool sibling_ahead)
{
	/* NONE: directed yield needs groups, not co-stops (and in RELAXED the
	 * sibling that ran ahead would be co-stopped, so never pulled). */
	struct harness *h = new_co(2, SCHED_COSCHED_NONE);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 17, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, VM1(0), &p, CPU(0)), VMK_OK);
	if (sibling_ahead)   /* first in the table: runs first on CPU 1 */
		assert_int_equal(sched_add_world(s, VM1(1), &p, CPU(1)), VMK_OK);
	assert_int_equal(sched_add_world(s, VM2, &p, CPU(1)), VMK_OK);
	if (!sibling_ahead)
		assert_int_equal(sched_add_world(s, VM1(1), &p, CPU(1)), VMK_OK);
	assert_int_equal(sched_set_affinity(s, VM1(1), SCHED_AFFINITY_ALL), VMK_OK);
	for (int32_t i = 0; i < 2 && grouped; i++)
		assert_int_equal(sched_set_group(s, VM1(i), 1), VMK_OK);
	int32_t ids[] = { 17, VM1(0), VM2, VM1(1) };
	for (int i = 0; i < 4; i++)
		assert_int_equal(sched_wake(s, ids[i], 0, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 1, 0, &pk), VMK_OK);
	if (sibling_ahead) {
		assert_int_equal(pk.world, VM1(1));
		assert_int_equal(sched_tick(s, 1, 10 * MS), 1);
		assert_int_equal(sched_pick_next(s, 1, 10 * MS, &pk), VMK_OK);
	}
	assert_int_equal(pk.world, VM2);                 /* VM1(1) waits behind it */
	assert_int_equal(sched_pick_next(s, 0, 0, &pk), VMK_OK);
	assert_int_equal(pk.world, 17);
	assert_int_equal(sched_tick(s, 0, 10 * MS), 1);
	assert_int_equal(sched_pick_next(s, 0, 10 * MS, &pk), VMK_OK);
	assert_int_equal(pk.world, VM1(0));
	assert_int_equal(sched_yield_world(s, VM1(0), 11 * MS), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 11 * MS, &pk), VMK_OK);
	bool pulled = grouped && !sibling_ahead;
	assert_int_equal(pk.world, pulled ? VM1(1) : 17);
	assert_int_equal(cpu_of(h, VM1(1)), pulled ? 0 : 1);
	free(h);
}

static void test_directed_yield(void **st)
{
	(void)st;
	directed_yield(true, false);
	directed_yield(false, false);
	directed_yield(true, true);
}

/* Two sibling vCPUs that spin (yield at every tick) beside another VM's
 * two: yields and directed yields take nothing from the other VM (each of
 * its worlds gets at least its entitlement, half a CPU), no CPU idles, and
 * the spinners are passed over, not starved (they get the CPU back each
 * time their virtual time is the least). */
static void test_yield_spinning_siblings(void **st)
{
	(void)st;
	struct harness *h = new_co(2, SCHED_COSCHED_RELAXED);
	h->balance_ns = 100 * MS;
	add_sib(h, VM1(0), 1, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM1(1), 1, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM2, 2, 1000, SCHED_AFFINITY_ALL);
	add_sib(h, VM2 + 1, 2, 1000, SCHED_AFFINITY_ALL);
	for (uint64_t t = MS; t <= 5 * SEC; t += MS) {
		assert_int_equal(h_run(h, t), 0);
		for (uint32_t c = 0; c < 2; c++)
			if (h->cur[c] == VM1(0) || h->cur[c] == VM1(1))
				assert_int_equal(h_yield(h, h->cur[c]), VMK_OK);
	}
	print_message("spinning siblings: %.3f / %.3f s, other VM %.3f / %.3f s of 5\n",
		      h->received[VM1(0)] / 1e9, h->received[VM1(1)] / 1e9,
		      h->received[VM2] / 1e9, h->received[VM2 + 1] / 1e9);
	assert_true(h->received[VM2] >= 5 * SEC / 2);
	assert_true(h->received[VM2 + 1] >= 5 * SEC / 2);
	assert_true(h->received[VM1(0)] >= 100 * MS && h->received[VM1(1)] >= 100 * MS);
	assert_int_equal(h->idle_ns[0] + h->idle_ns[1], 0);
	free(h);
}

/* sched_set_group and sched_yield_world refuse bad input with a clear code
 * and leave the state byte for byte; groups come and go with their members. */
static void test_cosched_bad_inputs(void **st)
{
	(void)st;
	struct harness *h = new_co(2, SCHED_COSCHED_RELAXED);
	struct sched *s = &h->s;
	struct sched_params p = { 1000, 0, PPM };
	struct sched_pick pk;
	int32_t kick;
	assert_int_equal(sched_add_world(s, 1, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_add_world(s, 2, &p, CPU(0)), VMK_OK);
	assert_int_equal(sched_wake(s, 1, 5 * MS, &kick), VMK_OK);
	assert_int_equal(sched_pick_next(s, 0, 5 * MS, &pk), VMK_OK);
	assert_int_equal(sched_set_group(s, 1, 7), VMK_OK);
	struct sched before = *s;
	assert_int_equal(sched_set_group(NULL, 1, 7), VMK_EINVAL);
	assert_int_equal(sched_set_group(s, -1, 7), VMK_EINVAL);
	assert_int_equal(sched_set_group(s, 1, -2), VMK_EINVAL);
	assert_int_equal(sched_set_group(s, 9, 7), VMK_ENOENT);
	assert_int_equal(sched_yield_world(NULL, 1, 6 * MS), VMK_EINVAL);
	assert_int_equal(sched_yield_world(s, -1, 6 * MS), VMK_EINVAL);
	assert_int_equal(sched_yield_world(s, 9, 6 * MS), VMK_ENOENT);
	assert_int_equal(sched_yield_world(s, 1, 4 * MS), VMK_EINVAL);   /* time went back */
	assert_int_equal(sched_yield_world(s, 2, 6 * MS), VMK_OK);       /* blocked: no-op */
	assert_int_equal(sched_set_group(s, 1, 7), VMK_OK);              /* same: no-op */
	assert_memory_equal(&before, s, sizeof(before));
	assert_int_equal(info(h, 1).group, 7);
	assert_int_equal(info(h, 2).group, SCHED_NONE);
	/* Groups are made by their first member and go with their last. */
	assert_int_equal(s->ngslots, 1);
	assert_int_equal(sched_set_group(s, 2, 7), VMK_OK);
	assert_int_equal(s->g[0].nmembers, 2);
	assert_int_equal(sched_set_group(s, 2, 8), VMK_OK);
	assert_int_equal(s->ngslots, 2);
	assert_int_equal(sched_remove_world(s, 2), VMK_OK);
	assert_int_equal(s->ngslots, 1);
	assert_int_equal(sched_set_group(s, 1, SCHED_NONE), VMK_OK);
	assert_int_equal(s->ngslots, 0);
	assert_int_equal(info(h, 1).group, SCHED_NONE);
	/* Configuration: unknown mode, a zero or huge bound in RELAXED. */
	struct sched_config cfg;
	sched_config_default(&cfg, 2);
	cfg.cosched = 2;
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	cfg.cosched = SCHED_COSCHED_RELAXED;
	cfg.cosched_skew_ns = 0;
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	cfg.cosched_skew_ns = ((uint64_t)1 << 40) + 1;
	assert_int_equal(sched_init(s, &cfg), VMK_EINVAL);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_one_cpu),
		cmocka_unit_test(test_shares_uneven_many),
		cmocka_unit_test(test_reservation_under_contention),
		cmocka_unit_test(test_limit_caps_on_idle_cpu),
		cmocka_unit_test(test_limit_with_competitor),
		cmocka_unit_test(test_block_wake_bounded_lag),
		cmocka_unit_test(test_frequent_blocking),
		cmocka_unit_test(test_idle_redistributed),
		cmocka_unit_test(test_migration_balances_two_cpus),
		cmocka_unit_test(test_migration_packs_entitlements),
		cmocka_unit_test(test_rotation_three_on_two),
		cmocka_unit_test(test_lab_mix_two_cpus),
		cmocka_unit_test(test_random_mixes),
		cmocka_unit_test(test_idle_cpu_steals),
		cmocka_unit_test(test_wake_moves_and_lag_bound),
		cmocka_unit_test(test_wake_kick),
		cmocka_unit_test(test_slot_bound),
		cmocka_unit_test(test_cpu_added_while_scheduled),
		cmocka_unit_test(test_idle_hint),
		cmocka_unit_test(test_admission_control),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_cosched_skew_bound),
		cmocka_unit_test(test_cosched_halted_sibling),
		cmocka_unit_test(test_cosched_pinned_laggard),
		cmocka_unit_test(test_cosched_limited_laggard),
		cmocka_unit_test(test_yield),
		cmocka_unit_test(test_directed_yield),
		cmocka_unit_test(test_yield_spinning_siblings),
		cmocka_unit_test(test_cosched_bad_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
