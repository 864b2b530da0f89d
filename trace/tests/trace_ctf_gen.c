/* Writes a small vmk trace through the real rings and the CTF writer, plus
 * the list of what a reader must find in it (expected.json), built from what
 * the generator wrote and the ring's documented semantics, not from what the
 * reader reported.  trace_ctf_check.py then reads the trace with babeltrace2.
 *
 *   trace_ctf_gen OUTDIR     -> OUTDIR/ctf/ (the trace), OUTDIR/expected.json
 *
 * CPU 0 runs in overwrite mode, CPU 1 in drop-new mode, both with 8 slots, in
 * phases of "write n events, then drain", so that both kinds of loss appear
 * at known places.  Timestamps are synthetic, so the order across CPUs is
 * known too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_ctf.h"

#define SLOTS    8u
#define FREQ_HZ  2000000000ull

struct gen {
	struct trace_writer w[2];
	struct trace_reader r[2];
	struct trace_ring_cons cons[2];
	void *mem[2];
	struct trace_ctf *ctf;
	FILE *exp;
	uint64_t tsc;
	unsigned seq;            /* events attempted, all CPUs */
	int first_item;
};

static void exp_sep(struct gen *g)
{
	fprintf(g->exp, "%s\n  ", g->first_item ? "" : ",");
	g->first_item = 0;
}

/* Fills the payload of the seq-th event (its type cycles through all of
 * them) and returns its id. */
static uint16_t make_payload(unsigned seq, uint64_t p[4])
{
	uint16_t id = (uint16_t)(1 + seq % (TRACE_EV_COUNT - 1));

	memset(p, 0, 32);
	/* Field values from seq so every event differs; the ABI structs and
	 * the descriptor table agree on offsets, so raw bytes are enough. */
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint64_t)(seq + 1) * 0x0001000100010001ull * (i + 1);
	if (id == TRACE_EV_HYPERCALL) {
		struct trace_p_hypercall h = { .nr = seq, .ret = -(int32_t)seq,
					       .arg0 = 0xdead0000u + seq,
					       .arg1 = seq * 7ull };
		memcpy(p, &h, sizeof(h));
	}
	return id;
}

static void exp_event(struct gen *g, unsigned cpu, uint16_t id, uint64_t tsc,
		      uint32_t world, const uint64_t p[4])
{
	const struct trace_event_desc *d = &trace_event_descs[id];
	const uint8_t *b = (const uint8_t *)p;

	exp_sep(g);
	fprintf(g->exp, "{\"cpu\": %u, \"name\": \"%s\", \"ts\": %llu, "
		"\"world_id\": %u, \"fields\": {", cpu, d->name,
		(unsigned long long)tsc, world);
	for (unsigned i = 0; i < d->nr_fields; i++) {
		const struct trace_field *f = &d->fields[i];
		uint64_t v = 0;
		memcpy(&v, b + f->offset, f->size);
		if (f->is_signed && f->size == 4)
			fprintf(g->exp, "%s\"%s\": %d", i ? ", " : "", f->name,
				(int32_t)v);
		else
			fprintf(g->exp, "%s\"%s\": %llu", i ? ", " : "",
				f->name, (unsigned long long)v);
	}
	fprintf(g->exp, "}}");
}

static void exp_lost(struct gen *g, unsigned cpu, uint64_t n)
{
	if (!n)
		return;
	exp_sep(g);
	fprintf(g->exp, "{\"cpu\": %u, \"lost\": %llu}", cpu,
		(unsigned long long)n);
}

/* Writes @n events on @cpu, then drains that CPU into the trace.  The
 * expectation follows the mode: overwrite keeps the newest SLOTS, drop-new
 * the oldest SLOTS (the reader drained everything before the phase). */
static int phase(struct gen *g, unsigned cpu, unsigned n)
{
	unsigned keep = n < SLOTS ? n : SLOTS;
	unsigned first_kept = cpu == 0 ? n - keep : 0;
	uint64_t p[4];

	if (cpu == 0)
		exp_lost(g, cpu, n - keep);
	for (unsigned i = 0; i < n; i++) {
		uint16_t id = make_payload(g->seq++, p);
		uint32_t world = 100 + cpu * 10 + i % 3;
		g->tsc += 1000;
		trace_set_world(&g->w[cpu], world);
		trace_ring_write(&g->w[cpu], g->tsc, id, p[0], p[1], p[2], p[3]);
		if (i >= first_kept && i < first_kept + keep)
			exp_event(g, cpu, id, g->tsc, world, p);
	}
	if (cpu == 1)
		exp_lost(g, cpu, n - keep);
	return trace_ctf_drain(g->ctf, cpu, &g->r[cpu]) < 0;
}

static int rings_init(struct gen *g)
{
	for (unsigned c = 0; c < 2; c++) {
		size_t bytes = trace_ring_bytes(SLOTS);
		g->mem[c] = aligned_alloc(64, bytes);
		if (!g->mem[c] ||
		    trace_writer_init(&g->w[c], g->mem[c], bytes, SLOTS, (uint16_t)c,
				      c ? TRACE_MODE_DROP_NEW : TRACE_MODE_OVERWRITE,
				      &g->cons[c]) ||
		    trace_reader_init(&g->r[c], g->mem[c], bytes, &g->cons[c]))
			return 1;
		trace_set_enabled(&g->w[c], TRACE_EV_ALL);
	}
	return 0;
}

static int open_outputs(struct gen *g, const char *out, struct trace_ctf_params *p)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/expected.json", out);
	g->exp = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/ctf", out);
	if (!g->exp || trace_clock_sync(FREQ_HZ, &p->clock))
		return 1;
	p->nr_cpus = 2;
	p->start_tsc = g->tsc;
	p->packet_events = 5;    /* several packets even in a small trace */
	p->hostname = "vmk-test";
	return trace_ctf_open(&g->ctf, path, p) != 0;
}

int main(int argc, char **argv)
{
	static const unsigned plan[][2] = {
		{ 0, 5 }, { 1, 10 }, { 0, 20 }, { 1, 4 }, { 0, 3 }, { 1, 12 },
		{ 0, 8 }, { 1, 1 },
	};
	struct gen g = { .tsc = 1000000, .first_item = 1 };
	struct trace_ctf_params p = { 0 };
	int bad = 0;

	if (argc != 2 || rings_init(&g) || open_outputs(&g, argv[1], &p)) {
		fprintf(stderr, "usage: trace_ctf_gen OUTDIR (setup failed)\n");
		return 2;
	}
	fprintf(g.exp, "{\"freq\": %llu, \"offset_s\": %lld, \"offset_cycles\": "
		"%llu, \"items\": [", (unsigned long long)p.clock.freq_hz,
		(long long)p.clock.offset_s,
		(unsigned long long)p.clock.offset_cycles);
	for (unsigned i = 0; i < sizeof(plan) / sizeof(plan[0]); i++)
		bad |= phase(&g, plan[i][0], plan[i][1]);
	fprintf(g.exp, "\n]}\n");
	bad |= fclose(g.exp) != 0;
	bad |= trace_ctf_close(g.ctf) != 0;
	return bad;
}
