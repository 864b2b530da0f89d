/* Scheduler policy: ESX-style entitlements (water-filling of shares between
 * reservation and limit), start-time fair queueing per CPU weighted by those
 * entitlements, a token bucket per limited world, lag-driven stealing at pick
 * time, greedy load balancing and relaxed co-scheduling of sibling worlds.
 * README.md explains the choices. */
#include "sched.h"

#define PPM ((uint64_t)SCHED_CPU_PPM)
/* Water level lambda is fixed point with FILL_FP fraction bits: a world's
 * share is (lambda * weight) >> FILL_FP ppm.  Weights are at most 2^20 and the
 * level never needs to pass PPM << FILL_FP (2^40), so products fit in 2^60. */
#define FILL_FP 20
#define FILL_LAM_MAX (PPM << FILL_FP)

/* ---- small helpers ---------------------------------------------------- */

static uint64_t online_mask(const struct sched *s)
{
	return s->cfg.ncpus >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->cfg.ncpus) - 1;
}

static int find(const struct sched *s, int32_t id)
{
	if (id < 0)
		return SCHED_NONE;
	for (int i = 0; i < (int)s->nslots; i++)
		if (s->w[i].id == id)
			return i;
	return SCHED_NONE;
}

static bool params_ok(const struct sched_params *p)
{
	return p && p->shares >= 1 && p->shares <= SCHED_MAX_SHARES &&
	       p->limit_ppm >= 1 && p->limit_ppm <= SCHED_CPU_PPM &&
	       p->reservation_ppm <= p->limit_ppm;
}

static bool limited(const struct sched_world *w)
{
	return w->p.limit_ppm < SCHED_CPU_PPM;
}

static bool runnable(const struct sched_world *w)
{
	return w->id != SCHED_NONE && w->state != SCHED_BLOCKED;
}

/* a * b / c without overflowing for a up to 2^64 and b, c up to 2^32. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	return (a / c) * b + ((a % c) * b) / c;
}

/* The most CPU time a limited world may bank, and the credit it needs before
 * it is worth running (less than a min slice only for tiny limits). */
static int64_t burst_ns(const struct sched *s, const struct sched_world *w)
{
	return (int64_t)muldiv(s->cfg.limit_period_ns, w->p.limit_ppm, PPM);
}

static int64_t run_threshold(const struct sched *s, const struct sched_world *w)
{
	int64_t b = burst_ns(s, w);
	return b < (int64_t)s->cfg.min_slice_ns ? b : (int64_t)s->cfg.min_slice_ns;
}

/* Top the bucket up to now.  A clock that looks backwards (another CPU's
 * reading after a migration) simply adds nothing. */
static void refill(const struct sched *s, struct sched_world *w, uint64_t now)
{
	if (!limited(w) || !w->refill_valid || now <= w->refill_t)
		return;
	int64_t add = (int64_t)muldiv(now - w->refill_t, w->p.limit_ppm, PPM);
	int64_t cap = burst_ns(s, w);
	w->credit_ns = w->credit_ns + add > cap ? cap : w->credit_ns + add;
	w->refill_t = now;
}

static bool eligible(const struct sched *s, const struct sched_world *w)
{
	return !limited(w) || w->credit_ns >= run_threshold(s, w);
}

/* ---- entitlements: weighted water-filling ------------------------------ */

/* One pass computes either the global entitlement (weight = shares, capacity
 * = all CPUs) or the rates on one CPU (weight = entitlement, capacity = one
 * CPU).  Bounds are [reservation, limit] in both. */
struct fill {
	const struct sched *s;
	uint8_t idx[SCHED_MAX_WORLDS];
	unsigned n;
	bool local;
};

static uint64_t fill_weight(const struct fill *f, const struct sched_world *w)
{
	if (!f->local)
		return w->p.shares;
	return w->ent_ppm ? w->ent_ppm : 1;
}

static uint32_t fill_at(const struct fill *f, const struct sched_world *w, uint64_t lam)
{
	uint64_t x = (lam * fill_weight(f, w)) >> FILL_FP;
	if (x < w->p.reservation_ppm)
		return w->p.reservation_ppm;
	return x > w->p.limit_ppm ? w->p.limit_ppm : (uint32_t)x;
}

static uint64_t fill_sum(const struct fill *f, uint64_t lam)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < f->n; i++)
		sum += fill_at(f, &f->s->w[f->idx[i]], lam);
	return sum;
}

/* Largest level whose total fits the capacity. */
static uint64_t fill_level(const struct fill *f, uint64_t cap)
{
	uint64_t lo = 0, hi = FILL_LAM_MAX;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (fill_sum(f, mid) <= cap)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void fill_store(struct fill *f, struct sched *s, unsigned i, uint32_t v)
{
	if (f->local)
		s->w[f->idx[i]].rate_ppm = v ? v : 1;
	else
		s->w[f->idx[i]].ent_ppm = v;
}

static void fill_run(struct fill *f, struct sched *s, uint64_t cap)
{
	if (f->n == 0)
		return;
	uint64_t lam = fill_sum(f, FILL_LAM_MAX) <= cap ? FILL_LAM_MAX : fill_level(f, cap);
	uint64_t sum = 0;
	for (unsigned i = 0; i < f->n; i++) {
		uint32_t v = fill_at(f, &s->w[f->idx[i]], lam);
		fill_store(f, s, i, v);
		sum += v;
	}
	/* Rounding leaves a few ppm: hand them out one each to those below
	 * their limit, so a busy CPU's rates add up to exactly one CPU. */
	for (bool gave = true; sum < cap && gave;) {
		gave = false;
		for (unsigned i = 0; i < f->n && sum < cap; i++) {
			struct sched_world *w = &s->w[f->idx[i]];
			uint32_t *v = f->local ? &w->rate_ppm : &w->ent_ppm;
			if (*v < w->p.limit_ppm) {
				(*v)++;
				sum++;
				gave = true;
			}
		}
	}
}

/* Blocked worlds are entitled to nothing, so their share (reservation
 * included) goes to the others: that is how idle time is redistributed. */
static void recompute(struct sched *s)
{
	struct fill f = { .s = s, .n = 0, .local = false };
	for (int i = 0; i < (int)s->nslots; i++) {
		s->w[i].ent_ppm = 0;
		if (runnable(&s->w[i]))
			f.idx[f.n++] = (uint8_t)i;
	}
	fill_run(&f, s, PPM * s->cfg.ncpus);

	for (uint32_t c = 0; c < s->cfg.ncpus; c++) {
		struct fill lf = { .s = s, .n = 0, .local = true };
		uint64_t load = 0;
		for (unsigned k = 0; k < f.n; k++)
			if (s->w[f.idx[k]].cpu == c) {
				lf.idx[lf.n++] = f.idx[k];
				load += s->w[f.idx[k]].ent_ppm;
			}
		fill_run(&lf, s, PPM);
		s->c[c].load_ppm = (uint32_t)load;
	}
}

/* ---- accounting -------------------------------------------------------- */

/* Lag is kept within this many limit periods (1 s by default). */
#define LAG_PERIODS 10

static int64_t lag_of(const struct sched_world *w)
{
	return (int64_t)(w->entitled_ns - w->run_ns);
}

/* Integrate every runnable world's entitlement up to now (with the
 * entitlements in force until now: call before recompute()).  The lag is
 * bounded so that old history (a world held back by its affinity, say) never
 * turns into a burst. */
static void accrue(struct sched *s, uint64_t now)
{
	if (now <= s->lag_clock)
		return;
	uint64_t dt = now - s->lag_clock;
	int64_t bound = (int64_t)(LAG_PERIODS * s->cfg.limit_period_ns);
	s->lag_clock = now;
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (!runnable(w))
			continue;
		w->entitled_ns += muldiv(dt, w->ent_ppm, PPM);
		if (lag_of(w) > bound)
			w->entitled_ns = w->run_ns + (uint64_t)bound;
		else if (lag_of(w) < -bound)
			w->entitled_ns = w->run_ns - (uint64_t)bound;
	}
}

/* SFQ: a world's virtual time advances by its service divided by its rate. */
static void charge(struct sched *s, uint32_t cpu, uint64_t now)
{
	struct sched_cpu *c = &s->c[cpu];
	uint64_t d = now - c->last;
	c->last = now;
	if (c->cur == SCHED_NONE || d == 0)
		return;
	struct sched_world *w = &s->w[c->cur];
	w->run_ns += d;
	w->vtime += muldiv(d, PPM, w->rate_ppm);
	if (limited(w)) {
		refill(s, w, now);
		w->credit_ns -= (int64_t)d;
	}
}

/* Virtual time is per CPU: keep the world's lead over its old CPU's system
 * virtual time, never a lag (that would be a burst on arrival). */
static void migrate(struct sched *s, int slot, uint32_t dst)
{
	struct sched_world *w = &s->w[slot];
	struct sched_cpu *from = &s->c[w->cpu], *to = &s->c[dst];
	uint64_t lead = w->vtime > from->vnow ? w->vtime - from->vnow : 0;
	from->resv_ppm -= w->p.reservation_ppm;
	from->nworlds--;
	to->resv_ppm += w->p.reservation_ppm;
	to->nworlds++;
	w->vtime = to->vnow + lead;
	w->cpu = (uint16_t)dst;
	w->migrations++;
}

static bool cpu_has_ready(const struct sched *s, uint32_t cpu)
{
	for (int i = 0; i < (int)s->nslots; i++)
		if (s->w[i].id != SCHED_NONE && s->w[i].cpu == cpu &&
		    s->w[i].state == SCHED_READY)
			return true;
	return false;
}

/* Complete a migration that had to wait for the world to stop running.
 * Its reservation is checked again: the CPU may have filled meanwhile. */
static void finish_move(struct sched *s, int slot)
{
	struct sched_world *w = &s->w[slot];
	int32_t dst = w->move_to;
	w->move_to = SCHED_NONE;
	if (dst == SCHED_NONE || !(w->affinity >> dst & 1) ||
	    s->c[dst].resv_ppm + w->p.reservation_ppm > PPM)
		return;
	migrate(s, slot, (uint32_t)dst);
	recompute(s);
}

static bool cpu_has_eligible(struct sched *s, uint32_t cpu, uint64_t now)
{
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->cpu != cpu || w->state != SCHED_READY)
			continue;
		refill(s, w, now);
		if (eligible(s, w))
			return true;
	}
	return false;
}

static bool cpu_idle(const struct sched *s, uint32_t cpu)
{
	return s->c[cpu].cur == SCHED_NONE && !cpu_has_ready(s, cpu);
}

/* Least loaded CPU of mask whose reservations leave room for resv, or
 * SCHED_NONE.  Ties go to the CPU with fewer worlds, then the lowest. */
static int place(const struct sched *s, uint64_t mask, uint32_t resv, bool idle_only)
{
	int best = SCHED_NONE;
	for (uint32_t c = 0; c < s->cfg.ncpus; c++) {
		const struct sched_cpu *pc = &s->c[c];
		if (!(mask >> c & 1) || pc->resv_ppm + resv > PPM)
			continue;
		if (idle_only && !cpu_idle(s, c))
			continue;
		if (best == SCHED_NONE || pc->load_ppm < s->c[best].load_ppm ||
		    (pc->load_ppm == s->c[best].load_ppm && pc->nworlds < s->c[best].nworlds))
			best = (int)c;
	}
	return best;
}

/* ---- co-scheduling: skew between siblings ------------------------------ */

/* A member's progress is the CPU time it received, plus an offset set when
 * it wakes or joins: then it comes back level with its slowest runnable
 * sibling, so time blocked (halted, waiting for I/O) is neither skew nor
 * credit, and a blocked member is nobody's laggard.  Among members that stay
 * runnable, the difference of progress is exactly the time one was ready
 * but not running while the other ran: the skew.  A member's lead is its
 * progress minus its slowest runnable sibling's.  Being CPU time charged by
 * each CPU on its own clock, progress needs no global clock and is exact. */

static bool relaxed(const struct sched *s)
{
	return s->cfg.cosched == SCHED_COSCHED_RELAXED;
}

static int64_t prog_of(const struct sched_world *w)
{
	return (int64_t)w->run_ns + w->prog_off;
}

/* As of the last co_update() (at most one tick stale for worlds running on
 * other CPUs, whose run_ns is charged at their CPU's next call). */
static uint64_t lead_of(const struct sched *s, const struct sched_world *w)
{
	if (!w->grp || !runnable(w))
		return 0;
	int64_t d = prog_of(w) - s->g[w->grp - 1].slow;
	return d > 0 ? (uint64_t)d : 0;
}

static uint64_t skew_of(const struct sched *s, const struct sched_world *w)
{
	if (!w->grp || !runnable(w))
		return 0;
	int64_t d = s->g[w->grp - 1].fast - prog_of(w);
	return d > 0 ? (uint64_t)d : 0;
}

static void group_extremes(struct sched *s)
{
	for (uint32_t g = 0; g < s->ngslots; g++)
		s->g[g] = (struct sched_group){ .id = s->g[g].id, .nmembers = s->g[g].nmembers,
						.slow = INT64_MAX, .fast = INT64_MIN };
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *w = &s->w[i];
		if (!w->grp || !runnable(w))
			continue;
		struct sched_group *g = &s->g[w->grp - 1];
		int64_t p = prog_of(w);
		g->slow = p < g->slow ? p : g->slow;
		g->fast = p > g->fast ? p : g->fast;
		g->nrunnable++;
	}
}

/* RELAXED: a laggard more than twice the bound behind (it could not run:
 * affinity, limit) is forgiven the rest, so that old debt never holds its
 * siblings for long once it can run again. */
static void forgive(struct sched *s)
{
	int64_t cap = 2 * (int64_t)s->cfg.cosched_skew_ns;
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (w->grp && runnable(w) && s->g[w->grp - 1].fast - prog_of(w) > cap)
			w->prog_off += s->g[w->grp - 1].fast - cap - prog_of(w);
	}
	for (uint32_t g = 0; g < s->ngslots; g++)
		if (s->g[g].nrunnable && s->g[g].fast - s->g[g].slow > cap)
			s->g[g].slow = s->g[g].fast - cap;
}

/* Refresh the groups' extremes and, in RELAXED, co-stop a member leading by
 * more than the bound until its lead is back to half of it.  The slowest
 * runnable member has no lead, so it is never co-stopped: a group always has
 * a member that may run.  now (0: unknown) counts co-stopped time.
 * O(nslots + ngslots); nothing at all without groups. */
static void co_update(struct sched *s, uint64_t now)
{
	uint64_t bound = s->cfg.cosched_skew_ns;
	if (!s->ngslots)
		return;
	group_extremes(s);
	if (relaxed(s))
		forgive(s);
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (!w->grp)
			continue;
		if (w->costopped && w->state == SCHED_READY && now > w->costop_t)
			w->costop_ns += now - w->costop_t;
		w->costop_t = now > w->costop_t ? now : w->costop_t;
		uint64_t lead = lead_of(s, w);
		if (lead > w->lead_max_ns)
			w->lead_max_ns = lead;
		if (!runnable(w)) {
			w->costopped = 0;
		} else if (!w->costopped && relaxed(s) && lead > bound) {
			w->costopped = 1;
			w->costops++;
		} else if (w->costopped && lead <= bound / 2) {
			w->costopped = 0;
		}
	}
}

/* A member becoming runnable (wake-up, or joining while runnable) starts
 * level with its slowest runnable sibling: no lead, so no co-stop for it,
 * and no sibling leads it further than it leads the slowest already. */
static void level(struct sched *s, struct sched_world *w)
{
	const struct sched_group *g = &s->g[w->grp - 1];
	if (g->nrunnable)
		w->prog_off = g->slow - (int64_t)w->run_ns;
}

static void group_leave(struct sched *s, struct sched_world *w)
{
	if (!w->grp)
		return;
	struct sched_group *g = &s->g[w->grp - 1];
	if (--g->nmembers == 0)
		*g = (struct sched_group){ .id = SCHED_NONE };
	while (s->ngslots && s->g[s->ngslots - 1].id == SCHED_NONE)
		s->ngslots--;
	w->grp = 0;
	w->costopped = 0;
}

/* A slot is always free: every group in use has a member other than w.
 * Call co_update() before (extremes) and after (flags). */
static void group_join(struct sched *s, struct sched_world *w, int32_t id)
{
	int slot = SCHED_NONE;
	for (int g = 0; g < (int)s->ngslots && slot == SCHED_NONE; g++)
		if (s->g[g].id == id)
			slot = g;
	for (int g = 0; g < SCHED_MAX_WORLDS && slot == SCHED_NONE; g++)
		if (s->g[g].id == SCHED_NONE) {
			slot = g;
			s->g[g] = (struct sched_group){ .id = id };
		}
	if ((uint32_t)slot >= s->ngslots)
		s->ngslots = (uint32_t)slot + 1;
	s->g[slot].nmembers++;
	w->grp = (uint8_t)(slot + 1);
	w->lead_max_ns = 0;
	if (runnable(w))
		level(s, w);
}

/* RELAXED, for a world about to run that is not co-stopped: end its slice
 * when its lead would pass the bound, if a sibling waits (only then can the
 * lead grow, at most as fast as it runs).  Not below a min slice. */
static uint64_t co_slice(const struct sched *s, const struct sched_world *w, uint64_t slice)
{
	if (!relaxed(s) || !w->grp || w->costopped)
		return slice;
	bool waits = false;
	for (int i = 0; i < (int)s->nslots && !waits; i++)
		waits = s->w[i].grp == w->grp && s->w[i].state == SCHED_READY;
	if (!waits)
		return slice;
	uint64_t lead = lead_of(s, w);
	uint64_t left = lead < s->cfg.cosched_skew_ns ? s->cfg.cosched_skew_ns - lead + 1 : 1;
	if (left < s->cfg.min_slice_ns)
		left = s->cfg.min_slice_ns;
	return left < slice ? left : slice;
}

/* ---- set-up and the world table ---------------------------------------- */

void sched_config_default(struct sched_config *cfg, uint32_t ncpus)
{
	cfg->ncpus = ncpus;
	cfg->slice_ns = 10000000;        /* 10 ms */
	cfg->min_slice_ns = 500000;      /* 0.5 ms */
	cfg->limit_period_ns = 100000000;/* 100 ms: a 30% world banks 30 ms */
	cfg->wake_gran_ns = 1000000;     /* 1 ms */
	cfg->steal_lag_ns = 20000000;    /* 2 slices */
	cfg->balance_min_ppm = 50000;    /* 5% of a CPU */
	cfg->cosched = SCHED_COSCHED_NONE;
	cfg->cosched_skew_ns = 3000000;  /* 3 ms: three of the vmkernel's ticks */
}

static bool config_ok(const struct sched_config *cfg)
{
	return cfg && cfg->ncpus >= 1 && cfg->ncpus <= SCHED_MAX_CPUS &&
	       cfg->min_slice_ns >= 1 && cfg->min_slice_ns <= cfg->slice_ns &&
	       cfg->slice_ns <= ((uint64_t)1 << 40) &&
	       cfg->limit_period_ns >= cfg->slice_ns &&
	       cfg->limit_period_ns <= ((uint64_t)1 << 40) &&
	       cfg->steal_lag_ns <= ((uint64_t)1 << 40) &&
	       cfg->balance_min_ppm <= SCHED_CPU_PPM &&
	       (cfg->cosched == SCHED_COSCHED_NONE ||
		(cfg->cosched == SCHED_COSCHED_RELAXED && cfg->cosched_skew_ns >= 1)) &&
	       cfg->cosched_skew_ns <= ((uint64_t)1 << 40);
}

int sched_init(struct sched *s, const struct sched_config *cfg)
{
	if (!s || !config_ok(cfg))
		return VMK_EINVAL;
	for (int i = 0; i < SCHED_MAX_WORLDS; i++)
		s->w[i] = (struct sched_world){ .id = SCHED_NONE, .move_to = SCHED_NONE };
	s->nslots = 0;
	for (int c = 0; c < SCHED_MAX_CPUS; c++)
		s->c[c] = (struct sched_cpu){ .cur = SCHED_NONE };
	for (int g = 0; g < SCHED_MAX_WORLDS; g++)
		s->g[g] = (struct sched_group){ .id = SCHED_NONE };
	s->ngslots = 0;
	s->cfg = *cfg;
	s->lag_clock = 0;
	return VMK_OK;
}

int sched_add_world(struct sched *s, int32_t id, const struct sched_params *p,
		    uint64_t affinity)
{
	if (!s || id < 0 || !params_ok(p) || !(affinity & online_mask(s)))
		return VMK_EINVAL;
	if (find(s, id) != SCHED_NONE)
		return VMK_EBUSY;
	int slot;
	for (slot = 0; slot < SCHED_MAX_WORLDS && s->w[slot].id != SCHED_NONE; slot++)
		;
	if (slot == SCHED_MAX_WORLDS)
		return VMK_ENOSPC;
	int cpu = place(s, affinity & online_mask(s), p->reservation_ppm, false);
	if (cpu == SCHED_NONE)
		return VMK_ERANGE;
	s->w[slot] = (struct sched_world){
		.id = id, .state = SCHED_BLOCKED, .cpu = (uint16_t)cpu, .p = *p,
		.affinity = affinity, .rate_ppm = 1, .vtime = s->c[cpu].vnow,
		.move_to = SCHED_NONE,
	};
	s->c[cpu].resv_ppm += p->reservation_ppm;
	s->c[cpu].nworlds++;
	if ((uint32_t)slot >= s->nslots)
		s->nslots = (uint32_t)slot + 1;
	return VMK_OK;
}

int sched_remove_world(struct sched *s, int32_t id)
{
	int slot = s ? find(s, id) : SCHED_NONE;
	if (slot == SCHED_NONE)
		return s && id >= 0 ? VMK_ENOENT : VMK_EINVAL;
	struct sched_world *w = &s->w[slot];
	if (w->state == SCHED_RUNNING)
		return VMK_EBUSY;
	s->c[w->cpu].resv_ppm -= w->p.reservation_ppm;
	s->c[w->cpu].nworlds--;
	bool grouped = w->grp != 0;
	group_leave(s, w);
	*w = (struct sched_world){ .id = SCHED_NONE, .move_to = SCHED_NONE };
	while (s->nslots && s->w[s->nslots - 1].id == SCHED_NONE)
		s->nslots--;
	recompute(s);
	if (grouped)
		co_update(s, 0);   /* it may have been its siblings' laggard */
	return VMK_OK;
}

/* Shared look-up for calls on one existing world. */
static int lookup(struct sched *s, int32_t id, int *slot)
{
	if (!s || id < 0)
		return VMK_EINVAL;
	*slot = find(s, id);
	return *slot == SCHED_NONE ? VMK_ENOENT : VMK_OK;
}

int sched_set_params(struct sched *s, int32_t id, const struct sched_params *p)
{
	int slot, err = lookup(s, id, &slot);
	if (err)
		return err;
	if (!params_ok(p))
		return VMK_EINVAL;
	struct sched_world *w = &s->w[slot];
	struct sched_cpu *c = &s->c[w->cpu];
	if (c->resv_ppm - w->p.reservation_ppm + p->reservation_ppm > PPM)
		return VMK_ERANGE;
	c->resv_ppm = c->resv_ppm - w->p.reservation_ppm + p->reservation_ppm;
	w->p = *p;
	if (w->credit_ns > burst_ns(s, w))
		w->credit_ns = burst_ns(s, w);
	recompute(s);
	return VMK_OK;
}

int sched_set_affinity(struct sched *s, int32_t id, uint64_t affinity)
{
	int slot, err = lookup(s, id, &slot);
	if (err)
		return err;
	if (!(affinity & online_mask(s)))
		return VMK_EINVAL;
	struct sched_world *w = &s->w[slot];
	if (!(affinity >> w->cpu & 1)) {
		if (w->state == SCHED_RUNNING)
			return VMK_EBUSY;
		int cpu = place(s, affinity & online_mask(s), w->p.reservation_ppm, false);
		if (cpu == SCHED_NONE)
			return VMK_ERANGE;
		migrate(s, slot, (uint32_t)cpu);
	}
	w->affinity = affinity;
	w->move_to = SCHED_NONE;   /* a pending rotation may not fit the mask */
	recompute(s);
	return VMK_OK;
}

int sched_world_info(const struct sched *s, int32_t id, struct sched_world_info *out)
{
	if (!s || id < 0 || !out)
		return VMK_EINVAL;
	int slot = find(s, id);
	if (slot == SCHED_NONE)
		return VMK_ENOENT;
	const struct sched_world *w = &s->w[slot];
	*out = (struct sched_world_info){
		.p = w->p, .affinity = w->affinity, .state = (enum sched_state)w->state,
		.cpu = w->cpu, .entitlement_ppm = w->ent_ppm,
		.rate_ppm = runnable(w) ? w->rate_ppm : 0, .run_ns = w->run_ns,
		.lag_ns = lag_of(w), .migrations = w->migrations,
		.group = w->grp ? s->g[w->grp - 1].id : SCHED_NONE,
		.skew_ns = skew_of(s, w), .lead_ns = lead_of(s, w),
		.lead_max_ns = w->lead_max_ns, .costopped = w->costopped != 0,
		.costops = w->costops, .costop_ns = w->costop_ns, .yields = w->yields,
	};
	return VMK_OK;
}

int sched_set_group(struct sched *s, int32_t id, int32_t group)
{
	if (!s || id < 0 || group < SCHED_NONE)
		return VMK_EINVAL;
	int slot = find(s, id);
	if (slot == SCHED_NONE)
		return VMK_ENOENT;
	struct sched_world *w = &s->w[slot];
	if ((w->grp ? s->g[w->grp - 1].id : SCHED_NONE) == group)
		return VMK_OK;
	group_leave(s, w);
	if (group != SCHED_NONE) {
		co_update(s, 0);
		group_join(s, w, group);
	}
	co_update(s, 0);
	return VMK_OK;
}

/* ---- blocking and waking ----------------------------------------------- */

/* Should the woken world w preempt what cpu runs?  Only if it is more than
 * wake_gran behind in virtual time, so wake-ups do not thrash; or if what
 * runs is co-stopped (it only fills time nothing else could use). */
static bool wake_preempts(const struct sched *s, uint32_t cpu, const struct sched_world *w)
{
	const struct sched_cpu *c = &s->c[cpu];
	if (c->cur == SCHED_NONE || s->w[c->cur].costopped)
		return true;
	uint64_t gran = muldiv(s->cfg.wake_gran_ns, PPM, w->rate_ppm);
	return w->vtime + gran < s->w[c->cur].vtime;
}

int sched_wake(struct sched *s, int32_t id, uint64_t now, int32_t *kick_cpu)
{
	int slot, err = lookup(s, id, &slot);
	if (err)
		return err;
	if (!kick_cpu)
		return VMK_EINVAL;
	*kick_cpu = SCHED_NONE;
	struct sched_world *w = &s->w[slot];
	if (w->state != SCHED_BLOCKED)
		return VMK_OK;      /* wake-ups race; the second is a no-op */
	/* Its own CPU is busy and another it may use is idle: go there. */
	if (!cpu_idle(s, w->cpu)) {
		uint64_t mask = w->affinity & online_mask(s) & ~((uint64_t)1 << w->cpu);
		int to = place(s, mask, w->p.reservation_ppm, true);
		if (to != SCHED_NONE)
			migrate(s, slot, (uint32_t)to);
	}
	if (!w->refill_valid) {
		w->refill_valid = 1;
		w->refill_t = now;
		w->credit_ns = run_threshold(s, w);
	}
	refill(s, w, now);
	/* Charge the running world at the rate it had before this wake-up. */
	if (now >= s->c[w->cpu].last)
		charge(s, w->cpu, now);
	/* SFQ start tag: the start tag of the world in service.  No credit
	 * for the time asleep, so no catch-up burst; the woken world may at
	 * most be ahead of the running one by what it ran of its slice. */
	if (w->vtime < s->c[w->cpu].vnow)
		w->vtime = s->c[w->cpu].vnow;
	accrue(s, now);
	if (w->grp) {
		co_update(s, now);
		level(s, w);
	}
	w->state = SCHED_READY;
	co_update(s, now);
	recompute(s);
	if (wake_preempts(s, w->cpu, w)) {
		s->c[w->cpu].need_resched = 1;
		*kick_cpu = w->cpu;
	}
	return VMK_OK;
}

int sched_block(struct sched *s, int32_t id, uint64_t now)
{
	int slot, err = lookup(s, id, &slot);
	if (err)
		return err;
	struct sched_world *w = &s->w[slot];
	struct sched_cpu *c = &s->c[w->cpu];
	if (w->state == SCHED_BLOCKED)
		return VMK_OK;
	if (w->state == SCHED_RUNNING && now < c->last)
		return VMK_EINVAL;
	if (w->state == SCHED_RUNNING) {
		charge(s, w->cpu, now);
		c->cur = SCHED_NONE;
		c->need_resched = 1;
	}
	accrue(s, now);
	w->state = SCHED_BLOCKED;
	w->yielded = 0;
	w->entitled_ns = w->run_ns;   /* a sleeper is owed nothing */
	co_update(s, now);            /* a blocked world is nobody's laggard */
	recompute(s);
	finish_move(s, slot);
	return VMK_OK;
}

int sched_yield_world(struct sched *s, int32_t id, uint64_t now)
{
	int slot, err = lookup(s, id, &slot);
	if (err)
		return err;
	struct sched_world *w = &s->w[slot];
	if (w->state != SCHED_RUNNING)
		return VMK_OK;
	if (now < s->c[w->cpu].last)
		return VMK_EINVAL;
	charge(s, w->cpu, now);
	w->yielded = 1;
	s->c[w->cpu].need_resched = 1;
	return VMK_OK;
}

/* ---- the per-CPU decisions --------------------------------------------- */

static int cpu_check(const struct sched *s, uint32_t cpu, uint64_t now)
{
	if (!s || cpu >= s->cfg.ncpus || now < s->c[cpu].last)
		return VMK_EINVAL;
	return VMK_OK;
}

static int steal(struct sched *s, uint32_t cpu, int local, uint64_t now, bool costopped_too);
static int pick_best(struct sched *s, uint32_t cpu, uint64_t now, int skip, bool costopped_too);

int sched_tick(struct sched *s, uint32_t cpu, uint64_t now)
{
	int err = cpu_check(s, cpu, now);
	if (err)
		return err;
	struct sched_cpu *c = &s->c[cpu];
	charge(s, cpu, now);
	co_update(s, now);
	if (c->need_resched)
		return 1;
	if (c->cur == SCHED_NONE)
		return cpu_has_eligible(s, cpu, now) ||
		       steal(s, cpu, SCHED_NONE, now, true) != SCHED_NONE;
	const struct sched_world *w = &s->w[c->cur];
	if (now >= c->slice_end || (limited(w) && w->credit_ns <= 0))
		return 1;
	/* A co-stopped world runs only where nothing else could (see
	 * sched_pick_next): give way as soon as something can. */
	return w->costopped && (pick_best(s, cpu, now, SCHED_NONE, false) != SCHED_NONE ||
				steal(s, cpu, SCHED_NONE, now, false) != SCHED_NONE);
}

/* Idle: how long until the first limited world here has enough credit. */
static uint64_t idle_hint(const struct sched *s, uint32_t cpu)
{
	uint64_t best = 0;
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->cpu != cpu || w->state != SCHED_READY)
			continue;
		uint64_t need = (uint64_t)(run_threshold(s, w) - w->credit_ns);
		uint64_t t = muldiv(need, PPM, w->p.limit_ppm) + 1;
		if (best == 0 || t < best)
			best = t;
	}
	return best;
}

/* Smallest virtual time among the eligible ready worlds of cpu, but skip
 * (a yielder) and, unless costopped_too, co-stopped worlds. */
static int pick_best(struct sched *s, uint32_t cpu, uint64_t now, int skip, bool costopped_too)
{
	int best = SCHED_NONE;
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->cpu != cpu || w->state != SCHED_READY ||
		    i == skip || (w->costopped && !costopped_too))
			continue;
		refill(s, w, now);
		if (!eligible(s, w))
			continue;
		if (best == SCHED_NONE || w->vtime < s->w[best].vtime)
			best = i;
	}
	return best;
}

/* A ready world of another CPU that this one should take instead: when it
 * would idle, the one furthest behind (work conservation); otherwise one
 * behind the local choice by more than steal_lag_ns.  This is what keeps
 * every world near its entitlement when no placement fits (three equal
 * worlds on two CPUs): whoever falls behind is taken by a CPU whose worlds
 * are ahead, so the shortfall rotates and lags stay bounded. */
static int steal(struct sched *s, uint32_t cpu, int local, uint64_t now, bool costopped_too)
{
	int best = SCHED_NONE;
	int64_t floor = local == SCHED_NONE ? INT64_MIN :
			lag_of(&s->w[local]) + (int64_t)s->cfg.steal_lag_ns;
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->state != SCHED_READY || w->cpu == cpu ||
		    (w->costopped && !costopped_too) ||
		    !(w->affinity >> cpu & 1) ||
		    s->c[cpu].resv_ppm + w->p.reservation_ppm > PPM)
			continue;
		refill(s, w, now);
		if (!eligible(s, w) || lag_of(w) <= floor)
			continue;
		if (best == SCHED_NONE || lag_of(w) > lag_of(&s->w[best]))
			best = i;
	}
	return best;
}

/* An idle CPU that may take one of the eligible worlds waiting on cpu. */
static int32_t idle_taker(const struct sched *s, uint32_t cpu)
{
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->cpu != cpu || w->state != SCHED_READY ||
		    !eligible(s, w))
			continue;
		for (uint32_t d = 0; d < s->cfg.ncpus; d++)
			if (d != cpu && (w->affinity >> d & 1) && cpu_idle(s, d) &&
			    s->c[d].resv_ppm + w->p.reservation_ppm <= PPM)
				return (int32_t)d;
	}
	return SCHED_NONE;
}

/* Directed yield: the ready sibling of the yielder furthest behind (the
 * likely lock holder, preempted) waiting on another CPU, if it may run here
 * and would win here by virtual time, so that a yield never lets a world
 * jump the queue of others (siblings yielding to each other in turn cannot
 * starve a third world). */
static int yield_pull(struct sched *s, uint32_t cpu, int yslot, int best, uint64_t now)
{
	const struct sched_world *y = &s->w[yslot];
	int pull = SCHED_NONE;
	if (!y->grp)
		return SCHED_NONE;
	for (int i = 0; i < (int)s->nslots; i++) {
		struct sched_world *w = &s->w[i];
		if (w->grp != y->grp || w->state != SCHED_READY || w->cpu == cpu ||
		    w->costopped || !(w->affinity >> cpu & 1) ||
		    s->c[cpu].resv_ppm + w->p.reservation_ppm > PPM)
			continue;
		refill(s, w, now);
		if (eligible(s, w) && (pull == SCHED_NONE || prog_of(w) < prog_of(&s->w[pull])))
			pull = i;
	}
	if (pull == SCHED_NONE || best == SCHED_NONE)
		return pull;
	const struct sched_world *w = &s->w[pull];
	uint64_t vnow = s->c[w->cpu].vnow, lead = w->vtime > vnow ? w->vtime - vnow : 0;
	return s->c[cpu].vnow + lead < s->w[best].vtime ? pull : SCHED_NONE;
}

/* One pass of the choice: the local world with the least virtual time
 * (passing skip over), or a world taken from another CPU (directed yield
 * first, then stealing), which moves here. */
static int choose(struct sched *s, uint32_t cpu, uint64_t now, int skip, bool costopped_too)
{
	int best = pick_best(s, cpu, now, skip, costopped_too);
	int far = SCHED_NONE;
	if (skip != SCHED_NONE && !costopped_too)
		far = yield_pull(s, cpu, skip, best, now);
	if (far == SCHED_NONE)
		far = steal(s, cpu, best, now, costopped_too);
	if (far != SCHED_NONE) {
		migrate(s, far, cpu);
		recompute(s);
		best = far;
	}
	return best;
}

int sched_pick_next(struct sched *s, uint32_t cpu, uint64_t now, struct sched_pick *out)
{
	int err = cpu_check(s, cpu, now);
	if (err || !out)
		return err ? err : VMK_EINVAL;
	struct sched_cpu *c = &s->c[cpu];
	charge(s, cpu, now);
	co_update(s, now);
	int prev = c->cur, skip = SCHED_NONE;
	c->cur = SCHED_NONE;
	c->need_resched = 0;
	if (prev != SCHED_NONE) {
		s->w[prev].state = SCHED_READY;
		if (s->w[prev].yielded) {
			s->w[prev].yielded = 0;
			skip = prev;
		}
		finish_move(s, prev);
	}
	accrue(s, now);
	/* Co-stopped worlds run only where nothing else can: co-stopping
	 * never idles a CPU.  Any other world that may run here is taken
	 * first, stolen if need be, the laggard included; so a co-stopped
	 * world runs ahead only of a laggard that cannot come here (affinity,
	 * limit, reservations): then the group is not starved, nor a CPU
	 * wasted, and the skew it gains is capped (forgive()). */
	int best = choose(s, cpu, now, skip, false);
	if (best == SCHED_NONE && relaxed(s))
		best = choose(s, cpu, now, skip, true);
	if (best == SCHED_NONE && skip != SCHED_NONE && s->w[skip].cpu == cpu &&
	    eligible(s, &s->w[skip]))
		best = skip;   /* nothing else: the yielder runs on */
	else if (skip != SCHED_NONE && best != SCHED_NONE)
		s->w[skip].yields++;
	if (best == SCHED_NONE) {
		*out = (struct sched_pick){ .world = SCHED_NONE, .kick_cpu = SCHED_NONE,
					    .slice_ns = idle_hint(s, cpu) };
		return VMK_OK;
	}
	struct sched_world *w = &s->w[best];
	uint64_t slice = s->cfg.slice_ns;
	if (limited(w) && (uint64_t)w->credit_ns < slice)
		slice = (uint64_t)w->credit_ns;
	slice = co_slice(s, w, slice);
	w->state = SCHED_RUNNING;
	c->cur = best;
	if (w->vtime > c->vnow)
		c->vnow = w->vtime;
	c->slice_end = now + slice;
	*out = (struct sched_pick){ .world = w->id, .kick_cpu = idle_taker(s, cpu),
				    .slice_ns = slice };
	return VMK_OK;
}

/* ---- load balancing ---------------------------------------------------- */

/* The move that most reduces the sum of squared CPU loads: moving load x
 * from a to b reduces it by 2x(La - Lb - x).  Requiring La - Lb - x to be at
 * least balance_min also means no move is ever undone by the next one. */
static int best_move(const struct sched *s, uint32_t *to, uint64_t *gain_out)
{
	int best = SCHED_NONE;
	uint64_t best_gain = 0;
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *w = &s->w[i];
		if (w->id == SCHED_NONE || w->state != SCHED_READY)
			continue;
		uint64_t la = s->c[w->cpu].load_ppm, x = w->ent_ppm;
		for (uint32_t d = 0; d < s->cfg.ncpus; d++) {
			uint64_t lb = s->c[d].load_ppm;
			if (d == w->cpu || !(w->affinity >> d & 1) ||
			    s->c[d].resv_ppm + w->p.reservation_ppm > PPM ||
			    la < lb + x + s->cfg.balance_min_ppm)
				continue;
			uint64_t gain = x * (la - lb - x);
			if (gain > best_gain) {
				best_gain = gain;
				best = i;
				*to = d;
			}
		}
	}
	*gain_out = best_gain;
	return best;
}

/* Can x (ready on a) and y (on b, ready or running) trade places? */
static bool swap_ok(const struct sched *s, const struct sched_world *x,
		    const struct sched_world *y)
{
	uint32_t a = x->cpu, b = y->cpu;
	return y->id != SCHED_NONE && runnable(y) && y->move_to == SCHED_NONE &&
	       b != a && (x->affinity >> b & 1) && (y->affinity >> a & 1) &&
	       s->c[b].resv_ppm - y->p.reservation_ppm + x->p.reservation_ppm <= PPM &&
	       s->c[a].resv_ppm - x->p.reservation_ppm + y->p.reservation_ppm <= PPM;
}

/* The rotation: x, ready on an over-committed CPU, furthest behind; y, on a
 * lighter CPU, furthest ahead; swap if they differ by more than a slice. */
static bool best_swap(const struct sched *s, int *xs, int *ys)
{
	int64_t best = (int64_t)s->cfg.slice_ns;
	bool found = false;
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *x = &s->w[i];
		if (x->id == SCHED_NONE || x->state != SCHED_READY ||
		    s->c[x->cpu].load_ppm <= PPM + s->cfg.balance_min_ppm)
			continue;
		for (int j = 0; j < (int)s->nslots; j++) {
			const struct sched_world *y = &s->w[j];
			uint32_t dx = x->ent_ppm, dy = y->ent_ppm;
			if (!swap_ok(s, x, y) || s->c[y->cpu].load_ppm >= s->c[x->cpu].load_ppm ||
			    (dx > dy ? dx - dy : dy - dx) > s->cfg.balance_min_ppm ||
			    lag_of(x) - lag_of(y) <= best)
				continue;
			best = lag_of(x) - lag_of(y);
			*xs = i;
			*ys = j;
			found = true;
		}
	}
	return found;
}

/* A swap of x (load dx) for y (dy < dx) moves dx - dy, like a move: it is
 * how {0.2, 0.6} / {0.4, 0.8} becomes {0.4, 0.6} / {0.2, 0.8}. */
static uint64_t best_even_swap(const struct sched *s, int *xs, int *ys)
{
	uint64_t best = 0;
	for (int i = 0; i < (int)s->nslots; i++) {
		const struct sched_world *x = &s->w[i];
		if (x->id == SCHED_NONE || x->state != SCHED_READY)
			continue;
		uint64_t la = s->c[x->cpu].load_ppm;
		for (int j = 0; j < (int)s->nslots; j++) {
			const struct sched_world *y = &s->w[j];
			uint64_t lb = s->c[y->cpu].load_ppm, d = x->ent_ppm - (uint64_t)y->ent_ppm;
			if (y->ent_ppm >= x->ent_ppm || !swap_ok(s, x, y) ||
			    la < lb + d + s->cfg.balance_min_ppm || d * (la - lb - d) <= best)
				continue;
			best = d * (la - lb - d);
			*xs = i;
			*ys = j;
		}
	}
	return best;
}

static void do_swap(struct sched *s, int x, int y, struct sched_migration *out)
{
	uint32_t a = s->w[x].cpu, b = s->w[y].cpu;
	out[0] = (struct sched_migration){ .world = s->w[x].id, .from_cpu = a, .to_cpu = b };
	out[1] = (struct sched_migration){ .world = s->w[y].id, .from_cpu = b, .to_cpu = a };
	migrate(s, x, b);
	if (s->w[y].state == SCHED_RUNNING) {
		s->w[y].move_to = (int32_t)a;
		s->c[b].need_resched = 1;
		out[1].pending = true;
	} else {
		migrate(s, y, a);
	}
	recompute(s);
}

int sched_balance(struct sched *s, uint64_t now, struct sched_migration *out,
		  uint32_t max, uint32_t *n)
{
	if (!s || !n || (max && !out))
		return VMK_EINVAL;
	*n = 0;
	accrue(s, now);
	int x = SCHED_NONE, y = SCHED_NONE;
	while (*n < max) {
		uint32_t to = 0;
		uint64_t gain_move, gain_swap = 0;
		int slot = best_move(s, &to, &gain_move);
		if (max - *n >= 2)
			gain_swap = best_even_swap(s, &x, &y);
		if (gain_swap > gain_move) {
			bool pending = s->w[y].state == SCHED_RUNNING;
			do_swap(s, x, y, out + *n);
			*n += 2;
			if (pending)    /* loads are stale until it moves */
				break;
			continue;
		}
		if (slot == SCHED_NONE)
			break;
		out[*n] = (struct sched_migration){
			.world = s->w[slot].id, .from_cpu = s->w[slot].cpu, .to_cpu = to,
		};
		migrate(s, slot, to);
		recompute(s);
		(*n)++;
	}
	if (*n == 0 && max >= 2 && best_swap(s, &x, &y)) {
		do_swap(s, x, y, out);
		*n = 2;
	}
	return VMK_OK;
}

int sched_add_cpu(struct sched *s, uint64_t now)
{
	if (!s || now < s->lag_clock)
		return VMK_EINVAL;
	for (uint32_t c = 0; c < s->cfg.ncpus; c++)
		if (now < s->c[c].last)
			return VMK_EINVAL;
	if (s->cfg.ncpus >= SCHED_MAX_CPUS)
		return VMK_ENOSPC;
	accrue(s, now);   /* entitlements so far, at the old capacity */
	uint32_t c = s->cfg.ncpus++;
	s->c[c] = (struct sched_cpu){ .cur = SCHED_NONE, .last = now };
	recompute(s);
	return (int)c;
}
