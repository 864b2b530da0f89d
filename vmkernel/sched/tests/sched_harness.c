/* Synthetic-clock driver for the scheduler policy; see sched_harness.h. */
#include <string.h>
#include "sched_harness.h"

int h_init(struct harness *h, uint32_t ncpus, const struct sched_config *cfg)
{
	struct sched_config def;
	memset(h, 0, sizeof(*h));
	if (!cfg) {
		sched_config_default(&def, ncpus);
		cfg = &def;
	}
	h->ncpus = ncpus;
	h->tick_ns = 1000000;
	for (uint32_t c = 0; c < SCHED_MAX_CPUS; c++) {
		h->cur[c] = SCHED_NONE;
		h->need_pick[c] = true;
	}
	return sched_init(&h->s, cfg);
}

int h_add(struct harness *h, int32_t id, uint32_t shares, uint32_t resv_ppm,
	  uint32_t limit_ppm, uint64_t affinity)
{
	struct sched_params p = { shares, resv_ppm, limit_ppm };
	int err = sched_add_world(&h->s, id, &p, affinity);
	return err ? err : h_wake(h, id);
}

int h_block(struct harness *h, int32_t id)
{
	int err = sched_block(&h->s, id, h->now);
	for (uint32_t c = 0; !err && c < h->ncpus; c++)
		if (h->cur[c] == id) {
			h->cur[c] = SCHED_NONE;
			h->need_pick[c] = true;
		}
	return err;
}

int h_wake(struct harness *h, int32_t id)
{
	int32_t kick;
	int err = sched_wake(&h->s, id, h->now, &kick);
	if (!err && kick != SCHED_NONE)
		h->need_pick[kick] = true;      /* the IPI */
	return err;
}

int h_yield(struct harness *h, int32_t id)
{
	for (uint32_t c = 0; c < h->ncpus; c++)
		if (h->cur[c] == id) {
			int err = sched_yield_world(&h->s, id, h->t[c]);
			if (!err)
				h->need_pick[c] = true;
			return err;
		}
	return sched_yield_world(&h->s, id, h->now);
}

static int h_pick(struct harness *h, uint32_t c)
{
	struct sched_pick p;
	int err = sched_pick_next(&h->s, c, h->t[c], &p);
	if (err)
		return err;
	h->cur[c] = p.world;
	if (p.kick_cpu != SCHED_NONE)
		h->need_pick[p.kick_cpu] = true;        /* the IPI */
	/* Idle with no hint: sleep until kicked (the tick still runs). */
	h->slice_end[c] = p.slice_ns ? h->t[c] + p.slice_ns : UINT64_MAX;
	h->need_pick[c] = false;
	return 0;
}

/* One timer period (or less) of CPU c. */
static int h_step(struct harness *h, uint32_t c, uint64_t until)
{
	if (h->need_pick[c]) {
		int err = h_pick(h, c);
		if (err)
			return err;
	}
	uint64_t dt = h->tick_ns;
	if (h->slice_end[c] > h->t[c] && h->slice_end[c] - h->t[c] < dt)
		dt = h->slice_end[c] - h->t[c];
	if (until - h->t[c] < dt)
		dt = until - h->t[c];
	if (dt == 0)
		dt = 1;
	int32_t w = h->cur[c];
	if (w == SCHED_NONE) {
		h->idle_ns[c] += dt;
	} else {
		h->received[w] += dt;
		if (c < 2)
			h->per_cpu[w][c] += dt;
	}
	h->t[c] += dt;
	int r = sched_tick(&h->s, c, h->t[c]);
	if (r < 0)
		return r;
	if (r == 1)
		h->need_pick[c] = true;
	return 0;
}

static int h_balance(struct harness *h, uint64_t t)
{
	struct sched_migration m[8];
	uint32_t n;
	int err = sched_balance(&h->s, t, m, 8, &n);
	if (err)
		return err;
	h->migrations += n;
	for (uint32_t i = 0; i < n; i++)
		if (m[i].pending)
			h->need_pick[m[i].from_cpu] = true;   /* the IPI */
	return 0;
}

static void h_entitle(struct harness *h, uint64_t dt)
{
	for (int32_t id = 0; id < H_MAX_ID; id++) {
		struct sched_world_info wi;
		if (sched_world_info(&h->s, id, &wi) == 0)
			h->entitled[id] += (uint64_t)wi.entitlement_ppm * dt / SCHED_CPU_PPM;
	}
}

int h_run(struct harness *h, uint64_t until)
{
	if (until <= h->now)
		return 0;
	h_entitle(h, until - h->now);
	for (;;) {
		uint32_t c = 0;
		for (uint32_t i = 1; i < h->ncpus; i++)
			if (h->t[i] < h->t[c])
				c = i;
		if (h->t[c] >= until)
			break;
		if (h->balance_ns && h->t[c] >= h->next_balance) {
			int err = h_balance(h, h->t[c]);
			if (err)
				return err;
			h->next_balance = h->t[c] + h->balance_ns;
		}
		int err = h_step(h, c, until);
		if (err)
			return err;
	}
	h->now = until;
	return 0;
}

void h_reset_counters(struct harness *h)
{
	memset(h->received, 0, sizeof(h->received));
	memset(h->entitled, 0, sizeof(h->entitled));
	memset(h->per_cpu, 0, sizeof(h->per_cpu));
	memset(h->idle_ns, 0, sizeof(h->idle_ns));
	h->migrations = 0;
}

double h_error(const struct harness *h, int32_t id)
{
	double e = (double)h->entitled[id], r = (double)h->received[id];
	if (e == 0)
		return r == 0 ? 0 : 1e9;
	return (r - e) / e;
}
