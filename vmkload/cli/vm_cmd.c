/* vmk vm: VM worlds from the COS.  Loads multiboot (v1) kernels: a.out-kludge
 * images (like guest/'s) or ELF32/ELF64 with PT_LOAD segments. */
#define _GNU_SOURCE
#include <elf.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vmk/guest.h>
#include <vmk/hypercall.h>
#include <vmk/vmkload_ioctl.h>
#include "cli.h"

#define MB_MAGIC 0x1badb002u
#define MB_AOUT_KLUDGE (1u << 16)
#define CHUNK (64u << 10)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {             /* the fields vmk fills */
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static long vm_ioctl(int fd, struct vmk_ioc_vm *a, const char *what)
{
	if (cli_ioctl(fd, VMK_IOC_VM, a) == 0)
		return 0;
	fprintf(stderr, "%s vm %s: %s\n", prog, what,
		errno == ENOENT ? "no such VM (or the vmkernel is not loaded)" :
		errno == ENOSPC ? "no free VM slot" :
		errno == ENOMEM ? "not enough vmkernel memory (vmk load --mem)" :
		errno == EBUSY ? "the VM is running or not in a state for this" :
		errno == ERANGE ? "outside the VM's memory" :
		errno == EPERM ? "the VM runs on another CPU (start it there with taskset)" :
		strerror(errno));
	return -1;
}

static int vm_write(int fd, uint32_t id, uint64_t gpa, const void *src, size_t len)
{
	for (size_t off = 0; off < len; off += CHUNK) {
		struct vmk_ioc_vm a = { .op = VMK_VM_WRITE, .id = id, .arg = { gpa + off },
					.buf = (uintptr_t)src + off,
					.len = len - off < CHUNK ? len - off : CHUNK };
		if (vm_ioctl(fd, &a, "create (loading the image)"))
			return -1;
	}
	return 0;
}

static const struct mb_header *find_mb(const uint8_t *img, size_t len)
{
	for (size_t off = 0; off + sizeof(struct mb_header) <= len && off < 8192; off += 4) {
		const struct mb_header *h = (const void *)(img + off);
		if (h->magic == MB_MAGIC && h->magic + h->flags + h->checksum == 0)
			return h;
	}
	return NULL;
}

/* vmk's long-mode header (<vmk/guest.h>), 8-byte aligned in the first 8 KiB. */
static const struct vmk_guest_lm_header *find_lm(const uint8_t *img, size_t len)
{
	for (size_t off = 0; off + sizeof(struct vmk_guest_lm_header) <= len && off < 8192; off += 8) {
		const struct vmk_guest_lm_header *h = (const void *)(img + off);
		if (h->magic == VMK_GUEST_LM_MAGIC && h->magic + h->flags + h->checksum == 0)
			return h;
	}
	return NULL;
}

/* a.out kludge: the header says where the file goes.  Returns the entry. */
static int64_t load_aout(int fd, uint32_t id, const uint8_t *img, size_t len,
			 const struct mb_header *h)
{
	size_t hoff = (size_t)((const uint8_t *)h - img);
	uint64_t file_off = hoff - (h->header_addr - h->load_addr);
	uint64_t n = h->load_end_addr ? h->load_end_addr - h->load_addr : len - file_off;

	if (h->header_addr < h->load_addr || hoff < h->header_addr - h->load_addr ||
	    file_off + n > len)
		return -1;
	return vm_write(fd, id, h->load_addr, img + file_off, n) ? -1 : (int64_t)h->entry_addr;
}

static int64_t load_elf(int fd, uint32_t id, const uint8_t *img, size_t len)
{
	const Elf64_Ehdr *e64 = (const void *)img;
	const Elf32_Ehdr *e32 = (const void *)img;
	int is64 = len > EI_CLASS && img[EI_CLASS] == ELFCLASS64;
	uint64_t phoff = is64 ? e64->e_phoff : (uint64_t)e32->e_phoff;
	unsigned phnum = is64 ? (unsigned)e64->e_phnum : (unsigned)e32->e_phnum;
	unsigned phsz = is64 ? (unsigned)sizeof(Elf64_Phdr) : (unsigned)sizeof(Elf32_Phdr);

	if (len < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) || phoff > len ||
	    (uint64_t)phnum * phsz > len - phoff)
		return -1;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phsz;
		uint32_t type = is64 ? ((const Elf64_Phdr *)ph)->p_type : ((const Elf32_Phdr *)ph)->p_type;
		uint64_t off = is64 ? ((const Elf64_Phdr *)ph)->p_offset : ((const Elf32_Phdr *)ph)->p_offset;
		uint64_t pa = is64 ? ((const Elf64_Phdr *)ph)->p_paddr : ((const Elf32_Phdr *)ph)->p_paddr;
		uint64_t fsz = is64 ? ((const Elf64_Phdr *)ph)->p_filesz : ((const Elf32_Phdr *)ph)->p_filesz;

		if (type != PT_LOAD || !fsz)
			continue;
		if (off > len || fsz > len - off || vm_write(fd, id, pa, img + off, fsz))
			return -1;
	}
	return is64 ? (int64_t)(uint32_t)e64->e_entry : (int64_t)e32->e_entry;
}

/* The multiboot information and command line, at fixed low addresses. */
static int write_mbi(int fd, uint32_t id, uint64_t mem, const char *cmdline)
{
	struct mb_info mbi = { .flags = 1u | 4u, .mem_lower = 639,
			       .mem_upper = (uint32_t)((mem >> 10) - 1024),
			       .cmdline = VMK_GUEST_CMDLINE_GPA };
	char cl[VMK_GUEST_CMDLINE_MAX] = { 0 };

	snprintf(cl, sizeof(cl), "%s", cmdline);
	return vm_write(fd, id, VMK_GUEST_MBI_GPA, &mbi, sizeof(mbi)) ||
	       vm_write(fd, id, VMK_GUEST_CMDLINE_GPA, cl, sizeof(cl));
}

/* Percent of one CPU ("12.5") to parts per million; -1 if bad. */
static long parse_pct(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0 && v <= 100))
		return -1;
	return (long)(v * 10000 + 0.5);
}

struct sched_opts {
	int given;                 /* any option seen */
	long shares, reserve, limit;
};

/* --shares/--reserve/--limit at argv[*i]: 1 if consumed, 0 if not one of
 * them, -1 if bad. */
static int sched_opt(struct sched_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	long *dst = !strcmp(a, "--shares") ? &o->shares : !strcmp(a, "--reserve") ? &o->reserve :
		    !strcmp(a, "--limit") ? &o->limit : NULL;

	if (!dst)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	a = argv[++*i];
	if (dst == &o->shares) {
		char *end;
		o->shares = strtol(a, &end, 10);
		if (!*a || *end || o->shares < 1 || o->shares > 1000000)
			return -1;
	} else if ((*dst = parse_pct(a)) < 0) {
		return -1;
	}
	o->given = 1;
	return 1;
}

static int do_schedule(int fd, uint32_t id, const struct sched_opts *o)
{
	struct vmk_ioc_vm a = { .op = VMK_VM_SCHEDULE, .id = id,
				.arg = { (uint64_t)o->shares, (uint64_t)o->reserve,
					 (uint64_t)o->limit } };

	if (o->reserve > o->limit)
		return fprintf(stderr, "%s vm: --reserve above --limit\n", prog), 2;
	if (cli_ioctl(fd, VMK_IOC_VM, &a) == 0)
		return 0;
	fprintf(stderr, "%s vm schedule: %s\n", prog,
		errno == ENODEV ? "no CPU is the vmkernel's (vmk cpu give N first)" :
		errno == ERANGE ? "its reservation fits on no CPU (admission control)" :
		errno == EBUSY ? "it is running or already scheduled" :
		errno == EINVAL ? "it is not ready to run (stopped or halted), or bad values" :
		errno == ENOENT ? "no such VM" : strerror(errno));
	return 1;
}

/* A create that failed half-way: the VM goes (its error was reported). */
static void undo_create(int fd, uint32_t id)
{
	struct vmk_ioc_vm d = { .op = VMK_VM_DESTROY, .id = id };

	cli_ioctl(fd, VMK_IOC_VM, &d);
}

static int cmd_create(int fd, int argc, char **argv)
{
	struct sched_opts so = { 0, 1000, 0, 1000000 };
	int r, long_mode = 0;
	const struct vmk_guest_lm_header *lm = NULL;
	const char *image = NULL, *cmdline = "";
	long long mem = 32 << 20, vcpus = 1;
	struct vmk_ioc_vm a = { .op = VMK_VM_CREATE };
	const struct mb_header *h;
	int64_t entry;
	size_t len;
	uint8_t *img;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--image") && i + 1 < argc)
			image = argv[++i];
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem = cli_parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--cmdline") && i + 1 < argc)
			cmdline = argv[++i];
		else if (!strcmp(argv[i], "--long-mode"))
			long_mode = 1;
		else if (!strcmp(argv[i], "--vcpus") && i + 1 < argc)
			vcpus = cli_parse_size(argv[++i]);
		else if ((r = sched_opt(&so, argc, argv, &i)) <= 0)
			return fprintf(stderr, "%s vm create: %s '%s'\n", prog,
				       r ? "bad value for" : "unknown option", argv[i]), 2;
	}
	if (!image || mem <= 0)
		return fprintf(stderr, "%s vm create: need --image G [--mem M] [--cmdline S]\n", prog), 2;
	if (so.given && so.reserve > so.limit)
		return fprintf(stderr, "%s vm: --reserve above --limit\n", prog), 2;
	if (vcpus < 1 || vcpus > VMK_VM_MAX_VCPUS)
		return fprintf(stderr, "%s vm create: --vcpus %lld: want 1..%u\n", prog, vcpus,
			       VMK_VM_MAX_VCPUS), 2;
	img = cli_read_file(image, &len);
	if (!img)
		return 1;
	h = find_mb(img, len);
	if (!h) {
		fprintf(stderr, "%s vm create: %s is not a multiboot (v1) kernel\n", prog, image);
		free(img);
		return 1;
	}
	if (long_mode && !(lm = find_lm(img, len))) {
		fprintf(stderr, "%s vm create: %s has no vmk long-mode header (<vmk/guest.h>); "
			"start it without --long-mode\n", prog, image);
		free(img);
		return 1;
	}
	a.arg[0] = (uint64_t)mem;
	a.arg[1] = (uint64_t)vcpus;
	if (vm_ioctl(fd, &a, "create")) {
		free(img);
		return 1;
	}
	entry = (h->flags & MB_AOUT_KLUDGE) ? load_aout(fd, (uint32_t)a.result, img, len, h)
					    : load_elf(fd, (uint32_t)a.result, img, len);
	uint64_t entry64 = lm ? lm->entry64 : 0;   /* lm points into img */
	free(img);
	struct vmk_ioc_vm st = { .op = VMK_VM_START, .id = (uint32_t)a.result,
				 .arg = { lm ? entry64 : (uint64_t)entry, VMK_GUEST_MBI_GPA,
					  lm ? VMK_VM_START_LONG : 0 } };
	if (entry < 0 || write_mbi(fd, (uint32_t)a.result, (uint64_t)mem, cmdline) ||
	    vm_ioctl(fd, &st, "create (setting the entry point)")) {
		if (entry < 0)
			fprintf(stderr, "%s vm create: %s: cannot load its segments into %lld bytes\n",
				prog, image, mem);
		undo_create(fd, (uint32_t)a.result);
		return 1;
	}
	/* A VM that cannot be scheduled as asked is not left behind, and its id
	 * is printed only once it exists as asked. */
	if (so.given && (r = do_schedule(fd, (uint32_t)a.result, &so)) != 0) {
		undo_create(fd, (uint32_t)a.result);
		return r;
	}
	printf("%lld\n", (long long)a.result);
	fflush(stdout);
	return 0;
}

static int cmd_schedule(int fd, uint32_t id, int argc, char **argv)
{
	struct sched_opts so = { 0, 1000, 0, 1000000 };

	for (int i = 3; i < argc; i++)
		if (sched_opt(&so, argc, argv, &i) != 1)
			return fprintf(stderr, "%s vm schedule: bad option '%s'\n", prog, argv[i]), 2;
	return do_schedule(fd, id, &so);
}

static int get_info(int fd, uint32_t id, struct vmk_vm_info *info)
{
	struct vmk_ioc_vm a = { .op = VMK_VM_INFO, .id = id, .buf = (uintptr_t)info,
				.len = sizeof(*info) };
	return vm_ioctl(fd, &a, "info") ? -1 : 0;
}

static const char *state_name(uint32_t s);

/* A running vCPU stops at its next exit (it is kicked): `vmk vm stop`
 * returns once every vCPU has, so a destroy may follow at once. */
static int wait_stopped(int fd, uint32_t id)
{
	struct vmk_vm_info info;

	for (int i = 0; i < 100; i++) {
		if (get_info(fd, id, &info))
			return 1;
		if (info.state == VMK_VMS_STOPPED)
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "%s vm stop: vm%u is still stopping after 10 s (state %s)\n", prog, id,
		state_name(info.state));
	return 1;
}

/* Print what the VM wrote to its console since the last call. */
static void drain_console(int fd, uint32_t id)
{
	char buf[4096];
	struct vmk_ioc_vm a = { .op = VMK_VM_CONSOLE, .id = id, .buf = (uintptr_t)buf,
				.len = sizeof(buf) };

	while (cli_ioctl(fd, VMK_IOC_VM, &a) == 0 && a.result > 0) {
		fwrite(buf, 1, (size_t)a.result, stdout);
		fflush(stdout);
	}
}

static const char *state_name(uint32_t s)
{
	static const char *const n[] = { "free", "created", "ready", "halted", "stopped" };
	return s < 5 ? n[s] : "?";
}

/* Runs the VM on this CPU in the foreground, printing its console, until
 * it halts or stops.  Exit status: the guest's exit-port status (pass is
 * (0 << 1) | 1 = 1, reported as 0), else 1. */
static int cmd_start(int fd, uint32_t id)
{
	struct vmk_ioc_vm a = { .op = VMK_IOC_VM_RUN, .id = id };
	struct vmk_vm_info info;
	cpu_set_t one;
	int cpu = sched_getcpu();

	/* A VM stays on the CPU it started on (the vmkernel refuses others):
	 * keep this thread there. */
	if (get_info(fd, id, &info))
		return 1;
	if (info.nvcpus > 1)
		return fprintf(stderr, "%s vm start: vm%u has %u vCPUs; only the vmkernel's "
			       "scheduler runs those (vmk vm schedule %u)\n", prog, id,
			       info.nvcpus, id), 1;
	CPU_ZERO(&one);
	if (cpu >= 0) {
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	do {
		if (vm_ioctl(fd, &a, "start"))
			return 1;
		drain_console(fd, id);
	} while (a.result == VMK_VM_PREEMPTED || a.result == VMK_VM_YIELDED);
	if (get_info(fd, id, &info))
		return 1;
	fprintf(stderr, "vm%u: %s%s%s, exit status %lld\n", id, state_name(info.state),
		info.reason[0] ? ": " : "", info.reason, (long long)info.exit_status);
	return info.exit_status == 1 ? 0 : 1;
}

static void print_info(const struct vmk_vm_info *v, int json)
{
	static const char *const names[VMK_VX_COUNT] = VMK_VX_NAMES;

	if (!json) {
		printf("vm%-3u %-8s %6llu MiB  vcpus %u  runs %llu  switches %llu  exit %lld  %s\n",
		       v->id, state_name(v->state), (unsigned long long)v->mem_size >> 20, v->nvcpus,
		       (unsigned long long)v->runs, (unsigned long long)v->switches,
		       (long long)v->exit_status, v->reason);
		printf("      exits:");
		for (int k = 0; k < VMK_VX_COUNT; k++)
			printf(" %s=%llu", names[k], (unsigned long long)v->exits[k]);
		printf("  (HLTs done for it after an exit in an STI shadow: %llu)\n",
		       (unsigned long long)v->shadow_hlts);
		if (v->scheduled || v->run_ns)
			printf("      sched: %s shares %u reserve %.2f%% limit %.2f%%  ran %.3f s  "
			       "entitled %.2f%%  cpu %d  migrations %llu  yields %llu\n",
			       v->scheduled ? "on" : "off", v->shares, v->reservation_ppm / 1e4,
			       v->limit_ppm / 1e4, v->run_ns / 1e9, v->entitled_ppm / 1e4,
			       v->last_cpu, (unsigned long long)v->migrations,
			       (unsigned long long)v->yields);
		if (v->nvcpus > 1 && (v->scheduled || v->run_ns))
			printf("      vCPUs: largest lead over the slowest sibling %.3f ms, "
			       "co-stopped %llu times for %.3f ms\n", v->lead_max_ns / 1e6,
			       (unsigned long long)v->costops, v->costop_ns / 1e6);
		return;
	}
	printf("{\"id\": %u, \"state\": \"%s\", \"mem_size\": %llu, \"vcpus\": %u, \"runs\": %llu, "
	       "\"switches\": %llu, \"exit_status\": %lld, \"reason\": \"%s\", "
	       "\"scheduled\": %u, \"shares\": %u, \"reservation_ppm\": %u, \"limit_ppm\": %u, "
	       "\"run_ns\": %llu, \"entitled_ppm\": %llu, \"last_cpu\": %d, \"migrations\": %llu, "
	       "\"costops\": %llu, \"costop_ns\": %llu, \"lead_max_ns\": %llu, \"yields\": %llu, "
	       "\"shadow_hlts\": %llu, "
	       "\"exits\": {",
	       v->id, state_name(v->state), (unsigned long long)v->mem_size, v->nvcpus,
	       (unsigned long long)v->runs, (unsigned long long)v->switches,
	       (long long)v->exit_status, v->reason, v->scheduled, v->shares,
	       v->reservation_ppm, v->limit_ppm, (unsigned long long)v->run_ns,
	       (unsigned long long)v->entitled_ppm, v->last_cpu,
	       (unsigned long long)v->migrations, (unsigned long long)v->costops,
	       (unsigned long long)v->costop_ns, (unsigned long long)v->lead_max_ns,
	       (unsigned long long)v->yields, (unsigned long long)v->shadow_hlts);
	for (int k = 0; k < VMK_VX_COUNT; k++)
		printf("%s\"%s\": %llu", k ? ", " : "", names[k], (unsigned long long)v->exits[k]);
	printf("}}\n");
}

/* Every VM, a line (or a JSON object) each; @sep goes between JSON objects.
 * Returns how many. */
int cli_print_vms(int fd, int json, const char *sep)
{
	struct vmk_vm_info info;
	struct vmk_ioc_vm l = { .op = VMK_VM_LIST };
	int n = 0;

	/* Ask only for the ids that exist: a probe of a missing one would be a
	 * failed hypercall, which the vmkernel counts as bad. */
	if (cli_ioctl(fd, VMK_IOC_VM, &l) != 0)
		return 0;
	for (uint32_t id = 1; id <= VMK_MAX_VMS; id++) {
		struct vmk_ioc_vm a = { .op = VMK_VM_INFO, .id = id, .buf = (uintptr_t)&info,
					.len = sizeof(info) };
		if (!(l.result & (1ull << id)) || cli_ioctl(fd, VMK_IOC_VM, &a) != 0)
			continue;   /* (destroyed since the list) */
		if (json && n)
			fputs(sep, stdout);
		print_info(&info, json);
		n++;
	}
	return n;
}

static int cmd_list(int fd, int json)
{
	cli_print_vms(fd, json, "");
	return 0;
}

static int parse_id(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < 1 || v > VMK_MAX_VMS)
		return fprintf(stderr, "%s vm: bad VM id '%s'\n", prog, s), -1;
	*id = (uint32_t)v;
	return 0;
}

static void vm_usage(FILE *f)
{
	fprintf(f,
		"usage: %s vm create --image G [--mem M] [--cmdline S] [--long-mode] [--vcpus N]\n"
		"                          [SCHED]\n"
		"                          prints the new id; with SCHED options it is scheduled\n"
		"                          at once; --long-mode starts it directly in 64-bit mode\n"
		"                          (the image needs vmk's long-mode header, <vmk/guest.h>);\n"
		"                          --vcpus N (1..%u): vCPU 0 starts, the others wait for\n"
		"                          INIT and a start-up IPI from it (x2APIC)\n"
		"       %s vm start ID     run a one-vCPU VM here (foreground) until it halts or\n"
		"                          stops; exit status 0 if it reported pass on the exit port\n"
		"       %s vm schedule ID [SCHED]\n"
		"                          the vmkernel's scheduler runs it on the CPUs given to\n"
		"                          it (vmk cpu give N); returns at once\n"
		"       SCHED: --shares S (1..1000000, default 1000) --reserve PCT --limit PCT\n"
		"              (percent of one CPU; defaults 0 and 100), for each vCPU\n"
		"       %s vm stop ID     stops it; returns once every vCPU has (10 s at most)\n"
		"       %s vm destroy ID | console ID | info ID [--json]\n"
		"       %s vm list [--json]\n"
		"G is a multiboot (v1) kernel: a.out-kludge, ELF32 or ELF64 PT_LOAD segments.\n",
		prog, VMK_VM_MAX_VCPUS, prog, prog, prog, prog, prog);
}

int cmd_vm(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int json = argc > 2 && !strcmp(argv[argc - 1], "--json");
	uint32_t id = 0;
	int fd, rc;

	if (!strcmp(sub, "help") || !*sub) {
		vm_usage(*sub ? stdout : stderr);
		return *sub ? 0 : 2;
	}
	if (strcmp(sub, "create") && strcmp(sub, "list") &&
	    (argc < 3 || parse_id(argv[2], &id)))
		return vm_usage(stderr), 2;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!strcmp(sub, "create")) {
		rc = cmd_create(fd, argc - 1, argv + 1);
	} else if (!strcmp(sub, "list")) {
		rc = cmd_list(fd, json);
	} else if (!strcmp(sub, "start")) {
		rc = cmd_start(fd, id);
	} else if (!strcmp(sub, "schedule")) {
		rc = cmd_schedule(fd, id, argc, argv);
	} else if (!strcmp(sub, "console")) {
		drain_console(fd, id);
		rc = 0;
	} else if (!strcmp(sub, "info")) {
		struct vmk_vm_info info;
		rc = get_info(fd, id, &info) ? 1 : (print_info(&info, json), 0);
	} else if (!strcmp(sub, "stop") || !strcmp(sub, "destroy")) {
		struct vmk_ioc_vm a = { .op = sub[0] == 's' ? VMK_VM_STOP : VMK_VM_DESTROY, .id = id };
		rc = vm_ioctl(fd, &a, sub) ? 1 : 0;
		if (!rc && sub[0] == 's')
			rc = wait_stopped(fd, id);
	} else {
		fprintf(stderr, "%s vm: unknown subcommand '%s'\n", prog, sub);
		rc = 2;
	}
	close(fd);
	return rc;
}
