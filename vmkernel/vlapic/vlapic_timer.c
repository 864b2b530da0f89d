/* The vLAPIC timer: one-shot, periodic and TSC-deadline (SDM "APIC
 * Timer").  Nothing here reads a clock: the count is a function of `now`.
 *
 * While counting, the current count was t_cnt at t_base, the start of a
 * bus tick, and falls by one every unit() TSC ticks; the interrupt is due
 * when it reaches zero.  A periodic timer then reloads ticr, so its expiries
 * lie on the grid t_base + (t_cnt + k * ticr) * unit(): t_deadline only ever
 * moves along that grid, however late the caller is, so it never drifts. */
#include "vlapic_int.h"

/* TSC ticks per count: the divide configuration (bits 3, 1:0) encodes
 * 2, 4, 8, 16, 32, 64, 128, 1 for 0..7. */
static uint64_t unit(const struct vlapic *v)
{
	uint32_t d = ((v->tdcr & 8) >> 1) | (v->tdcr & 3);

	return (uint64_t)v->cfg.tsc_per_tick << ((d + 1) & 7);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? VLAPIC_NO_DEADLINE : a + b;
}

static uint32_t mode(const struct vlapic *v)
{
	return vlapic_timer_mode_of(v->lvt[VLAPIC_LVT_IDX_TIMER]);
}

static uint64_t ticks_since_base(const struct vlapic *v, uint64_t now)
{
	return now > v->t_base ? (now - v->t_base) / unit(v) : 0;
}

/* Disarmed: no count, no deadline. */
static void stop(struct vlapic *v)
{
	v->ticr = v->t_cnt = 0;
	v->t_deadline = VLAPIC_NO_DEADLINE;
	v->tsc_deadline = 0;
}

void vlapic_timer_reset(struct vlapic *v)
{
	stop(v);
	v->tdcr = 0;
	v->t_base = 0;
}

uint32_t vlapic_timer_current(const struct vlapic *v, uint64_t now)
{
	uint64_t ticks;

	if (v->t_cnt == 0 || mode(v) == VLAPIC_TIMER_TSC_DEADLINE)
		return 0;
	ticks = ticks_since_base(v, now);
	if (ticks < v->t_cnt)
		return v->t_cnt - (uint32_t)ticks;
	if (mode(v) != VLAPIC_TIMER_PERIODIC)
		return 0;
	/* t_cnt != 0 implies ticr != 0: both are set by the same write. */
	return v->ticr - (uint32_t)((ticks - v->t_cnt) % v->ticr);
}

/* t_deadline from the timer's state: the TSC deadline in TSC-deadline
 * mode, else the counting state (t_cnt * unit <= 2^32 * 2^27). */
static void arm(struct vlapic *v)
{
	if (mode(v) == VLAPIC_TIMER_TSC_DEADLINE)
		v->t_deadline = v->tsc_deadline ? v->tsc_deadline : VLAPIC_NO_DEADLINE;
	else
		v->t_deadline = v->t_cnt ? add_sat(v->t_base, (uint64_t)v->t_cnt * unit(v))
					 : VLAPIC_NO_DEADLINE;
}

/* Restate the count as of the start of the current tick, so that the mode
 * or the divider can change under it; an expired one-shot stops. */
static void rebase(struct vlapic *v, uint64_t now)
{
	uint32_t cur = vlapic_timer_current(v, now);

	if (cur == 0) {
		v->t_cnt = 0;
	} else {
		v->t_base += ticks_since_base(v, now) * unit(v);
		v->t_cnt = cur;
	}
	arm(v);
}

uint64_t vlapic_timer_next_deadline(const struct vlapic *v)
{
	return v->t_deadline;
}

static int fire(struct vlapic *v)
{
	uint32_t lvt = v->lvt[VLAPIC_LVT_IDX_TIMER];

	if (lvt & VLAPIC_LVT_MASKED)
		return 0;
	if (vlapic_accept(v, lvt & 0xff, false) != VMK_OK)
		return 0;
	v->stats.timer_fired++;
	return 1;
}

/* The next grid point after now; missed ones are merged into this expiry. */
static void next_period(struct vlapic *v, uint64_t now)
{
	uint64_t p = (uint64_t)v->ticr * unit(v);
	uint64_t missed = (now - v->t_deadline) / p;

	v->stats.timer_coalesced += missed;
	v->t_deadline = add_sat(add_sat(v->t_deadline, missed * p), p);
}

int vlapic_timer_expire(struct vlapic *v, uint64_t now)
{
	if (!v)
		return VMK_EINVAL;
	if (v->t_deadline == VLAPIC_NO_DEADLINE || now < v->t_deadline)
		return 0;
	if (mode(v) == VLAPIC_TIMER_PERIODIC) {
		next_period(v, now);
	} else {
		v->t_deadline = VLAPIC_NO_DEADLINE;
		v->tsc_deadline = 0;   /* TSC-deadline disarms itself */
	}
	return fire(v);
}

/* A timer register write: an expiry now has reached happened before it. */
static void expire_due(struct vlapic *v, uint64_t now, struct vlapic_out *out)
{
	if (v->t_deadline != VLAPIC_NO_DEADLINE && now >= v->t_deadline) {
		vlapic_timer_expire(v, now);
		out->events |= VLAPIC_EV_IRQ | VLAPIC_EV_TIMER;
	}
}

/* SDM: one-shot <-> periodic keeps counting; entering or leaving
 * TSC-deadline mode disarms the timer (initial count and deadline 0). */
void vlapic_timer_write_lvt(struct vlapic *v, uint32_t lvt, uint64_t now,
			    struct vlapic_out *out)
{
	uint32_t from = mode(v), to = vlapic_timer_mode_of(lvt);

	expire_due(v, now, out);
	if (from != to) {
		if (from == VLAPIC_TIMER_TSC_DEADLINE || to == VLAPIC_TIMER_TSC_DEADLINE)
			stop(v);
		else
			rebase(v, now);
		out->events |= VLAPIC_EV_TIMER;
	}
	v->lvt[VLAPIC_LVT_IDX_TIMER] = lvt;
}

/* Writing the initial count restarts the count from it; 0 stops the timer.
 * Ignored in TSC-deadline mode. */
void vlapic_timer_write_initial(struct vlapic *v, uint32_t count, uint64_t now,
				struct vlapic_out *out)
{
	expire_due(v, now, out);
	if (mode(v) == VLAPIC_TIMER_TSC_DEADLINE)
		return;
	v->ticr = v->t_cnt = count;
	v->t_base = now;
	arm(v);
	out->events |= VLAPIC_EV_TIMER;
}

/* A new divider applies from the next tick: the tick in progress restarts. */
void vlapic_timer_write_divide(struct vlapic *v, uint32_t dcr, uint64_t now,
			       struct vlapic_out *out)
{
	expire_due(v, now, out);
	if (v->t_cnt && mode(v) != VLAPIC_TIMER_TSC_DEADLINE) {
		rebase(v, now);
		v->t_base = now;
	}
	v->tdcr = dcr;
	arm(v);
	out->events |= VLAPIC_EV_TIMER;
}

/* IA32_TSC_DEADLINE reads 0 and ignores writes outside TSC-deadline mode. */
uint64_t vlapic_timer_read_deadline(const struct vlapic *v)
{
	return mode(v) == VLAPIC_TIMER_TSC_DEADLINE ? v->tsc_deadline : 0;
}

void vlapic_timer_write_deadline(struct vlapic *v, uint64_t tsc, uint64_t now,
				 struct vlapic_out *out)
{
	if (mode(v) != VLAPIC_TIMER_TSC_DEADLINE)
		return;
	expire_due(v, now, out);
	v->tsc_deadline = tsc;
	arm(v);
	out->events |= VLAPIC_EV_TIMER;
	expire_due(v, now, out);   /* a deadline already past fires at once */
}
