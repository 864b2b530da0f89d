/* Hosted CTF 1.8 writer for drained vmk trace records (see trace_ctf.h).
 * Written from the CTF 1.8 specification: every structure is byte aligned and
 * little endian, so the binary side is a plain concatenation of integers. */
#include "trace_ctf.h"

#include <vmk/err.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACE_CTF_MAGIC       0xC1FC1FC1u
#define TRACE_CTF_DEF_PACKET  4096u
/* packet header (magic, uuid, stream_id) + packet context (4 x u64 times and
 * sizes, events_discarded, cpu_id) */
#define TRACE_CTF_PKT_HDR     (4 + 16 + 4)
#define TRACE_CTF_PKT_CTX     (8 * 5 + 4)

struct trace_ctf_stream {
	FILE *f;
	unsigned cpu;
	uint8_t *buf;            /* event bytes of the open packet */
	size_t len, cap;
	unsigned nr_events;
	uint64_t ts_begin, ts_last;
	uint64_t discarded;      /* cumulative, as written in packets so far */
	uint64_t pending_lost;   /* lost since the last event appended */
	uint64_t packets;
};

struct trace_ctf {
	struct trace_ctf_params p;
	uint8_t uuid[16];
	struct trace_ctf_stream *streams;
};

static void trace_put(uint8_t *dst, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		dst[i] = (uint8_t)(v >> (8 * i));
}

static int trace_buf_reserve(struct trace_ctf_stream *s, size_t more)
{
	size_t cap = s->cap ? s->cap : 4096;
	uint8_t *nb;

	if (s->len + more <= s->cap)
		return 0;
	while (cap < s->len + more)
		cap *= 2;
	nb = realloc(s->buf, cap);
	if (!nb)
		return VMK_ENOMEM;
	s->buf = nb;
	s->cap = cap;
	return 0;
}

static void trace_uuid_str(const uint8_t u[16], char out[37])
{
	static const unsigned dash[] = { 4, 6, 8, 10 };
	unsigned o = 0, d = 0;

	for (unsigned i = 0; i < 16; i++) {
		if (d < 4 && i == dash[d]) {
			out[o++] = '-';
			d++;
		}
		o += (unsigned)sprintf(out + o, "%02x", u[i]);
	}
	out[o] = 0;
}

/* A random (version 4) uuid: traces from different sessions must differ,
 * since babeltrace2 treats equal uuids as one trace. */
static void trace_uuid_make(uint8_t u[16])
{
	int fd = open("/dev/urandom", O_RDONLY);
	ssize_t got = fd >= 0 ? read(fd, u, 16) : -1;

	if (fd >= 0)
		close(fd);
	if (got != 16) {
		uint64_t x = __builtin_ia32_rdtsc() ^ (uint64_t)getpid() << 32;
		for (unsigned i = 0; i < 16; i++, x = x * 6364136223846793005u + 1)
			u[i] = (uint8_t)(x >> 56);
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}

static void trace_meta_prologue(FILE *f, const struct trace_ctf *t)
{
	char uuid[37];

	trace_uuid_str(t->uuid, uuid);
	fprintf(f, "/* CTF 1.8 */\n\n");
	for (unsigned b = 8; b <= 64; b *= 2)
		fprintf(f, "typealias integer { size = %u; align = 8; "
			"signed = false; } := uint%u_t;\n", b, b);
	fprintf(f, "\ntrace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%s\";\n"
		"\tbyte_order = le;\n\tpacket.header := struct {\n"
		"\t\tuint32_t magic;\n\t\tuint8_t uuid[16];\n"
		"\t\tuint32_t stream_id;\n\t} align(8);\n};\n\n", uuid);
}

static void trace_meta_env(FILE *f, const struct trace_ctf *t)
{
	char host[256] = "unknown";

	if (t->p.hostname)
		snprintf(host, sizeof(host), "%s", t->p.hostname);
	else if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "unknown");
	fprintf(f, "env {\n\tdomain = \"vmk\";\n\ttracer_name = \"vmk\";\n"
		"\ttracer_major = %u;\n\ttracer_minor = %u;\n"
		"\thostname = \"%s\";\n\tclock_source = \"tsc\";\n};\n\n",
		VMK_TRACE_VERSION_MAJOR, VMK_TRACE_VERSION_MINOR, host);
}

/* absolute = TRUE: the clock's origin is the Unix epoch, which is what lets
 * babeltrace2 merge this trace with LTTng traces of the same machine. */
static void trace_meta_clock(FILE *f, const struct trace_ctf *t)
{
	char uuid[37];
	uint8_t cu[16];

	memcpy(cu, t->uuid, 16);
	cu[15] ^= 0x5a;          /* the clock's own uuid, derived, distinct */
	trace_uuid_str(cu, uuid);
	fprintf(f, "clock {\n\tname = \"vmk_tsc\";\n\tuuid = \"%s\";\n"
		"\tdescription = \"vmkernel TSC\";\n\tfreq = %llu;\n"
		"\tprecision = 1;\n\toffset_s = %lld;\n\toffset = %llu;\n"
		"\tabsolute = TRUE;\n};\n\n", uuid,
		(unsigned long long)t->p.clock.freq_hz,
		(long long)t->p.clock.offset_s,
		(unsigned long long)t->p.clock.offset_cycles);
	fprintf(f, "typealias integer { size = 64; align = 8; signed = false; "
		"map = clock.vmk_tsc.value; } := uint64_clock_t;\n\n");
}

static void trace_meta_stream(FILE *f)
{
	fprintf(f, "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
		"\t\tuint64_clock_t timestamp_begin;\n"
		"\t\tuint64_clock_t timestamp_end;\n"
		"\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n"
		"\t\tuint64_t events_discarded;\n\t\tuint32_t cpu_id;\n"
		"\t} align(8);\n\tevent.header := struct {\n"
		"\t\tuint16_t id;\n\t\tuint64_clock_t timestamp;\n"
		"\t} align(8);\n\tevent.context := struct {\n"
		"\t\tuint32_t world_id;\n\t} align(8);\n};\n\n");
}

static void trace_meta_event(FILE *f, unsigned id,
			     const struct trace_event_desc *d)
{
	fprintf(f, "event {\n\tname = \"%s\";\n\tid = %u;\n\tstream_id = 0;\n"
		"\tfields := struct {\n", d->name, id);
	for (unsigned i = 0; i < d->nr_fields; i++) {
		const struct trace_field *fl = &d->fields[i];
		fprintf(f, "\t\tinteger { size = %u; align = 8; signed = %s; "
			"base = %u; } %s;\n", fl->size * 8u,
			fl->is_signed ? "true" : "false", fl->base, fl->name);
	}
	fprintf(f, "\t} align(8);\n};\n\n");
}

static int trace_meta_write(const struct trace_ctf *t, const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/metadata", dir);
	f = fopen(path, "w");
	if (!f)
		return VMK_EIO;
	trace_meta_prologue(f, t);
	trace_meta_env(f, t);
	trace_meta_clock(f, t);
	trace_meta_stream(f);
	for (unsigned id = 1; id < TRACE_EV_COUNT; id++)
		if (trace_event_descs[id].name)
			trace_meta_event(f, id, &trace_event_descs[id]);
	return fclose(f) == 0 ? 0 : VMK_EIO;
}

static int trace_streams_open(struct trace_ctf *t, const char *dir)
{
	char path[4096];

	t->streams = calloc(t->p.nr_cpus, sizeof(*t->streams));
	if (!t->streams)
		return VMK_ENOMEM;
	for (unsigned c = 0; c < t->p.nr_cpus; c++) {
		struct trace_ctf_stream *s = &t->streams[c];
		snprintf(path, sizeof(path), "%s/vmk_%u", dir, c);
		s->f = fopen(path, "wb");
		if (!s->f)
			return VMK_EIO;
		s->cpu = c;
		s->ts_begin = s->ts_last = t->p.start_tsc;
	}
	return 0;
}

static void trace_ctf_free(struct trace_ctf *t)
{
	for (unsigned c = 0; t->streams && c < t->p.nr_cpus; c++) {
		if (t->streams[c].f)
			fclose(t->streams[c].f);
		free(t->streams[c].buf);
	}
	free(t->streams);
	free(t);
}

int trace_ctf_open(struct trace_ctf **out, const char *dir,
		   const struct trace_ctf_params *p)
{
	struct trace_ctf *t;
	int err;

	if (!p || !p->nr_cpus || !p->clock.freq_hz ||
	    p->clock.offset_cycles >= p->clock.freq_hz)
		return VMK_EINVAL;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return VMK_EIO;
	t = calloc(1, sizeof(*t));
	if (!t)
		return VMK_ENOMEM;
	t->p = *p;
	if (!t->p.packet_events)
		t->p.packet_events = TRACE_CTF_DEF_PACKET;
	trace_uuid_make(t->uuid);
	err = trace_meta_write(t, dir);
	if (!err)
		err = trace_streams_open(t, dir);
	if (err) {
		trace_ctf_free(t);
		return err;
	}
	*out = t;
	return 0;
}

/* Writes the open packet (possibly empty) and starts the next one. */
static int trace_packet_flush(struct trace_ctf *t, struct trace_ctf_stream *s)
{
	uint8_t h[TRACE_CTF_PKT_HDR + TRACE_CTF_PKT_CTX];
	uint64_t bits = (sizeof(h) + s->len) * 8;

	trace_put(h, TRACE_CTF_MAGIC, 4);
	memcpy(h + 4, t->uuid, 16);
	trace_put(h + 20, 0, 4);                 /* stream_id */
	trace_put(h + 24, s->ts_begin, 8);
	trace_put(h + 32, s->ts_last, 8);
	trace_put(h + 40, bits, 8);              /* content_size */
	trace_put(h + 48, bits, 8);              /* packet_size: no padding */
	trace_put(h + 56, s->discarded, 8);
	trace_put(h + 64, s->cpu, 4);
	if (fwrite(h, sizeof(h), 1, s->f) != 1 ||
	    (s->len && fwrite(s->buf, s->len, 1, s->f) != 1))
		return VMK_EIO;
	s->len = 0;
	s->nr_events = 0;
	s->packets++;
	s->ts_begin = s->ts_last;
	return 0;
}

/* Losses become visible as the difference of events_discarded between two
 * packets, so close the packet before the loss and let the next one carry
 * the new total.  A first packet with a non-zero count would be taken as the
 * counter's starting value, hence the empty packet in that case. */
static int trace_stream_cut(struct trace_ctf *t, struct trace_ctf_stream *s,
			    uint64_t ts)
{
	int err = 0;

	if (s->nr_events || !s->packets) {
		if (!s->nr_events)
			s->ts_begin = s->ts_last = ts;
		err = trace_packet_flush(t, s);
	}
	s->discarded += s->pending_lost;
	s->pending_lost = 0;
	return err;
}

static void trace_event_encode(struct trace_ctf_stream *s,
			       const struct trace_record *r,
			       const struct trace_event_desc *d)
{
	const uint8_t *pl = (const uint8_t *)r->payload;
	uint8_t *o = s->buf + s->len;

	trace_put(o, r->id, 2);
	trace_put(o + 2, r->tsc, 8);
	trace_put(o + 10, r->world, 4);
	o += 14;
	for (unsigned i = 0; i < d->nr_fields; i++) {
		/* payload is host order, and x86 is little endian like the
		 * trace: a copy is the encoding */
		memcpy(o, pl + d->fields[i].offset, d->fields[i].size);
		o += d->fields[i].size;
	}
	s->len = (size_t)(o - s->buf);
}

static const struct trace_event_desc *trace_desc(uint16_t id)
{
	if (id == TRACE_EV_NONE || id >= TRACE_EV_COUNT)
		return NULL;
	return trace_event_descs[id].name ? &trace_event_descs[id] : NULL;
}

int trace_ctf_event(struct trace_ctf *t, unsigned cpu,
		    const struct trace_record *r)
{
	const struct trace_event_desc *d = trace_desc(r->id);
	struct trace_ctf_stream *s;
	int err;

	if (cpu >= t->p.nr_cpus)
		return VMK_ERANGE;
	s = &t->streams[cpu];
	if (!d)  /* newer writer: cannot describe it, so it is lost here */
		return trace_ctf_lost(t, cpu, 1);
	if (s->pending_lost && (err = trace_stream_cut(t, s, r->tsc)))
		return err;
	if (s->nr_events >= t->p.packet_events &&
	    (err = trace_packet_flush(t, s)))
		return err;
	if ((err = trace_buf_reserve(s, 14 + sizeof(r->payload))))
		return err;
	if (!s->nr_events)
		s->ts_begin = r->tsc;
	trace_event_encode(s, r, d);
	s->ts_last = r->tsc;
	s->nr_events++;
	return 0;
}

int trace_ctf_lost(struct trace_ctf *t, unsigned cpu, uint64_t n)
{
	if (cpu >= t->p.nr_cpus)
		return VMK_ERANGE;
	t->streams[cpu].pending_lost += n;
	return 0;
}

int64_t trace_ctf_drain(struct trace_ctf *t, unsigned cpu,
			struct trace_reader *r)
{
	struct trace_record rec;
	uint64_t lost;
	int64_t n = 0;
	int err;

	while (trace_reader_next(r, &rec, &lost)) {
		if ((lost && (err = trace_ctf_lost(t, cpu, lost))) ||
		    (err = trace_ctf_event(t, cpu, &rec)))
			return err;
		n++;
	}
	lost = trace_reader_take_lost(r);
	if (lost && (err = trace_ctf_lost(t, cpu, lost)))
		return err;
	return n;
}

/* Last packet: the events still buffered, then, if events were lost after
 * the last one, an empty packet carrying the final count. */
static int trace_stream_finish(struct trace_ctf *t, struct trace_ctf_stream *s)
{
	int err = 0;

	if (s->nr_events || !s->packets)
		err = trace_packet_flush(t, s);
	if (!err && s->pending_lost) {
		s->discarded += s->pending_lost;
		s->pending_lost = 0;
		err = trace_packet_flush(t, s);
	}
	if (fclose(s->f) != 0 && !err)
		err = VMK_EIO;
	s->f = NULL;
	return err;
}

int trace_ctf_close(struct trace_ctf *t)
{
	int err = 0, e;

	for (unsigned c = 0; c < t->p.nr_cpus; c++)
		if ((e = trace_stream_finish(t, &t->streams[c])) && !err)
			err = e;
	trace_ctf_free(t);
	return err;
}
