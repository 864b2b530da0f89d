/* vmk: the COS-side command line of vmk.  Talks to vmkload.ko through
 * /dev/vmk.  Linked statically: the lab's COS has no libc of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vmk/vmkload_ioctl.h>

static const char *prog = "vmk";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  probe [--json]   per-CPU SVM and nested-paging report (needs vmkload.ko)\n"
		"  version          CLI and module ABI versions\n"
		"  help             this text\n"
		"\n"
		"exit status: 0 on success, 1 on failure, 2 on bad usage\n",
		prog);
}

static int open_dev(void)
{
	uint32_t ver = 0;
	int fd = open(VMKLOAD_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s%s\n", prog, VMKLOAD_DEVICE,
			strerror(errno),
			errno == ENOENT ? " (is vmkload.ko loaded?)" : "");
		return -1;
	}
	if (ioctl(fd, VMK_IOC_VERSION, &ver) < 0 || ver != VMKLOAD_ABI_VERSION) {
		fprintf(stderr, "%s: vmkload.ko speaks ABI %u, this CLI ABI %u\n",
			prog, ver, VMKLOAD_ABI_VERSION);
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
	if (ioctl(fd, VMK_IOC_PROBE, &arg) < 0) {
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
	fd = open(VMKLOAD_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, VMK_IOC_VERSION, &ver) == 0)
		printf("vmkload.ko ABI %u\n", ver);
	else
		printf("vmkload.ko not loaded\n");
	if (fd >= 0)
		close(fd);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "probe", cmd_probe },
	{ "version", cmd_version },
};

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
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s' (try '%s help')\n", prog, argv[1], prog);
	return 2;
}
