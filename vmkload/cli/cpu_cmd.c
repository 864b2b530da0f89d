/* vmk cpu: hand CPUs between the COS and the vmkernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vmk/hypercall.h>
#include <vmk/vmkload_ioctl.h>
#include "cli.h"

static void cpu_usage(FILE *f)
{
	fprintf(f,
		"usage: %s cpu give N   take Linux CPU N offline and give it to the vmkernel,\n"
		"                       which runs its system world and scheduled VMs there\n"
		"       %s cpu take N   get CPU N back (refused while VMs are scheduled)\n"
		"       %s cpu list     who owns each CPU the vmkernel was loaded on\n"
		"       %s cpu cosched [none|relaxed]\n"
		"                       how the scheduler treats the vCPUs of one VM: each on\n"
		"                       its own, or relaxed co-scheduling (a vCPU more than 3 ms\n"
		"                       ahead of its slowest sibling waits); without an\n"
		"                       argument, print the mode; set only while no VM is\n"
		"                       scheduled\n"
		"CPU 0 always stays with the COS.\n", prog, prog, prog, prog);
}

static int cpu_list(int fd)
{
	static const char *const owners[] = VMK_CPU_OWNER_NAMES;
	static struct vmk_status st;
	struct vmk_ioc_status arg = { .buf = (uintptr_t)&st, .len = sizeof(st) };

	if (cli_ioctl(fd, VMK_IOC_STATUS, &arg) < 0) {
		fprintf(stderr, "%s cpu list: %s\n", prog,
			errno == ENOENT ? "the vmkernel is not loaded" : strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < st.ncpus && i < 64; i++)
		printf("cpu%u %s\n", st.cpu[i].cpu,
		       st.cpu[i].owner < 4 ? owners[st.cpu[i].owner] : "?");
	return 0;
}

int cmd_cpu(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct vmk_ioc_cpu a = { 0 };
	char *end = NULL;
	unsigned long n = 0;
	int fd, rc = 0;

	if (!strcmp(sub, "help")) {
		cpu_usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "cosched")) {
		static const char *const names[] = VMK_COSCHED_NAMES;
		struct vmk_ioc_cpu c = { .op = VMK_IOC_CPU_COSCHED, .cpu = VMK_COSCHED_QUERY };
		int r;

		if (argc > 3 || (argc == 3 && strcmp(argv[2], "none") && strcmp(argv[2], "relaxed")))
			return cpu_usage(stderr), 2;
		if (argc == 3)
			c.cpu = strcmp(argv[2], "none") ? VMK_COSCHED_RELAXED : VMK_COSCHED_NONE;
		fd = open_dev();
		if (fd < 0)
			return 1;
		r = cli_ioctl(fd, VMK_IOC_CPU, &c);
		close(fd);
		if (r < 0 || r > VMK_COSCHED_RELAXED) {
			fprintf(stderr, "%s cpu cosched: %s\n", prog,
				r >= 0 ? "unexpected answer" :
				errno == ENOENT ? "the vmkernel is not loaded" :
				errno == EBUSY ? "VMs are scheduled: stop them first" : strerror(errno));
			return 1;
		}
		printf("cosched %s\n", names[r]);
		return 0;
	}
	if (!strcmp(sub, "give") || !strcmp(sub, "take")) {
		if (argc != 3 || !*argv[2] || (n = strtoul(argv[2], &end, 10), *end) || n > 4095)
			return cpu_usage(stderr), 2;
		a.op = sub[0] == 'g' ? VMK_IOC_CPU_GIVE : VMK_IOC_CPU_TAKE;
		a.cpu = (uint32_t)n;
	} else if (strcmp(sub, "list") || argc != 2) {
		return cpu_usage(stderr), 2;
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!a.op) {
		rc = cpu_list(fd);
	} else if (cli_ioctl(fd, VMK_IOC_CPU, &a) < 0) {
		fprintf(stderr, "%s cpu %s %lu: %s\n", prog, sub, n,
			errno == EPERM ? "CPU 0 stays with the COS" :
			errno == ENOENT ? "the vmkernel is not loaded" :
			errno == ENODEV ? "the vmkernel was not loaded on that CPU" :
			errno == EALREADY ? (a.op == VMK_IOC_CPU_GIVE ?
					     "it is not a COS CPU (offline or already given)" :
					     "it is not the vmkernel's") :
			errno == EBUSY ? (a.op == VMK_IOC_CPU_TAKE ?
					  "VMs are scheduled on the vmkernel's CPUs: stop them first" :
					  "Linux refused to take it offline") :
			strerror(errno));
		rc = 1;
	} else {
		printf("cpu%lu %s\n", n, a.op == VMK_IOC_CPU_GIVE ? "given to the vmkernel"
								 : "back with the COS");
	}
	close(fd);
	return rc;
}
