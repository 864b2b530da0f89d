/* vmk: the COS-side command line of vmk.  Talks to vmkload.ko through
 * /dev/vmk.  Linked statically: the lab's COS has no libc of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vmk/hypercall.h>
#include <vmk/vmkload_ioctl.h>
#include "cli.h"
#include "vmk_ust.h"

#define DEFAULT_IMAGE "/lib/vmk/vmkernel.img"

const char *prog = "vmk";
int cli_errno;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  probe [--json]   per-CPU SVM and nested-paging report\n"
		"  load [--image F] [--mem SIZE]\n"
		"                   load the vmkernel (default image " DEFAULT_IMAGE ")\n"
		"                   and move every online CPU under it; SIZE in bytes or\n"
		"                   with K/M/G (default: what the image asks for)\n"
		"  unload           give every CPU back to Linux and free the vmkernel\n"
		"  status [--json]  vmkernel memory and per-CPU exits by reason\n"
		"  log              print the vmkernel log\n"
		"  bench --op loop|hypercall|cpuid [-n N] [--json]\n"
		"  bench --op shootdown [-n N] [--mark] [--json]   TLB shootdowns to the\n"
		"                                 vmkernel's CPUs (N at most 100000)\n"
		"                   TSC ticks per iteration of one operation in the COS\n"
		"                   kernel (instructions under the lab's --icount)\n"
		"  vm create|start|schedule|stop|destroy|list|console|info ...\n"
		"                   VM worlds ('vmk vm help')\n"
		"  cpu give|take|list ...\n"
		"                   hand CPUs to the vmkernel and back ('vmk cpu help')\n"
		"  trace start|stop|status|record|summary ...\n"
		"                   vmkernel trace sessions ('vmk trace help')\n"
		"  version          CLI and module ABI versions\n"
		"  help             this text\n"
		"\n"
		"All but help and version need vmkload.ko (modprobe vmkload).\n"
		"VMK_DEVICE=PATH in the environment replaces " VMKLOAD_DEVICE ".\n"
		"\n"
		"exit status: 0 on success, 1 on failure, 2 on bad usage\n",
		prog);
}

static const char *dev_path(void)
{
	const char *p = getenv("VMK_DEVICE");

	return p && *p ? p : VMKLOAD_DEVICE;
}

static const char *ioctl_name(unsigned long req)
{
	switch (req) {
	case VMK_IOC_VERSION: return "VMK_IOC_VERSION";
	case VMK_IOC_PROBE: return "VMK_IOC_PROBE";
	case VMK_IOC_LOAD: return "VMK_IOC_LOAD";
	case VMK_IOC_UNLOAD: return "VMK_IOC_UNLOAD";
	case VMK_IOC_STATUS: return "VMK_IOC_STATUS";
	case VMK_IOC_LOG: return "VMK_IOC_LOG";
	case VMK_IOC_LOADED: return "VMK_IOC_LOADED";
	case VMK_IOC_BENCH: return "VMK_IOC_BENCH";
	case VMK_IOC_TRACE: return "VMK_IOC_TRACE";
	case VMK_IOC_VM: return "VMK_IOC_VM";
	case VMK_IOC_CPU: return "VMK_IOC_CPU";
	default: return "?";
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ioctl(2) on the control device, traced (ioctl_begin/ioctl_end); a failure
 * is remembered in cli_errno for the command's cmd_end event. */
int cli_ioctl(int fd, unsigned long req, void *arg)
{
	/* TRACE and VM multiplex sub-operations: both lead with a u32 op. */
	uint32_t op = (req == VMK_IOC_TRACE || req == VMK_IOC_VM || req == VMK_IOC_CPU) ? *(uint32_t *)arg : 0;
	uint64_t t0 = VMK_UST_ENABLED(ioctl_end) ? mono_ns() : 0;
	int r, err;

	VMK_UST(ioctl_begin, fd, req, ioctl_name(req), op);
	r = ioctl(fd, req, arg);
	err = r < 0 ? errno : 0;
	VMK_UST(ioctl_end, fd, req, ioctl_name(req), op, r, err, t0 ? mono_ns() - t0 : 0);
	if (r < 0)
		errno = cli_errno = err;
	return r;
}

int open_dev(void)
{
	const char *path = dev_path();
	uint32_t ver = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), err = fd < 0 ? errno : 0;

	VMK_UST(dev_open, path, fd, err);
	if (fd < 0) {
		cli_errno = err;
		fprintf(stderr, "%s: cannot open %s: %s%s\n", prog, path, strerror(err),
			err == ENOENT ? " (is vmkload.ko loaded?)" : "");
		return -1;
	}
	if (cli_ioctl(fd, VMK_IOC_VERSION, &ver) < 0) {
		fprintf(stderr, "%s: %s: no vmkload ABI version: %s\n", prog, path,
			strerror(errno));
		close(fd);
		return -1;
	}
	if (ver != VMKLOAD_ABI_VERSION) {
		fprintf(stderr, "%s: %s: vmkload.ko speaks ABI %u, this CLI ABI %u\n",
			prog, path, ver, VMKLOAD_ABI_VERSION);
		close(fd);
		return -1;
	}
	return fd;
}

static const char *yesno(int b)
{
	return b ? "yes" : "no";
}

static void print_probe_text(const struct vmk_cpu_probe *t, unsigned int n)
{
	printf("%-4s %-5s %-4s %-4s %-5s %-10s %-6s %-6s %-6s %-5s %-5s\n", "cpu",
	       "apic", "svm", "npt", "svme", "svm-locked", "asids", "nrips",
	       "decode", "vgif", "la57");
	for (unsigned int i = 0; i < n; i++) {
		const struct vmk_cpu_probe *p = &t[i];
		printf("%-4u %-5u %-4s %-4s %-5s %-10s %-6u %-6s %-6s %-5s %-5s\n",
		       p->cpu, p->apic_id, yesno(p->flags & VMK_PROBE_SVM),
		       yesno(p->svm_features & VMK_SVMF_NPT),
		       (p->flags & VMK_PROBE_SVME) ? "on" : "off",
		       yesno(p->flags & VMK_PROBE_SVM_LOCK), p->nasid,
		       yesno(p->svm_features & VMK_SVMF_NRIPS),
		       yesno(p->svm_features & VMK_SVMF_DECODEASSIST),
		       yesno(p->svm_features & VMK_SVMF_VGIF),
		       yesno(p->flags & VMK_PROBE_LA57));
	}
}

static void print_probe_json(const struct vmk_cpu_probe *t, unsigned int n)
{
	printf("{\"cpus\": [");
	for (unsigned int i = 0; i < n; i++) {
		const struct vmk_cpu_probe *p = &t[i];
		printf("%s\n  {\"cpu\": %u, \"apic_id\": %u, \"svm\": %s, \"npt\": %s, "
		       "\"svme\": %s, \"svm_locked\": %s, \"asids\": %u, "
		       "\"svm_rev\": %u, \"svm_features\": %u, \"maxphyaddr\": %u, "
		       "\"la57\": %s, \"hypervisor\": %s}",
		       i ? "," : "", p->cpu, p->apic_id,
		       (p->flags & VMK_PROBE_SVM) ? "true" : "false",
		       (p->svm_features & VMK_SVMF_NPT) ? "true" : "false",
		       (p->flags & VMK_PROBE_SVME) ? "true" : "false",
		       (p->flags & VMK_PROBE_SVM_LOCK) ? "true" : "false",
		       p->nasid, p->svm_rev, p->svm_features, p->maxphyaddr,
		       (p->flags & VMK_PROBE_LA57) ? "true" : "false",
		       (p->flags & VMK_PROBE_HYPERVISOR) ? "true" : "false");
	}
	printf("\n]}\n");
}

static int cmd_probe(int argc, char **argv)
{
	static struct vmk_cpu_probe tab[VMKLOAD_MAX_CPUS];
	struct vmk_ioc_probe arg = { .capacity = VMKLOAD_MAX_CPUS,
				     .cpus = (uintptr_t)tab };
	int json = 0, fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			fprintf(stderr, "%s probe: unknown option '%s'\n", prog, argv[i]);
			return 2;
		}
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (cli_ioctl(fd, VMK_IOC_PROBE, &arg) < 0) {
		fprintf(stderr, "%s probe: %s\n", prog, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	if (json)
		print_probe_json(tab, arg.count);
	else
		print_probe_text(tab, arg.count);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	uint32_t ver = 0;
	int fd;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "%s version: takes no arguments\n", prog);
		return 2;
	}
	printf("vmk CLI ABI %u\n", VMKLOAD_ABI_VERSION);
	fd = open(dev_path(), O_RDWR | O_CLOEXEC);
	VMK_UST(dev_open, dev_path(), fd, fd < 0 ? errno : 0);
	if (fd >= 0 && cli_ioctl(fd, VMK_IOC_VERSION, &ver) == 0)
		printf("vmkload.ko ABI %u\n", ver);
	else
		printf("vmkload.ko not loaded\n");
	if (fd >= 0)
		close(fd);
	return 0;
}

/* "64M", "1G", "4096" -> bytes; -1 on junk or overflow. */
long long cli_parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || v > (1ull << (62 - shift)))
		return -1;
	return (long long)(v << shift);
}

void *cli_read_file(const char *path, size_t *len)
{
	struct stat st;
	void *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > (64 << 20)) {
		fprintf(stderr, "%s: %s: not a regular file of 1 byte to 64 MiB\n", prog, path);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		fprintf(stderr, "%s: cannot read %s\n", prog, path);
		free(buf);
		buf = NULL;
	}
	*len = (size_t)st.st_size;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

static int cmd_load(int argc, char **argv)
{
	struct vmk_ioc_load arg = { 0 };
	const char *image = DEFAULT_IMAGE;
	size_t len = 0;
	void *buf;
	int fd, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--image") && i + 1 < argc) {
			image = argv[++i];
		} else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
			long long m = cli_parse_size(argv[++i]);
			if (m <= 0) {
				fprintf(stderr, "%s load: bad --mem '%s'\n", prog, argv[i]);
				return 2;
			}
			arg.mem_size = (uint64_t)m;
		} else {
			fprintf(stderr, "%s load: unknown or incomplete option '%s'\n", prog, argv[i]);
			return 2;
		}
	}
	buf = cli_read_file(image, &len);
	if (!buf)
		return 1;
	fd = open_dev();
	if (fd < 0) {
		free(buf);
		return 1;
	}
	arg.image = (uintptr_t)buf;
	arg.image_len = len;
	r = cli_ioctl(fd, VMK_IOC_LOAD, &arg);
	if (r < 0)
		fprintf(stderr, "%s load: %s\n", prog, arg.err[0] ? arg.err : strerror(errno));
	else
		printf("vmkernel loaded from %s\n", image);
	close(fd);
	free(buf);
	return r < 0 ? 1 : 0;
}

static int simple_ioctl(unsigned long req, const char *what)
{
	int fd = open_dev(), r;

	if (fd < 0)
		return 1;
	r = cli_ioctl(fd, req, NULL);
	if (r < 0)
		fprintf(stderr, "%s %s: %s\n", prog, what,
			errno == ENOENT ? "the vmkernel is not loaded" :
			errno == EBUSY ? "busy: a trace recording still maps the rings" :
			strerror(errno));
	close(fd);
	return r < 0 ? 1 : 0;
}

static int cmd_unload(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "%s unload: takes no arguments\n", prog);
		return 2;
	}
	if (simple_ioctl(VMK_IOC_UNLOAD, "unload"))
		return 1;
	printf("vmkernel unloaded\n");
	return 0;
}

static const char *const owners[] = VMK_CPU_OWNER_NAMES;

static void print_status_text(const struct vmk_status *st)
{
	static const char *const names[VMK_XS_COUNT] = VMK_XS_NAMES;

	printf("vmkernel: ABI %u, %u CPUs, memory %llu KiB (%llu KiB free), log %llu bytes\n",
	       st->abi_version, st->ncpus, (unsigned long long)st->mem_size >> 10,
	       (unsigned long long)st->mem_free >> 10, (unsigned long long)st->log_size);
	printf("%-4s", "cpu");
	for (int k = 0; k < VMK_XS_COUNT; k++)
		printf(" %10s", names[k]);
	printf(" %10s %10s %9s %9s %9s\n", "cos-viol", "bad-hcall", "map-hit", "map-miss",
	       "map-evict");
	for (uint32_t i = 0; i < st->ncpus && i < 64; i++) {
		const struct vmk_cpu_status *c = &st->cpu[i];
		printf("%-4u", c->cpu);
		for (int k = 0; k < VMK_XS_COUNT; k++)
			printf(" %10llu", (unsigned long long)c->exits[k]);
		printf(" %10llu %10llu %9llu %9llu %9llu\n", (unsigned long long)c->cos_violations,
		       (unsigned long long)c->bad_hypercalls, (unsigned long long)c->map_hits,
		       (unsigned long long)c->map_misses, (unsigned long long)c->map_evictions);
	}
	printf("%-4s %-9s %11s %9s %9s %9s %9s %6s\n", "cpu", "owner", "apic-write",
	       "ipi-block", "ticks", "kicks", "stray", "gives");
	for (uint32_t i = 0; i < st->ncpus && i < 64; i++) {
		const struct vmk_cpu_status *c = &st->cpu[i];
		printf("%-4u %-9s %11llu %9llu %9llu %9llu %9llu %6llu\n", c->cpu,
		       c->owner < 4 ? owners[c->owner] : "?", (unsigned long long)c->apic_writes,
		       (unsigned long long)c->ipis_blocked, (unsigned long long)c->timer_ticks,
		       (unsigned long long)c->kicks, (unsigned long long)c->stray_irqs,
		       (unsigned long long)c->gives);
	}
}

static void print_status_json(const struct vmk_status *st)
{
	static const char *const names[VMK_XS_COUNT] = VMK_XS_NAMES;

	printf("{\"abi\": %u, \"ncpus\": %u, \"mem_size\": %llu, \"mem_free\": %llu, "
	       "\"log_size\": %llu, \"now_ns\": %llu, \"cpus\": [", st->abi_version, st->ncpus,
	       (unsigned long long)st->mem_size, (unsigned long long)st->mem_free,
	       (unsigned long long)st->log_size, (unsigned long long)st->now_ns);
	for (uint32_t i = 0; i < st->ncpus && i < 64; i++) {
		const struct vmk_cpu_status *c = &st->cpu[i];
		printf("%s\n  {\"cpu\": %u, \"apic_id\": %u, \"owner\": \"%s\", "
		       "\"cos_violations\": %llu, "
		       "\"bad_hypercalls\": %llu, \"map_hits\": %llu, \"map_misses\": %llu, "
		       "\"map_evictions\": %llu, \"apic_writes\": %llu, \"ipis_blocked\": %llu, "
		       "\"timer_ticks\": %llu, \"kicks\": %llu, \"stray_irqs\": %llu, "
		       "\"idle_tsc\": %llu, \"gives\": %llu, \"exits\": {", i ? "," : "", c->cpu,
		       c->apic_id, c->owner < 4 ? owners[c->owner] : "?",
		       (unsigned long long)c->cos_violations,
		       (unsigned long long)c->bad_hypercalls, (unsigned long long)c->map_hits,
		       (unsigned long long)c->map_misses, (unsigned long long)c->map_evictions,
		       (unsigned long long)c->apic_writes, (unsigned long long)c->ipis_blocked,
		       (unsigned long long)c->timer_ticks, (unsigned long long)c->kicks,
		       (unsigned long long)c->stray_irqs, (unsigned long long)c->idle_tsc,
		       (unsigned long long)c->gives);
		for (int k = 0; k < VMK_XS_COUNT; k++)
			printf("%s\"%s\": %llu", k ? ", " : "", names[k],
			       (unsigned long long)c->exits[k]);
		printf("}}");
	}
	printf("\n], \"vms\": [");
}

static int cmd_status(int argc, char **argv)
{
	static struct vmk_status st;
	struct vmk_ioc_status arg = { .buf = (uintptr_t)&st, .len = sizeof(st) };
	int json = argc == 2 && !strcmp(argv[1], "--json"), fd, r;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "%s status: usage: status [--json]\n", prog);
		return 2;
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	r = cli_ioctl(fd, VMK_IOC_STATUS, &arg);
	if (r < 0) {
		fprintf(stderr, "%s status: %s\n", prog,
			errno == ENOENT ? "the vmkernel is not loaded" : strerror(errno));
		close(fd);
		return 1;
	}
	if (json) {
		print_status_json(&st);
		cli_print_vms(fd, 1, ",");
		printf("]}\n");
	} else {
		print_status_text(&st);
		cli_print_vms(fd, 0, "");
	}
	close(fd);
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	static char buf[64 << 10];
	struct vmk_ioc_log arg = { .buf = (uintptr_t)buf };
	int fd, r;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "%s log: takes no arguments\n", prog);
		return 2;
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	/* Start at the oldest byte the vmkernel still holds. */
	{
		static struct vmk_status st;
		struct vmk_ioc_status sa = { .buf = (uintptr_t)&st, .len = sizeof(st) };

		if (cli_ioctl(fd, VMK_IOC_STATUS, &sa) == 0 && st.log_size > VMK_HC_LOG_RING)
			arg.offset = st.log_size - VMK_HC_LOG_RING;
	}
	for (;;) {
		arg.len = sizeof(buf);
		r = cli_ioctl(fd, VMK_IOC_LOG, &arg);
		if (r < 0 || arg.len == 0)
			break;
		fwrite(buf, 1, arg.len, stdout);
		arg.offset += arg.len;
	}
	close(fd);
	if (r < 0) {
		fprintf(stderr, "%s log: %s\n", prog,
			errno == ENOENT ? "the vmkernel is not loaded" : strerror(errno));
		return 1;
	}
	return 0;
}

/* The CPUs of a vmkernel CPU mask, as "1,2" (vmkernel indices). */
static const char *cpu_list(char *buf, size_t size, uint64_t mask)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < 64 && n + 4 < size; i++)
		if (mask & (1ull << i))
			n += (size_t)snprintf(buf + n, size - n, "%s%u", n ? "," : "", i);
	return buf;
}

static int bench_shootdown_report(const struct vmk_ioc_bench *a, int json)
{
	const struct vmk_smp_bench *s = &a->smp;
	double per = s->done ? (double)s->tsc / s->done : 0;
	char tl[256], ml[256];

	cpu_list(tl, sizeof(tl), s->targets);
	cpu_list(ml, sizeof(ml), s->missing);
	if (json)
		printf("{\"op\": \"shootdown\", \"iterations\": %u, \"done\": %u, \"err\": %d, "
		       "\"cpu\": %u, \"targets\": %d, \"target_cpus\": [%s], "
		       "\"missing_cpus\": [%s], \"tsc_delta\": %llu, \"tsc_per_op\": %.1f, "
		       "\"tsc_khz\": %llu, \"timeout_tsc\": %llu, \"ipis_sent\": %llu, "
		       "\"ipis_handled\": %llu, \"ipi_irqs\": %llu, \"tlb_requests\": %llu, "
		       "\"tlb_pages\": %llu, \"tlb_full\": %llu, \"timeouts\": %llu}\n",
		       s->n, s->done, s->err, s->cpu, __builtin_popcountll(s->targets), tl, ml,
		       (unsigned long long)s->tsc, per, (unsigned long long)a->tsc_khz,
		       (unsigned long long)s->timeout_tsc, (unsigned long long)s->ipis_sent,
		       (unsigned long long)s->ipis_handled, (unsigned long long)s->ipi_irqs,
		       (unsigned long long)s->tlb_requests, (unsigned long long)s->tlb_pages,
		       (unsigned long long)s->tlb_full, (unsigned long long)s->timeouts);
	else
		printf("shootdown: %u of %u to %d CPUs (%s), %.1f TSC ticks each; IPIs sent %llu, "
		       "handled %llu, interrupts %llu; pages flushed %llu\n", s->done, s->n,
		       __builtin_popcountll(s->targets), s->targets ? tl : "none", per,
		       (unsigned long long)s->ipis_sent, (unsigned long long)s->ipis_handled,
		       (unsigned long long)s->ipi_irqs, (unsigned long long)s->tlb_pages);
	if (!s->err)
		return 0;
	fprintf(stderr, "%s bench: shootdown %u of %u failed (vmkernel error %d); CPUs that did "
		"not answer: %s (see vmk log)\n", prog, s->done + 1, s->n, s->err,
		s->missing ? ml : "none named");
	return 1;
}

static int cmd_bench(int argc, char **argv)
{
	static const char *const ops[VMK_BENCH_OPS] = { "loop", "hypercall", "cpuid", "shootdown" };
	struct vmk_ioc_bench arg = { .op = VMK_BENCH_OPS, .iterations = 100000 };
	int json = 0, fd, r, n_given = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--op") && i + 1 < argc) {
			i++;
			for (uint32_t k = 0; k < VMK_BENCH_OPS; k++)
				if (!strcmp(argv[i], ops[k]))
					arg.op = k;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			long long n = cli_parse_size(argv[++i]);
			arg.iterations = n > 0 && n <= (1 << 24) ? (uint32_t)n : 0;
			n_given = 1;
		} else if (!strcmp(argv[i], "--mark")) {
			arg.mark = 1;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			fprintf(stderr, "%s bench: unknown option '%s'\n", prog, argv[i]);
			return 2;
		}
	}
	if (arg.op >= VMK_BENCH_OPS || arg.iterations == 0) {
		fprintf(stderr, "%s bench: need --op loop|hypercall|cpuid|shootdown and -n "
			"1..16777216 (shootdown: 1..%u)\n", prog, VMK_SMP_BENCH_MAX);
		return 2;
	}
	if (arg.op == VMK_BENCH_SHOOTDOWN && !n_given)
		arg.iterations = 1000;
	if (arg.op == VMK_BENCH_SHOOTDOWN && arg.iterations > VMK_SMP_BENCH_MAX) {
		fprintf(stderr, "%s bench: shootdown: -n is 1..%u (each holds this CPU in the "
			"vmkernel)\n", prog, VMK_SMP_BENCH_MAX);
		return 2;
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	r = cli_ioctl(fd, VMK_IOC_BENCH, &arg);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "%s bench: %s\n", prog, errno == ENOENT ?
			"the hypercall needs the vmkernel loaded (vmk load)" : strerror(errno));
		return 1;
	}
	if (arg.op == VMK_BENCH_SHOOTDOWN)
		return bench_shootdown_report(&arg, json);
	if (json)
		printf("{\"op\": \"%s\", \"iterations\": %u, \"tsc_delta\": %llu, "
		       "\"tsc_khz\": %llu, \"cpu\": %u, \"vmkernel_loaded\": %s}\n",
		       ops[arg.op], arg.iterations, (unsigned long long)arg.tsc_delta,
		       (unsigned long long)arg.tsc_khz, arg.cpu, arg.loaded ? "true" : "false");
	else
		printf("%s: %u iterations, %.2f TSC ticks each (vmkernel %s)\n", ops[arg.op],
		       arg.iterations, (double)arg.tsc_delta / arg.iterations,
		       arg.loaded ? "loaded" : "not loaded");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "bench", cmd_bench },
	{ "trace", cmd_trace },
	{ "vm", cmd_vm },
	{ "cpu", cmd_cpu },
	{ "probe", cmd_probe },
	{ "load", cmd_load },
	{ "unload", cmd_unload },
	{ "status", cmd_status },
	{ "log", cmd_log },
	{ "version", cmd_version },
};

/* The command line after the command, for cmd_begin. */
static const char *join_args(char *buf, size_t size, int argc, char **argv)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < argc && n + 1 < size; i++) {
		int w = snprintf(buf + n, size - n, "%s%s", i ? " " : "", argv[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static int run_command(int (*fn)(int, char **), int argc, char **argv)
{
	char args[VMK_UST_ARGS_MAX] = "";
	int rc;

	if (VMK_UST_ENABLED(cmd_begin))
		join_args(args, sizeof(args), argc - 1, argv + 1);
	VMK_UST(cmd_begin, prog, argv[0], argc - 1, args);
	rc = fn(argc, argv);
	VMK_UST(cmd_end, prog, argv[0], rc, cli_errno);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return run_command(commands[i].fn, argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s' (try '%s help')\n", prog, argv[1], prog);
	return 2;
}
