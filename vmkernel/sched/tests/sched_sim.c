/* sched_sim: run the scheduler policy on a synthetic clock and print, per
 * world, the CPU time it was entitled to and the time it received, as JSON
 * (for plotting).  No real time is involved: output is identical run to run.
 *
 *   sched_sim [--scenario NAME|all] [--ms WINDOW] [--check PCT] [--cosched MODE]
 *   sched_sim --cpus N --world SHARES:RESV_PPM:LIMIT_PPM[:AFFINITY_HEX[:GROUP]] ...
 *
 * --check PCT exits 1 if any world is further than PCT% from its
 * entitlement.  --cosched none|relaxed|both: the co-scheduling mode (both:
 * every scenario once in each); worlds with a GROUP (>= 0) are siblings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "sched_harness.h"

#define MS 1000000ull
#define PPM SCHED_CPU_PPM

/* grp: the world's group + 1 (0: none), so that specs without one need not say. */
struct world_spec { uint32_t shares, resv, limit; uint64_t aff; int32_t grp; };

struct scenario {
	const char *name;
	uint32_t ncpus;
	unsigned nworlds;
	struct world_spec w[16];
	int (*script)(struct harness *h, uint64_t window);  /* NULL: just run */
};

/* World 1 sleeps through the middle third of the window. */
static int script_block(struct harness *h, uint64_t window)
{
	int err = h_run(h, window / 3);
	err = err ? err : h_block(h, 1);
	err = err ? err : h_run(h, 2 * window / 3);
	err = err ? err : h_wake(h, 1);
	return err ? err : h_run(h, window);
}

/* All worlds start pinned to CPU 0 for a second, then three are let go and
 * balancing spreads them.  The counters start when they are let go: while
 * pinned, affinity (which entitlements ignore) is what holds them back. */
static int script_balance(struct harness *h, uint64_t window)
{
	int err = h_run(h, 1000 * MS);
	for (int32_t i = 1; !err && i < 4; i++)
		err = sched_set_affinity(&h->s, i, 3);
	h_reset_counters(h);
	return err ? err : h_run(h, 1000 * MS + window);
}

static const struct scenario scenarios[] = {
	{ "shares", 1, 4, { { 1000, 0, PPM, 1, 0 }, { 2000, 0, PPM, 1, 0 },
			    { 3000, 0, PPM, 1, 0 }, { 4000, 0, PPM, 1, 0 } }, NULL },
	{ "reservation", 1, 3, { { 100, 400000, PPM, 1, 0 }, { 1000, 0, PPM, 1, 0 },
				 { 2000, 0, PPM, 1, 0 } }, NULL },
	{ "limit", 1, 2, { { 3000, 0, 200000, 1, 0 }, { 1000, 0, 500000, 1, 0 } }, NULL },
	{ "block", 1, 3, { { 1000, 0, PPM, 1, 0 }, { 1000, 0, PPM, 1, 0 },
			   { 2000, 0, PPM, 1, 0 } }, script_block },
	{ "balance", 2, 4, { { 1000, 0, PPM, 1, 0 }, { 1000, 0, PPM, 1, 0 },
			     { 1000, 0, PPM, 1, 0 }, { 1000, 0, PPM, 1, 0 } }, script_balance },
	{ "pack", 2, 3, { { 2000, 0, PPM, 3, 0 }, { 1000, 0, PPM, 3, 0 },
			  { 1000, 0, PPM, 3, 0 } }, NULL },
	{ "rotate", 2, 3, { { 1000, 0, PPM, 3, 0 }, { 1000, 0, PPM, 3, 0 },
			    { 1000, 0, PPM, 3, 0 } }, NULL },
	/* Issue 5: a 3-vCPU VM (group 1) beside a 1-vCPU VM of twice a vCPU's
	 * shares (group 2) on two CPUs: 0.4, 0.4, 0.4 and 0.8, no packing. */
	{ "smp", 2, 4, { { 1000, 0, PPM, 3, 2 }, { 1000, 0, PPM, 3, 2 },
			 { 1000, 0, PPM, 3, 2 }, { 2000, 0, PPM, 3, 3 } }, NULL },
};

static const char *const mode_names[] = { "none", "relaxed" };

static bool known(const char *name)
{
	if (!strcmp(name, "all") || !strcmp(name, "custom"))
		return true;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(name, scenarios[i].name))
			return true;
	return false;
}

static void print_json(const struct scenario *sc, const struct harness *h,
		       uint64_t window, int first)
{
	uint64_t costops = 0;
	for (unsigned i = 0; i < sc->nworlds; i++) {
		struct sched_world_info wi;
		sched_world_info(&h->s, (int32_t)i, &wi);
		costops += wi.costops;
	}
	printf("%s  {\"name\": \"%s\", \"ncpus\": %u, \"window_ns\": %llu, "
	       "\"balance_migrations\": %llu, \"cosched\": \"%s\", \"costops\": %llu,\n"
	       "   \"idle_ns\": [", first ? "" : ",\n",
	       sc->name, sc->ncpus, (unsigned long long)window,
	       (unsigned long long)h->migrations, mode_names[h->s.cfg.cosched],
	       (unsigned long long)costops);
	for (uint32_t c = 0; c < sc->ncpus; c++)
		printf("%s%llu", c ? ", " : "", (unsigned long long)h->idle_ns[c]);
	printf("],\n   \"worlds\": [\n");
	for (unsigned i = 0; i < sc->nworlds; i++) {
		const struct world_spec *w = &sc->w[i];
		struct sched_world_info wi;
		sched_world_info(&h->s, (int32_t)i, &wi);
		printf("    {\"id\": %u, \"shares\": %u, \"reservation_ppm\": %u, "
		       "\"limit_ppm\": %u, \"cpu\": %u, \"entitled_ns\": %llu, "
		       "\"received_ns\": %llu, \"error_pct\": %.3f, \"migrations\": %u, "
		       "\"group\": %d, \"lead_max_ns\": %llu, \"costops\": %u, "
		       "\"costop_ns\": %llu}%s\n",
		       i, w->shares, w->resv, w->limit, wi.cpu,
		       (unsigned long long)h->entitled[i],
		       (unsigned long long)h->received[i],
		       100 * h_error(h, (int32_t)i), wi.migrations, wi.group,
		       (unsigned long long)wi.lead_max_ns, wi.costops,
		       (unsigned long long)wi.costop_ns,
		       i + 1 < sc->nworlds ? "," : "");
	}
	printf("   ]}");
}

/* Returns the worst |error| in percent, or -1 on a policy error. */
/* Added, put in its group while still blocked, then woken. */
static int add_world(struct harness *h, int32_t id, const struct world_spec *w)
{
	struct sched_params p = { w->shares, w->resv, w->limit };
	int err = sched_add_world(&h->s, id, &p, w->aff);
	if (!err && w->grp)
		err = sched_set_group(&h->s, id, w->grp - 1);
	return err ? err : h_wake(h, id);
}

static double run_one(const struct scenario *sc, uint32_t mode, uint64_t window, int first)
{
	static struct harness h;
	struct sched_config cfg;
	sched_config_default(&cfg, sc->ncpus);
	cfg.cosched = mode;
	if (h_init(&h, sc->ncpus, &cfg))
		return -1;
	if (sc->ncpus > 1)
		h.balance_ns = 100 * MS;   /* as the vmkernel's housekeeping would */
	for (unsigned i = 0; i < sc->nworlds; i++) {
		int err = add_world(&h, (int32_t)i, &sc->w[i]);
		if (err) {
			fprintf(stderr, "world %u: %s\n", i, vmk_strerror(err));
			return -1;
		}
	}
	int err = sc->script ? sc->script(&h, window) : h_run(&h, window);
	if (err) {
		fprintf(stderr, "%s: %s\n", sc->name, vmk_strerror(err));
		return -1;
	}
	print_json(sc, &h, window, first);
	double worst = 0;
	for (unsigned i = 0; i < sc->nworlds; i++)
		worst = fmax(worst, fabs(100 * h_error(&h, (int32_t)i)));
	return worst;
}

static int parse_world(const char *arg, struct world_spec *w)
{
	unsigned long long aff = ~0ull;
	int32_t group = -1;
	int n = sscanf(arg, "%u:%u:%u:%llx:%d", &w->shares, &w->resv, &w->limit, &aff, &group);
	w->aff = aff;
	w->grp = group >= 0 ? group + 1 : 0;
	return n >= 3 ? 0 : -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: sched_sim [--scenario NAME|all] [--ms N] [--check PCT]"
		" [--cosched none|relaxed|both]\n"
		"       sched_sim --cpus N --world SHARES:RESV_PPM:LIMIT_PPM[:AFF_HEX[:GROUP]] ...\n"
		"scenarios:");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fprintf(stderr, "\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name = "all";
	uint64_t window = 10000 * MS;
	double check = -1;
	uint32_t mode_lo = SCHED_COSCHED_NONE, mode_hi = SCHED_COSCHED_NONE;
	static struct scenario custom = { "custom", 1, 0, { { 0 } }, NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--scenario"))
			name = v;
		else if (!strcmp(a, "--ms"))
			window = strtoull(v, NULL, 0) * MS;
		else if (!strcmp(a, "--check"))
			check = strtod(v, NULL);
		else if (!strcmp(a, "--cosched") && !strcmp(v, "none"))
			mode_lo = mode_hi = SCHED_COSCHED_NONE;
		else if (!strcmp(a, "--cosched") && !strcmp(v, "relaxed"))
			mode_lo = mode_hi = SCHED_COSCHED_RELAXED;
		else if (!strcmp(a, "--cosched") && !strcmp(v, "both"))
			mode_lo = SCHED_COSCHED_NONE, mode_hi = SCHED_COSCHED_RELAXED;
		else if (!strcmp(a, "--cpus"))
			custom.ncpus = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--world") && custom.nworlds < 16 &&
			 !parse_world(v, &custom.w[custom.nworlds]))
			custom.nworlds++, name = "custom";
		else
			return usage();
	}
	if (window == 0 || !known(name))
		return usage();
	double worst = 0;
	int ran = 0;
	printf("{\"scenarios\": [\n");
	for (uint32_t mode = mode_lo; mode <= mode_hi && worst >= 0; mode++) {
		if (!strcmp(name, "custom")) {
			double e = run_one(&custom, mode, window, !ran);
			worst = e < 0 ? e : fmax(worst, e);
			ran++;
		}
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]) && worst >= 0; i++) {
			if (strcmp(name, "all") && strcmp(name, scenarios[i].name))
				continue;
			double e = run_one(&scenarios[i], mode, window, !ran);
			worst = e < 0 ? e : fmax(worst, e);
			ran++;
		}
	}
	printf("\n]}\n");
	if (worst < 0)
		return 1;
	return check >= 0 && worst > check ? 1 : 0;
}
