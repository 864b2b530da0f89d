/* vLAPIC timer: one-shot, periodic, TSC-deadline, the divider, mode
 * changes.  TSC ticks per bus tick is TPT (10) throughout, so one count at
 * divide-by-d lasts 10 * d TSC ticks. */
#include "vlapic_test.h"

#define VEC 0x40u
#define ONESHOT VEC
#define PERIODIC (VEC | 1u << 17)
#define DEADLINE (VEC | 2u << 17)
#define DIV1 0xbu
#define DIV2 0x0u

static struct vlapic *timer_vlapic(uint32_t lvt, uint32_t dcr, uint64_t now)
{
	struct vlapic *v = new_vlapic(0, 1);

	wr_at(v, VLAPIC_LVT_TIMER, lvt, now);
	wr_at(v, VLAPIC_TDCR, dcr, now);
	return v;
}

/* Pop the timer's interrupt: it must be the one pending. */
static void take_irq(struct vlapic *v)
{
	assert_int_equal(vlapic_ack(v), VEC);
	wr(v, VLAPIC_EOI, 0);
}

/* All eight divide encodings (bits 3, 1:0): 2 4 8 16 32 64 128 1. */
static void test_divide_encodings(void **st)
{
	(void)st;
	static const struct { uint32_t dcr, div; } t[] = {
		{0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16},
		{0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1},
	};
	const uint64_t t0 = 5000;

	for (unsigned i = 0; i < 8; i++) {
		struct vlapic *v = timer_vlapic(ONESHOT, t[i].dcr, 0);
		uint64_t unit = (uint64_t)TPT * t[i].div;

		assert_int_equal(rd(v, VLAPIC_TDCR), t[i].dcr);
		wr_at(v, VLAPIC_TICR, 1000, t0);
		assert_int_equal(rd_at(v, VLAPIC_TCCR, t0), 1000);
		assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + unit - 1), 1000);
		assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + unit), 999);
		assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 250 * unit + unit - 1), 750);
		assert_int_equal(vlapic_timer_next_deadline(v), t0 + 1000 * unit);
		free(v);
	}
}

static void test_oneshot(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(ONESHOT, DIV1, 0);
	const uint64_t t0 = 1000;
	struct vlapic_out o;

	o = wr_at(v, VLAPIC_TICR, 100, t0);
	assert_int_equal(o.events, VLAPIC_EV_TIMER);
	assert_int_equal(rd_at(v, VLAPIC_TICR, t0), 100);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 9), 100);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 10), 99);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 999), 1);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 1000), 0);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t0 + 123456), 0);
	assert_int_equal(vlapic_timer_next_deadline(v), t0 + 1000);
	assert_int_equal(vlapic_timer_expire(v, t0 + 999), 0);        /* early */
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	assert_int_equal(vlapic_timer_expire(v, t0 + 1000), 1);
	assert_int_equal(vlapic_pending(v), VEC);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(vlapic_timer_expire(v, t0 + 5000), 0);       /* once only */
	assert_int_equal(rd_at(v, VLAPIC_TICR, t0 + 5000), 100);       /* TICR stays */
	assert_int_equal(v->stats.timer_fired, 1);
	free(v);
}

/* Periodic: 10000 periods with the caller up to half a period late each
 * time; every deadline is exactly on the grid t0 + k * period. */
static void test_periodic_no_drift(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC, DIV2, 0);
	const uint64_t t0 = 12345, period = 1000ull * TPT * 2;

	wr_at(v, VLAPIC_TICR, 1000, t0);
	for (uint64_t k = 1; k <= 10000; k++) {
		uint64_t late = (k * 7919) % (period / 2);

		assert_int_equal(vlapic_timer_next_deadline(v), t0 + k * period);
		assert_int_equal(vlapic_timer_expire(v, t0 + k * period + late), 1);
		take_irq(v);
	}
	assert_int_equal(vlapic_timer_next_deadline(v), t0 + 10001 * period);
	assert_int_equal(v->stats.timer_fired, 10000);
	assert_int_equal(v->stats.timer_coalesced, 0);
	/* The count within a period: reload at each grid point. */
	const uint64_t base = t0 + 500 * period;
	assert_int_equal(rd_at(v, VLAPIC_TCCR, base), 1000);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, base + 20), 999);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, base + 20 * 999), 1);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, base + period - 1), 1);
	free(v);
}

/* A caller several periods late gets one interrupt; the next deadline is
 * the next grid point after now. */
static void test_periodic_coalesces_late_expiry(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC, DIV1, 0);
	const uint64_t t0 = 0, period = 50 * TPT;

	wr_at(v, VLAPIC_TICR, 50, t0);
	assert_int_equal(vlapic_timer_expire(v, t0 + 3 * period + period / 2), 1);
	assert_int_equal(v->stats.timer_coalesced, 2);
	assert_int_equal(vlapic_timer_next_deadline(v), t0 + 4 * period);
	/* Exactly on a grid point counts that point as fired. */
	take_irq(v);
	assert_int_equal(vlapic_timer_expire(v, t0 + 6 * period), 1);
	assert_int_equal(vlapic_timer_next_deadline(v), t0 + 7 * period);
	assert_int_equal(v->stats.timer_coalesced, 4);     /* 5 and 6 merged */
	free(v);
}

static void test_initial_count_zero_stops(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC, DIV1, 0);
	struct vlapic_out o;

	wr_at(v, VLAPIC_TICR, 100, 0);
	o = wr_at(v, VLAPIC_TICR, 0, 300);
	assert_int_equal(o.events, VLAPIC_EV_TIMER);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 400), 0);
	assert_int_equal(vlapic_timer_expire(v, 1000000), 0);
	/* A rewrite restarts from the new count at now. */
	wr_at(v, VLAPIC_TICR, 100, 500);
	wr_at(v, VLAPIC_TICR, 40, 700);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 700), 40);
	assert_int_equal(vlapic_timer_next_deadline(v), 700 + 400);
	free(v);
}

/* A masked timer still counts and reloads; it just sets nothing. */
static void test_masked_timer_counts(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC | VLAPIC_LVT_MASKED, DIV1, 0);

	wr_at(v, VLAPIC_TICR, 10, 0);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 55), 5);
	assert_int_equal(vlapic_timer_expire(v, 100), 0);
	assert_int_equal(vlapic_timer_next_deadline(v), 200);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	wr_at(v, VLAPIC_LVT_TIMER, PERIODIC, 150);                    /* unmask */
	assert_int_equal(vlapic_timer_expire(v, 200), 1);
	free(v);
}

/* Timer writes first fire an expiry that now has already reached. */
static void test_write_fires_due_expiry(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(ONESHOT, DIV1, 0);
	struct vlapic_out o;

	wr_at(v, VLAPIC_TICR, 10, 0);
	o = wr_at(v, VLAPIC_TICR, 10, 150);                            /* due at 100 */
	assert_true(o.events & VLAPIC_EV_IRQ);
	assert_int_equal(vlapic_pending(v), VEC);
	assert_int_equal(vlapic_timer_next_deadline(v), 250);
	free(v);
}

static void test_tsc_deadline(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(DEADLINE, DIV1, 0);
	struct vlapic_out o;
	uint64_t val;

	o = mwr(v, VLAPIC_MSR_TSC_DEADLINE, 5000);
	assert_int_equal(o.events, VLAPIC_EV_TIMER);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 5000);
	assert_int_equal(vlapic_timer_next_deadline(v), 5000);
	wr_at(v, VLAPIC_TICR, 100, 10);                               /* ignored */
	assert_int_equal(rd(v, VLAPIC_TICR), 0);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 20), 0);
	assert_int_equal(vlapic_timer_next_deadline(v), 5000);
	wr_at(v, VLAPIC_TDCR, 0x3, 30);          /* the divider does not touch it */
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 5000);
	assert_int_equal(vlapic_timer_next_deadline(v), 5000);
	assert_int_equal(vlapic_timer_expire(v, 4999), 0);
	assert_int_equal(vlapic_timer_expire(v, 5000), 1);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 0);         /* disarmed */
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	take_irq(v);

	/* A deadline already past fires at once; 0 disarms. */
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 6000, 7000, &o), VMK_OK);
	assert_true(o.events & VLAPIC_EV_IRQ);
	assert_int_equal(vlapic_pending(v), VEC);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 0);
	take_irq(v);
	mwr(v, VLAPIC_MSR_TSC_DEADLINE, 9000);
	mwr(v, VLAPIC_MSR_TSC_DEADLINE, 0);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(vlapic_timer_expire(v, 10000), 0);

	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
	wr(v, VLAPIC_LVT_TIMER, ONESHOT);
	mwr(v, VLAPIC_MSR_TSC_DEADLINE, 9000);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);

	/* Without TSC-deadline in CPUID the MSR does not exist (#GP). */
	struct vlapic_config c = test_cfg(0, 1);
	c.tsc_deadline = false;
	assert_int_equal(vlapic_init(v, &c), VMK_OK);
	assert_int_equal(vlapic_msr_read(v, VLAPIC_MSR_TSC_DEADLINE, 0, &val), VMK_ENOENT);
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR_TSC_DEADLINE, 1, 0, &o), VMK_ENOENT);
	assert_int_equal(v->stats.gp, 2);
	to_x2apic(v);
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR(VLAPIC_LVT_TIMER), DEADLINE, 0, &o),
			 VMK_EINVAL);
	free(v);
}

/* One-shot <-> periodic keeps counting; the next zero is the same. */
static void test_mode_switch_oneshot_periodic(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(ONESHOT, DIV1, 0);
	const uint64_t period = 100 * TPT;
	struct vlapic_out o;

	wr_at(v, VLAPIC_TICR, 100, 0);
	wr_at(v, VLAPIC_LVT_TIMER, PERIODIC, 305);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 305), 70);
	assert_int_equal(vlapic_timer_next_deadline(v), period);
	assert_int_equal(vlapic_timer_expire(v, period), 1);
	take_irq(v);
	assert_int_equal(vlapic_timer_next_deadline(v), 2 * period);
	/* Periodic -> one-shot at 2.5 periods: the zero at 2 periods, which the
	 * caller has not expired yet, fires first; one more zero, then it stops. */
	o = wr_at(v, VLAPIC_LVT_TIMER, ONESHOT, 2 * period + period / 2 + 3);
	assert_true(o.events & VLAPIC_EV_IRQ);
	take_irq(v);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 2 * period + period / 2 + 3), 50);
	assert_int_equal(vlapic_timer_next_deadline(v), 3 * period);
	assert_int_equal(vlapic_timer_expire(v, 3 * period - 1), 0);
	assert_int_equal(vlapic_timer_expire(v, 3 * period), 1);
	take_irq(v);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 4 * period), 0);
	/* An expired one-shot switched to periodic stays stopped. */
	wr_at(v, VLAPIC_LVT_TIMER, PERIODIC, 5 * period);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 6 * period), 0);
	free(v);
}

/* Entering or leaving TSC-deadline mode disarms the timer. */
static void test_mode_switch_tsc_deadline(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC, DIV1, 0);
	struct vlapic_out o;

	wr_at(v, VLAPIC_TICR, 100, 0);
	o = wr_at(v, VLAPIC_LVT_TIMER, DEADLINE, 10);
	assert_true(o.events & VLAPIC_EV_TIMER);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd(v, VLAPIC_TICR), 0);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 0);
	mwr(v, VLAPIC_MSR_TSC_DEADLINE, 5000);
	wr_at(v, VLAPIC_LVT_TIMER, PERIODIC, 20);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, 30), 0);
	wr_at(v, VLAPIC_LVT_TIMER, DEADLINE, 40);
	assert_int_equal(mrd(v, VLAPIC_MSR_TSC_DEADLINE), 0);
	/* Masking or changing the vector alone is no mode change. */
	mwr(v, VLAPIC_MSR_TSC_DEADLINE, 5000);
	wr_at(v, VLAPIC_LVT_TIMER, DEADLINE | VLAPIC_LVT_MASKED, 50);
	assert_int_equal(vlapic_timer_next_deadline(v), 5000);
	free(v);
}

/* A new divider applies from the write: the count so far is kept, the
 * tick in progress restarts at the new rate. */
static void test_divide_change_midcount(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(ONESHOT, DIV1, 0);
	const uint64_t t1 = 2505;                        /* 250 ticks + 5 */

	wr_at(v, VLAPIC_TICR, 1000, 0);
	wr_at(v, VLAPIC_TDCR, 0x1, t1);                  /* divide by 4 */
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t1), 750);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t1 + 39), 750);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, t1 + 40), 749);
	assert_int_equal(vlapic_timer_next_deadline(v), t1 + 750 * 40);
	free(v);
}

static void test_timer_illegal_vector(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(0x05, DIV1, 0);

	wr_at(v, VLAPIC_TICR, 1, 0);
	assert_int_equal(vlapic_timer_expire(v, 10), 0);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	assert_int_equal(esr_latch(v), VLAPIC_ESR_RECV_ILLEGAL);
	assert_int_equal(vlapic_timer_expire(NULL, 10), VMK_EINVAL);
	free(v);
}

/* Near the end of the TSC range a deadline saturates instead of wrapping. */
static void test_deadline_saturates(void **st)
{
	(void)st;
	struct vlapic *v = timer_vlapic(PERIODIC, 0xa, 0);             /* /128 */
	const uint64_t now = UINT64_MAX - 1000;

	wr_at(v, VLAPIC_TICR, 0xffffffffu, now);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	assert_int_equal(rd_at(v, VLAPIC_TCCR, UINT64_MAX), 0xffffffffu);
	wr_at(v, VLAPIC_TICR, 1, UINT64_MAX - 5000);
	assert_int_equal(vlapic_timer_expire(v, UINT64_MAX - 3720), 1);
	assert_int_equal(vlapic_timer_next_deadline(v), UINT64_MAX - 5000 + 2560);
	assert_int_equal(vlapic_timer_expire(v, UINT64_MAX), 1);
	assert_int_equal(vlapic_timer_next_deadline(v), VLAPIC_NO_DEADLINE);
	free(v);
}

int vlapic_timer_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_divide_encodings),
		cmocka_unit_test(test_oneshot),
		cmocka_unit_test(test_periodic_no_drift),
		cmocka_unit_test(test_periodic_coalesces_late_expiry),
		cmocka_unit_test(test_initial_count_zero_stops),
		cmocka_unit_test(test_masked_timer_counts),
		cmocka_unit_test(test_write_fires_due_expiry),
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_mode_switch_oneshot_periodic),
		cmocka_unit_test(test_mode_switch_tsc_deadline),
		cmocka_unit_test(test_divide_change_midcount),
		cmocka_unit_test(test_timer_illegal_vector),
		cmocka_unit_test(test_deadline_saturates),
	};
	return cmocka_run_group_tests_name("vlapic_timer", tests, NULL, NULL);
}
