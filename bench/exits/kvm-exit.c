/* kvm-exit: the KVM side of vmk's exit path-length benchmark.  Runs a tiny
 * real-mode guest under /dev/kvm that executes the same loop as the COS side
 * (vmkload's VMK_IOC_BENCH): mov eax, imm32; xor ecx, ecx; OP; dec esi; jnz,
 * between two RDTSCs, then HLT.  KVM handles VMMCALL and CPUID in the kernel,
 * so the loop never leaves it; the TSC delta per iteration is the round trip.
 *
 *   kvm-exit --op loop|vmmcall|cpuid [-n N] [--json]                        */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define CODE_AT 0x1000

static int die(const char *what)
{
	fprintf(stderr, "kvm-exit: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Real-mode code; 0x66 makes each operation 32-bit. */
static size_t build_code(uint8_t *p, const char *op, uint32_t n, uint32_t leaf)
{
	size_t i = 0, loop;

	p[i++] = 0x66; p[i++] = 0xbe; memcpy(p + i, &n, 4); i += 4;    /* mov esi, n */
	p[i++] = 0x0f; p[i++] = 0x31;                                  /* rdtsc */
	p[i++] = 0x66; p[i++] = 0x89; p[i++] = 0xc7;                   /* mov edi, eax */
	p[i++] = 0x66; p[i++] = 0x89; p[i++] = 0xd5;                   /* mov ebp, edx */
	loop = i;
	p[i++] = 0x66; p[i++] = 0xb8; memcpy(p + i, &leaf, 4); i += 4; /* mov eax, leaf */
	p[i++] = 0x66; p[i++] = 0x31; p[i++] = 0xc9;                   /* xor ecx, ecx */
	if (!strcmp(op, "vmmcall")) {
		p[i++] = 0x0f; p[i++] = 0x01; p[i++] = 0xd9;
	} else if (!strcmp(op, "cpuid")) {
		p[i++] = 0x0f; p[i++] = 0xa2;
	}
	p[i++] = 0x66; p[i++] = 0x4e;                                  /* dec esi */
	p[i++] = 0x75; p[i] = (uint8_t)(loop - (i + 1)); i++;          /* jnz loop */
	p[i++] = 0x0f; p[i++] = 0x31;                                  /* rdtsc */
	p[i++] = 0xf4;                                                 /* hlt */
	return i;
}

int main(int argc, char **argv)
{
	const char *op = NULL;
	uint32_t n = 100000;
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--op") && i + 1 < argc)
			op = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			fprintf(stderr, "usage: kvm-exit --op loop|vmmcall|cpuid [-n N] [--json]\n");
			return 2;
		}
	}
	if (!op || (strcmp(op, "loop") && strcmp(op, "vmmcall") && strcmp(op, "cpuid")) ||
	    n == 0 || n > (1u << 24)) {
		fprintf(stderr, "kvm-exit: need --op loop|vmmcall|cpuid and -n 1..16777216\n");
		return 2;
	}

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm (is kvm-amd loaded?)");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	build_code(mem + CODE_AT, op, n, 0);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return die("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE_AT, .rflags = 2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_REGS");
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-exit: guest stopped with exit reason %u, not HLT\n",
			run->exit_reason);
		return 1;
	}
	if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0)
		return die("KVM_GET_REGS");
	uint64_t t0 = ((regs.rbp & 0xffffffff) << 32) | (regs.rdi & 0xffffffff);
	uint64_t t1 = ((regs.rdx & 0xffffffff) << 32) | (regs.rax & 0xffffffff);
	if (json)
		printf("{\"op\": \"%s\", \"iterations\": %u, \"tsc_delta\": %llu}\n", op, n,
		       (unsigned long long)(t1 - t0));
	else
		printf("%s: %u iterations, %.2f TSC ticks each (KVM guest)\n", op, n,
		       (double)(t1 - t0) / n);
	return 0;
}
