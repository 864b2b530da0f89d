/* vmk trace: sessions of the vmkernel's per-CPU trace rings, recorded into
 * CTF (babeltrace2, Trace Compass) with a summary of exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vmk/hypercall.h>
#include <vmk/vmkload_ioctl.h>
#include "cli.h"
#include "trace_ctf.h"
#include "trace_ring.h"
#include "vmk_ust.h"

#define MAX_REASONS 64

struct exit_stat {
	uint32_t reason;
	uint64_t count, ticks;
};

struct session {
	int fd;
	struct vmk_trace_info info;
	uint64_t tsc_khz;
	const void *ring[64];
	struct trace_ring_cons *cons;
	struct trace_reader rd[64];
	uint64_t by_event[TRACE_EV_COUNT], lost, records;
	uint64_t exit_tsc[64];           /* last exit per CPU index, 0 = none */
	uint32_t exit_reason[64];
	struct exit_stat exits[MAX_REASONS];
	unsigned nexits;
};

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static const char *exit_name(uint32_t code)
{
	switch (code) {
	case 0x060: return "intr";
	case 0x061: return "nmi";
	case 0x072: return "cpuid";
	case 0x078: return "hlt";
	case 0x07b: return "ioio";
	case 0x07c: return "msr";
	case 0x07f: return "shutdown";
	case 0x080: return "vmrun";
	case 0x081: return "vmmcall";
	case 0x400: return "npf";
	default: return "other";
	}
}

static int trace_ioctl(int fd, struct vmk_ioc_trace *t, const char *what)
{
	if (cli_ioctl(fd, VMK_IOC_TRACE, t) == 0)
		return 0;
	fprintf(stderr, "%s trace %s: %s\n", prog, what,
		errno == ENOENT ? "the vmkernel is not loaded" : strerror(errno));
	return -1;
}

static int parse_events(const char *list, uint64_t *mask)
{
	char buf[256], *tok, *save = NULL;

	if (!strcmp(list, "all")) {
		*mask = TRACE_EV_ALL;
		return 0;
	}
	*mask = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (unsigned id = 1; id < TRACE_EV_COUNT; id++)
			if (trace_event_descs[id].name && !strcmp(tok, trace_event_descs[id].name))
				*mask |= TRACE_EV_BIT(id), found = 1;
		if (!found) {
			fprintf(stderr, "%s trace: unknown event '%s'\n", prog, tok);
			return -1;
		}
	}
	return *mask ? 0 : -1;
}

/* Common options of start and record. */
static int parse_session_opts(int argc, char **argv, struct vmk_ioc_trace *t,
			      const char **out, double *seconds)
{
	t->op = VMK_TRACE_OP_START;
	t->mode = VMK_TRACE_MODE_OVERWRITE;
	t->mask = TRACE_EV_ALL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--mode") && v) {
			if (!strcmp(v, "overwrite"))
				t->mode = VMK_TRACE_MODE_OVERWRITE;
			else if (!strcmp(v, "drop-new"))
				t->mode = VMK_TRACE_MODE_DROP_NEW;
			else
				return fprintf(stderr, "%s trace: bad --mode '%s'\n", prog, v), -1;
			i++;
		} else if (!strcmp(a, "--events") && v) {
			if (parse_events(v, &t->mask))
				return -1;
			i++;
		} else if (out && !strcmp(a, "-o") && v) {
			*out = argv[++i];
		} else if (seconds && !strcmp(a, "--seconds") && v) {
			*seconds = strtod(argv[++i], NULL);
			if (*seconds <= 0)
				return fprintf(stderr, "%s trace: bad --seconds\n", prog), -1;
		} else {
			return fprintf(stderr, "%s trace: unknown or incomplete option '%s'\n",
				       prog, a), -1;
		}
	}
	return 0;
}

static int get_info(struct session *s)
{
	struct vmk_ioc_trace t = { .op = VMK_TRACE_OP_INFO, .info = (uintptr_t)&s->info };

	if (trace_ioctl(s->fd, &t, "info"))
		return -1;
	s->tsc_khz = t.tsc_khz;
	return 0;
}

static int map_rings(struct session *s)
{
	for (uint32_t i = 0; i < s->info.ncpus && i < 64; i++) {
		size_t len = (s->info.cpu[i].ring_bytes + 4095) & ~4095ul;
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, s->fd,
			       (off_t)VMK_TRACE_MMAP_RING(i));
		if (p == MAP_FAILED)
			return fprintf(stderr, "%s trace: cannot map ring %u: %s\n", prog, i,
				       strerror(errno)), -1;
		s->ring[i] = p;
	}
	if (s->info.mode == VMK_TRACE_MODE_DROP_NEW) {
		void *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
			       (off_t)VMK_TRACE_MMAP_CONS);
		if (c == MAP_FAILED)
			return fprintf(stderr, "%s trace: cannot map consumer lines: %s\n", prog,
				       strerror(errno)), -1;
		s->cons = c;
	}
	return 0;
}

static void account(struct session *s, unsigned i, const struct trace_record *r)
{
	const struct trace_p_vm_exit *x = (const void *)r->payload;

	if (r->id < TRACE_EV_COUNT)
		s->by_event[r->id]++;
	if (r->id == TRACE_EV_VM_EXIT) {
		s->exit_tsc[i] = r->tsc;
		s->exit_reason[i] = x->exit_reason;
	} else if (r->id == TRACE_EV_VM_ENTRY && s->exit_tsc[i]) {
		unsigned k;

		for (k = 0; k < s->nexits && s->exits[k].reason != s->exit_reason[i]; k++)
			;
		if (k == s->nexits && k < MAX_REASONS)
			s->exits[s->nexits++].reason = s->exit_reason[i];
		if (k < MAX_REASONS) {
			s->exits[k].count++;
			s->exits[k].ticks += r->tsc - s->exit_tsc[i];
		}
		s->exit_tsc[i] = 0;
	}
}

/* One pass over every CPU's ring; @last: the pass after the session stop. */
static int drain(struct session *s, struct trace_ctf *ctf, int last)
{
	struct trace_record r;
	uint64_t lost, n = 0, lost_pass = 0;

	for (uint32_t i = 0; i < s->info.ncpus && i < 64; i++) {
		while (trace_reader_next(&s->rd[i], &r, &lost) == 1) {
			if (lost) {
				lost_pass += lost;
				s->exit_tsc[i] = 0;
				if (trace_ctf_lost(ctf, i, lost))
					return -1;
			}
			n++;
			account(s, i, &r);
			if (trace_ctf_event(ctf, i, &r))
				return -1;
		}
	}
	s->records += n;
	s->lost += lost_pass;
	VMK_UST(trace_drain, s->info.ncpus, n, lost_pass, s->records, s->lost, last);
	return 0;
}

static int cmp_count(const void *a, const void *b)
{
	const struct exit_stat *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Prints the summary and writes it as JSON to @path. */
static int summarize(struct session *s, const char *path, uint64_t written)
{
	uint64_t delivered = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		return fprintf(stderr, "%s trace: cannot write %s: %s\n", prog, path,
			       strerror(errno)), -1;
	qsort(s->exits, s->nexits, sizeof(s->exits[0]), cmp_count);
	for (unsigned id = 1; id < TRACE_EV_COUNT; id++)
		delivered += s->by_event[id];
	fprintf(f, "{\"written\": %llu, \"delivered\": %llu, \"lost\": %llu, \"tsc_khz\": %llu,\n"
		" \"events\": {", (unsigned long long)written, (unsigned long long)delivered,
		(unsigned long long)s->lost, (unsigned long long)s->tsc_khz);
	printf("trace: %llu events written, %llu recorded, %llu lost\n",
	       (unsigned long long)written, (unsigned long long)delivered,
	       (unsigned long long)s->lost);
	for (unsigned id = 1, first = 1; id < TRACE_EV_COUNT; id++) {
		if (!s->by_event[id])
			continue;
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", trace_event_descs[id].name,
			(unsigned long long)s->by_event[id]);
		first = 0;
	}
	fprintf(f, "},\n \"top_exits\": [");
	printf("%-10s %10s %14s %12s\n", "exit", "count", "ticks", "ticks/exit");
	for (unsigned k = 0; k < s->nexits; k++) {
		const struct exit_stat *e = &s->exits[k];
		fprintf(f, "%s\n  {\"reason\": %u, \"name\": \"%s\", \"count\": %llu, \"ticks\": %llu}",
			k ? "," : "", e->reason, exit_name(e->reason),
			(unsigned long long)e->count, (unsigned long long)e->ticks);
		if (k < 10)
			printf("%-10s %10llu %14llu %12.1f\n", exit_name(e->reason),
			       (unsigned long long)e->count, (unsigned long long)e->ticks,
			       (double)e->ticks / (double)e->count);
	}
	fprintf(f, "\n]}\n");
	return fclose(f) ? -1 : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_ctf(struct session *s, const char *dir, struct trace_ctf **ctf)
{
	struct trace_ctf_params p = { .nr_cpus = s->info.ncpus,
				      .start_tsc = __builtin_ia32_rdtsc() };

	if (trace_clock_sync(s->tsc_khz * 1000, &p.clock) ||
	    trace_ctf_open(ctf, dir, &p))
		return fprintf(stderr, "%s trace: cannot create the CTF trace in %s\n", prog,
			       dir), -1;
	return 0;
}

static int open_readers(struct session *s)
{
	for (uint32_t i = 0; i < s->info.ncpus && i < 64; i++) {
		int err = trace_reader_init(&s->rd[i], s->ring[i], s->info.cpu[i].ring_bytes,
					    s->cons ? &s->cons[i] : NULL);
		if (err)
			return fprintf(stderr, "%s trace: ring of CPU %u unreadable (%d)\n", prog,
				       i, err), -1;
	}
	return 0;
}

static int cmd_record(struct session *s, int argc, char **argv)
{
	struct vmk_ioc_trace t = { 0 }, stop = { .op = VMK_TRACE_OP_STOP };
	const char *dir = NULL;
	double seconds = 5, end;
	struct trace_ctf *ctf = NULL;
	uint64_t written = 0;
	char path[4096], ctf_dir[4096];
	int rc = 1;

	if (parse_session_opts(argc, argv, &t, &dir, &seconds) || !dir)
		return fprintf(stderr, "%s trace record: need -o DIR\n", prog), 2;
	/* The CTF trace gets a folder of its own: babeltrace2 reads every file
	 * in it as a stream. */
	snprintf(ctf_dir, sizeof(ctf_dir), "%s/ctf", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return fprintf(stderr, "%s trace record: cannot create %s: %s\n", prog, dir,
			       strerror(errno)), 1;
	if (trace_ioctl(s->fd, &t, "start") || get_info(s) || map_rings(s) ||
	    open_readers(s) || open_ctf(s, ctf_dir, &ctf))
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "trace: recording %u CPUs into %s for %.1f s (Ctrl-C stops)\n",
		s->info.ncpus, ctf_dir, seconds);
	for (end = now_s() + seconds; !stop_now && now_s() < end; usleep(20000))
		if (drain(s, ctf, 0))
			goto out;
	if (trace_ioctl(s->fd, &stop, "stop") || drain(s, ctf, 1))
		goto out;
	for (uint32_t i = 0; i < s->info.ncpus && i < 64; i++) {
		uint64_t lost = trace_reader_take_lost(&s->rd[i]);
		s->lost += lost;
		written += trace_reader_written(&s->rd[i]);
		if (lost && trace_ctf_lost(ctf, i, lost))
			goto out;
	}
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	rc = summarize(s, path, written) ? 1 : 0;
out:
	if (ctf && trace_ctf_close(ctf))
		rc = 1;
	if (rc)
		cli_ioctl(s->fd, VMK_IOC_TRACE, &stop);
	return rc;
}

static int cmd_status(struct session *s)
{
	if (get_info(s) || map_rings(s))
		return 1;
	printf("session %llu: %s, mode %s, events 0x%llx, %u slots per CPU\n",
	       (unsigned long long)s->info.generation, s->info.active ? "recording" : "stopped",
	       s->info.mode == VMK_TRACE_MODE_DROP_NEW ? "drop-new" : "overwrite",
	       (unsigned long long)s->info.mask, s->info.slots);
	for (uint32_t i = 0; i < s->info.ncpus && i < 64; i++) {
		const struct trace_ring_hdr *h = s->ring[i];
		printf("cpu%-3u written %llu, refused %llu\n", s->info.cpu[i].cpu,
		       (unsigned long long)(h->head - h->base), (unsigned long long)h->dropped);
	}
	return 0;
}

static int cmd_summary(int argc, char **argv)
{
	char path[4096], line[512];
	FILE *f;

	if (argc != 2)
		return fprintf(stderr, "usage: %s trace summary DIR\n", prog), 2;
	snprintf(path, sizeof(path), "%s/summary.json", argv[1]);
	f = fopen(path, "r");
	if (!f)
		return fprintf(stderr, "%s trace summary: %s: %s\n", prog, path,
			       strerror(errno)), 1;
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return 0;
}

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: %s trace start [--mode overwrite|drop-new] [--events LIST]\n"
		"       %s trace stop\n"
		"       %s trace status\n"
		"       %s trace record -o DIR [--seconds S] [--mode M] [--events LIST]\n"
		"       %s trace summary DIR\n"
		"LIST: all (default) or comma-separated CTF names, e.g. kvm_x86_exit,kvm_x86_entry\n"
		"record starts a session, writes a CTF trace to DIR/ctf (babeltrace2 DIR/ctf\n"
		"reads it) and DIR/summary.json (top exits by count and time), then stops.\n",
		prog, prog, prog, prog, prog);
}

int cmd_trace(int argc, char **argv)
{
	struct session *s;
	const char *sub = argc > 1 ? argv[1] : "";
	int rc;

	if (!strcmp(sub, "help") || !*sub) {
		trace_usage(*sub ? stdout : stderr);
		return *sub ? 0 : 2;
	}
	if (!strcmp(sub, "summary"))
		return cmd_summary(argc - 1, argv + 1);
	if (strcmp(sub, "start") && strcmp(sub, "stop") && strcmp(sub, "status") &&
	    strcmp(sub, "record")) {
		fprintf(stderr, "%s trace: unknown subcommand '%s'\n", prog, sub);
		return 2;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->fd = open_dev();
	if (s->fd < 0) {
		free(s);
		return 1;
	}
	if (!strcmp(sub, "record")) {
		rc = cmd_record(s, argc - 1, argv + 1);
	} else if (!strcmp(sub, "status")) {
		rc = cmd_status(s);
	} else {
		struct vmk_ioc_trace t = { .op = VMK_TRACE_OP_STOP };
		rc = 0;
		if (!strcmp(sub, "start") && parse_session_opts(argc - 1, argv + 1, &t, NULL, NULL))
			rc = 2;
		else if (trace_ioctl(s->fd, &t, sub))
			rc = 1;
	}
	close(s->fd);
	free(s);
	return rc;
}
