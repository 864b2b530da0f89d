/* kvm-guest: the KVM side of vmk's VM exit benchmark.  A small user-space
 * VMM on /dev/kvm that boots a multiboot (v1) a.out-kludge image, such as the
 * bench guest, the way vmk's VMM does: 32-bit protected mode, flat segments,
 * paging off, EAX = 0x2BADB002, EBX = the multiboot information (with the
 * command line) at the addresses of include/vmk/guest.h.
 *
 * CPUID and VMMCALL stay in the kernel (KVM answers VMMCALL RAX=0 with
 * -KVM_ENOSYS); port I/O comes out here, as it does in QEMU or kvmtool: the
 * console (0x3f8, its LSR reads 0x60), the exit port (0xf4) and the bench
 * yield port.  Without --vcpus there is no interrupt controller and HLT ends
 * a VM; with --vms N this one thread runs N such VMs of the same image in
 * turn: a VM runs until it writes the yield port, halts or exits, then the
 * next one runs.
 *
 * --vcpus N (the KVM side of the bench guest's SMP tests): one VM with KVM's
 * in-kernel interrupt controller (KVM_CREATE_IRQCHIP: local APICs, so HLT,
 * IPIs, INIT and start-up IPIs and the APIC timer stay in the kernel) and N
 * vCPUs, each run by its own thread.  Every vCPU's CPUID offers x2APIC and
 * the TSC-deadline timer, and its initial APIC ID (leaf 1 EBX[31:24], leaves
 * 0xb/0x1f EDX) is its index, which KVM also uses as its APIC ID.  vCPU 0
 * starts as above; the others wait inside KVM_RUN for their INIT and
 * start-up IPIs.  The first vCPU to end the VM (exit port, shutdown, error)
 * stops the others: it sets their kvm_run.immediate_exit and sends their
 * threads SIGUSR1, whose handler does nothing, so that a KVM_RUN under way
 * returns EINTR and one about to start returns at once; main joins them.
 * Console bytes from any vCPU go out through stdio, which locks stdout
 * (line-buffered in this mode, so that a hung guest shows how far it got). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vmk/guest.h>
#include <vmk/guest_bench.h>

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_AOUT_KLUDGE (1u << 16)
#define MAX_VMS 8
#define MAX_VCPUS 8              /* the bench guest's GUEST_MAX_CPUS */
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {             /* the fields filled here, as vmk fills them */
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

struct image {
	const uint8_t *data;
	size_t len;
	const struct mb_header *h;
	uint64_t file_off, n;    /* what of the file goes to h->load_addr */
};

struct gvm;

struct vcpu {
	struct gvm *g;
	unsigned idx;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;            /* thread is valid (under g->lock) */
};

struct gvm {
	int vm;
	uint8_t *mem;
	unsigned ncpus;
	struct vcpu cpu[MAX_VCPUS];
	pthread_mutex_t lock;   /* ending the VM; starting the vCPU threads */
	int done;               /* read without the lock: atomically */
	long status;            /* exit-port status (V << 1) | 1, or -1 */
	const char *why;
	unsigned by;            /* the vCPU that ended it */
};

struct opts {
	const char *image, *cmdline, *others;
	unsigned long mem_mib, nvms, nvcpus;
	int apic;               /* --vcpus given: in-kernel irqchip, a thread per vCPU */
};

static const char *prog = "kvm-guest";

static int sys_fail(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	return -1;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s --image FILE [--mem MiB] [--cmdline S] [--vms N] [--cmdline-others S]\n"
		"       %s --image FILE [--mem MiB] [--cmdline S] --vcpus N\n"
		"Boots FILE, a multiboot (v1) a.out-kludge image such as vmk's bench guest,\n"
		"in a KVM VM (32-bit protected mode, EAX = 0x2BADB002, EBX = multiboot info)\n"
		"and prints its console.  --mem: guest memory in MiB (default 8, 4..1024).\n"
		"Without --vcpus a VM has one vCPU and no interrupt controller (HLT ends it).\n"
		"--vms N (1..%d): N VMs of the same image and command line, run by this one\n"
		"thread in turn; a VM gives the CPU to the next by writing port 0x%x.\n"
		"--cmdline-others S: the command line of VMs 2..N (default: --cmdline's).\n"
		"--vcpus N (1..%d): one VM with KVM's in-kernel local APICs (x2APIC, TSC-deadline\n"
		"timer) and N vCPUs, each run by its own thread; vCPU i's APIC ID is i.  vCPU 0\n"
		"boots FILE, the others wait for INIT and start-up IPIs.  The VM ends when any\n"
		"vCPU writes the exit port.  Not with --vms N > 1.\n"
		"Needs /dev/kvm (kvm-amd or kvm-intel).  Exit status: 0 if every VM reported\n"
		"pass on the exit port (0xf4), 1 otherwise or on error, 2 on bad usage.\n",
		prog, prog, MAX_VMS, VMK_BENCH_YIELD_PORT, MAX_VCPUS);
	return 2;
}

static int read_image(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	im->len = (size_t)st.st_size;
	im->data = im->len ? mmap(NULL, im->len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (im->data == MAP_FAILED) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, im->len ? strerror(errno) : "empty file");
		return -1;
	}
	im->h = NULL;
	for (size_t off = 0; off + sizeof(struct mb_header) <= im->len && off < 8192; off += 4) {
		const struct mb_header *h = (const void *)(im->data + off);
		if (h->magic == MB_MAGIC && h->magic + h->flags + h->checksum == 0) {
			im->h = h;
			break;
		}
	}
	if (!im->h) {
		fprintf(stderr, "%s: %s is not a multiboot (v1) image (no header in its first 8 KiB)\n",
			prog, path);
		return -1;
	}
	if (!(im->h->flags & MB_AOUT_KLUDGE)) {
		fprintf(stderr, "%s: %s: only a.out-kludge multiboot images are supported "
			"(header flag 16)\n", prog, path);
		return -1;
	}
	return 0;
}

/* Where the image goes, checked before any VM exists. */
static int place_image(struct image *im, uint64_t size, const char *cmdline,
		       const char *opt)
{
	const struct mb_header *h = im->h;
	size_t hoff = (size_t)((const uint8_t *)h - im->data);
	uint64_t end;

	im->file_off = hoff - (uint64_t)(h->header_addr - h->load_addr);
	im->n = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
				 : im->len - im->file_off;
	if (h->header_addr < h->load_addr || hoff < h->header_addr - h->load_addr ||
	    im->file_off > im->len || im->n > im->len - im->file_off) {
		fprintf(stderr, "%s: the image is shorter than its multiboot header says "
			"(or the header's addresses are inconsistent)\n", prog);
		return -1;
	}
	end = h->bss_end_addr > h->load_addr + im->n ? h->bss_end_addr : h->load_addr + im->n;
	if (h->load_addr < 0x10000 || end > size || h->entry_addr < h->load_addr ||
	    h->entry_addr >= h->load_addr + im->n) {
		fprintf(stderr, "%s: the image's multiboot addresses do not fit %llu MiB "
			"above 64 KiB (or its entry lies outside it)\n", prog,
			(unsigned long long)size >> 20);
		return -1;
	}
	if (strlen(cmdline) >= VMK_GUEST_CMDLINE_MAX) {
		fprintf(stderr, "%s: %s longer than %u bytes\n", prog, opt,
			VMK_GUEST_CMDLINE_MAX - 1);
		return -1;
	}
	return 0;
}

/* Copy the image and the multiboot information into guest memory. */
static void load_image(const struct image *im, uint8_t *mem, uint64_t size, const char *cmdline)
{
	struct mb_info mbi = { .flags = 1u | 4u, .mem_lower = 639,
			       .mem_upper = (uint32_t)((size >> 10) - 1024),
			       .cmdline = VMK_GUEST_CMDLINE_GPA };

	memcpy(mem + im->h->load_addr, im->data + im->file_off, im->n);
	memcpy(mem + VMK_GUEST_MBI_GPA, &mbi, sizeof(mbi));
	memcpy(mem + VMK_GUEST_CMDLINE_GPA, cmdline, strlen(cmdline) + 1);
}

static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	for (unsigned nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			break;
	}
	sys_fail("KVM_GET_SUPPORTED_CPUID");
	return NULL;
}

/* In --vcpus mode, vCPU idx's CPUID: x2APIC and the TSC-deadline timer on
 * (KVM's local APIC emulates both), idx as the initial APIC ID. */
static void cpuid_for_vcpu(struct kvm_cpuid2 *c, unsigned idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | idx << 24;
			e->ecx |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = idx;   /* x2APIC ID, every subleaf */
		}
	}
}

/* Multiboot's machine state (as vmk's vm_vmcb_init sets it), on vCPU 0.
 * The guest's CPUID is everything KVM supports, so that it may turn on long
 * mode (with --vcpus, patched per vCPU by cpuid_for_vcpu()). */
static int setup_vcpu(struct vcpu *c, struct kvm_cpuid2 *cpuid, int apic, uint32_t entry)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffffu, .selector = 0x08,
				    .type = 0xb, .present = 1, .dpl = 0, .db = 1, .s = 1,
				    .l = 0, .g = 1 };
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rax = MB_BOOT_MAGIC,
				 .rbx = VMK_GUEST_MBI_GPA, .rflags = 2 };

	data.selector = 0x10;
	data.type = 0x3;
	if (apic)
		cpuid_for_vcpu(cpuid, c->idx);
	if (ioctl(c->fd, KVM_SET_CPUID2, cpuid) < 0)
		return sys_fail("KVM_SET_CPUID2");
	if (c->idx)
		return 0;   /* an AP: its state comes from INIT and start-up IPIs */
	if (ioctl(c->fd, KVM_GET_SREGS, &sregs) < 0)
		return sys_fail("KVM_GET_SREGS");
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = 0x11;   /* PE, ET */
	sregs.cr3 = sregs.cr4 = sregs.efer = 0;
	if (ioctl(c->fd, KVM_SET_SREGS, &sregs) < 0)
		return sys_fail("KVM_SET_SREGS");
	if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
		return sys_fail("KVM_SET_REGS");
	return 0;
}

/* A VM with ncpus vCPUs; with apic, KVM's irqchip first (it must exist
 * before the vCPUs). */
static int create_vm(int kvm, struct gvm *g, const struct image *im, uint64_t size,
		     const char *cmdline, struct kvm_cpuid2 *cpuid, unsigned ncpus, int apic)
{
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	g->status = -1;
	g->ncpus = ncpus;
	pthread_mutex_init(&g->lock, NULL);
	g->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		return sys_fail("KVM_CREATE_VM");
	if (apic && ioctl(g->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return sys_fail("KVM_CREATE_IRQCHIP");
	g->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		return sys_fail("mmap guest memory");
	load_image(im, g->mem, size, cmdline);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = size,
		.userspace_addr = (uintptr_t)g->mem,
	};
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return sys_fail("KVM_SET_USER_MEMORY_REGION");
	if (run_size < (int)sizeof(struct kvm_run))
		return sys_fail("KVM_GET_VCPU_MMAP_SIZE");
	for (unsigned i = 0; i < ncpus; i++) {
		struct vcpu *c = &g->cpu[i];

		c->g = g;
		c->idx = i;
		c->fd = ioctl(g->vm, KVM_CREATE_VCPU, (unsigned long)i);
		if (c->fd < 0)
			return sys_fail("KVM_CREATE_VCPU");
		c->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED)
			return sys_fail("mmap kvm_run");
		if (setup_vcpu(c, cpuid, apic, im->h->entry_addr))
			return -1;
	}
	return 0;
}

static int ended(struct gvm *g)
{
	return __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);
}

/* vCPU self (ncpus: none) ends the VM, unless another one did first; the
 * other vCPUs' threads are kicked out of KVM_RUN (see the header). */
static void end_vm(struct gvm *g, unsigned self, const char *why, long status)
{
	pthread_mutex_lock(&g->lock);
	if (!g->done) {
		g->why = why;
		g->status = status;
		g->by = self;
		__atomic_store_n(&g->done, 1, __ATOMIC_RELEASE);
		for (unsigned i = 0; i < g->ncpus; i++) {
			if (i == self)
				continue;
			__atomic_store_n(&g->cpu[i].run->immediate_exit, 1, __ATOMIC_RELEASE);
			if (g->cpu[i].started)
				pthread_kill(g->cpu[i].thread, SIGUSR1);
		}
	}
	pthread_mutex_unlock(&g->lock);
}

/* One port exit of vCPU c.  Returns 1 if the VM gave up the CPU (yield
 * port), else 0; ends the VM when it wrote the exit port. */
static int port_io(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	uint8_t *d = (uint8_t *)r + r->io.data_offset;
	int yield = 0;

	for (uint32_t i = 0; i < r->io.count; i++, d += r->io.size) {
		uint16_t port = r->io.port;
		if (r->io.direction == KVM_EXIT_IO_IN) {
			uint8_t v = port == VMK_BENCH_PIO_PORT ? 0x60 :   /* LSR: idle */
				    (port & ~7u) == VMK_GUEST_CONSOLE_PORT ? 0 : 0xff;
			memset(d, v, r->io.size);
			if (port == VMK_BENCH_PIO_PORT && r->io.size > 1)
				memset(d + 1, 0xff, r->io.size - 1u);
		} else if (port == VMK_GUEST_CONSOLE_PORT) {
			putchar(d[0]);   /* stdio locks stdout: one byte at a time */
		} else if (port == VMK_GUEST_EXIT_PORT) {
			end_vm(c->g, c->idx, "wrote the exit port", ((long)d[0] << 1) | 1);
			return 0;
		} else if (port == VMK_BENCH_YIELD_PORT) {
			yield = 1;
		}   /* other writes: ignored, as empty ISA space does */
	}
	return yield;
}

/* Runs vCPU c until it yields (1) or the VM ends (0); -1 on a KVM error
 * (the VM ends too). */
static int run_once(struct vcpu *c)
{
	struct gvm *g = c->g;

	for (;;) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && ended(g))
				return 0;   /* kicked by end_vm() */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			sys_fail("KVM_RUN");
			end_vm(g, c->idx, "KVM_RUN failed", -1);
			return -1;
		}
		switch (c->run->exit_reason) {
		case KVM_EXIT_IO:
			if (port_io(c))
				return 1;
			if (ended(g))
				return 0;
			break;
		case KVM_EXIT_HLT:
			end_vm(g, c->idx, "halted", -1);
			return 0;
		case KVM_EXIT_SHUTDOWN:
			end_vm(g, c->idx, "shutdown (triple fault)", -1);
			return 0;
		case KVM_EXIT_MMIO:   /* no devices: outside its memory */
			fprintf(stderr, "%s: guest accessed guest pa %llx, outside its memory\n",
				prog, (unsigned long long)c->run->mmio.phys_addr);
			end_vm(g, c->idx, "access outside its memory", -1);
			return 0;
		default:
			fprintf(stderr, "%s: guest stopped: KVM exit reason %u\n", prog,
				c->run->exit_reason);
			end_vm(g, c->idx, "unexpected KVM exit", -1);
			return 0;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;

	while (!ended(c->g) && run_once(c) >= 0)
		;
	return NULL;
}

static void kick(int sig)
{
	(void)sig;   /* only there to make KVM_RUN return EINTR */
}

/* --vcpus: a thread per vCPU until the VM ends. */
static int run_vcpus(struct gvm *g)
{
	struct sigaction sa = { .sa_handler = kick };
	int err = 0;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return sys_fail("sigaction");
	pthread_mutex_lock(&g->lock);
	for (unsigned i = 0; i < g->ncpus && !err; i++) {
		err = pthread_create(&g->cpu[i].thread, NULL, vcpu_thread, &g->cpu[i]);
		g->cpu[i].started = !err;
	}
	pthread_mutex_unlock(&g->lock);
	if (err) {
		fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
		end_vm(g, g->ncpus, "could not start its vCPU threads", -1);
	}
	for (unsigned i = 0; i < g->ncpus; i++)
		if (g->cpu[i].started)
			pthread_join(g->cpu[i].thread, NULL);
	return err ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end = NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			return fprintf(stderr, "%s: '%s' needs a value or is unknown (see --help)\n",
				       prog, a), -1;
		if (!strcmp(a, "--image"))
			o->image = argv[++i];
		else if (!strcmp(a, "--cmdline"))
			o->cmdline = argv[++i];
		else if (!strcmp(a, "--cmdline-others"))
			o->others = argv[++i];
		else if (!strcmp(a, "--mem"))
			o->mem_mib = strtoul(argv[++i], &end, 10);
		else if (!strcmp(a, "--vms"))
			o->nvms = strtoul(argv[++i], &end, 10);
		else if (!strcmp(a, "--vcpus"))
			o->nvcpus = strtoul(argv[++i], &end, 10), o->apic = 1;
		else
			return fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a), -1;
		if (end && (*end || end == argv[i]))
			return fprintf(stderr, "%s: %s wants a number, not '%s'\n", prog, a,
				       argv[i]), -1;
	}
	if (!o->image)
		return fprintf(stderr, "%s: need --image FILE (see --help)\n", prog), -1;
	if (o->mem_mib < 4 || o->mem_mib > 1024 || o->nvms < 1 || o->nvms > MAX_VMS)
		return fprintf(stderr, "%s: --mem must be 4..1024 (MiB), --vms 1..%d\n", prog,
			       MAX_VMS), -1;
	if (o->nvcpus < 1 || o->nvcpus > MAX_VCPUS)
		return fprintf(stderr, "%s: --vcpus must be 1..%d\n", prog, MAX_VCPUS), -1;
	if (o->apic && o->nvms > 1)
		return fprintf(stderr, "%s: --vcpus runs one VM: not with --vms %lu\n", prog,
			       o->nvms), -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .cmdline = "", .mem_mib = 8, .nvms = 1, .nvcpus = 1 };
	static struct gvm vms[MAX_VMS];
	struct image im;
	int kvm, alive, rc = 0;

	if (parse_args(argc, argv, &o))
		return 2;
	if (!o.others)
		o.others = o.cmdline;
	if (read_image(o.image, &im) ||
	    place_image(&im, (uint64_t)o.mem_mib << 20, o.cmdline, "--cmdline") ||
	    place_image(&im, (uint64_t)o.mem_mib << 20, o.others, "--cmdline-others"))
		return 1;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "%s: /dev/kvm: %s (is kvm-amd or kvm-intel loaded?)\n", prog,
			strerror(errno));
		return 1;
	}
	struct kvm_cpuid2 *cpuid = supported_cpuid(kvm);
	if (!cpuid)
		return 1;
	for (unsigned long i = 0; i < o.nvms; i++)
		if (create_vm(kvm, &vms[i], &im, (uint64_t)o.mem_mib << 20,
			      i ? o.others : o.cmdline, cpuid, (unsigned)o.nvcpus, o.apic))
			return 1;
	if (o.apic) {
		setvbuf(stdout, NULL, _IOLBF, 0);   /* a hung guest's console shows how far it got */
		if (run_vcpus(&vms[0]) < 0)
			return 1;
		fflush(stdout);
		fprintf(stderr, "%s: vm1 (%u vCPUs): vCPU %u %s, exit status %ld\n", prog,
			vms[0].ncpus, vms[0].by, vms[0].why, vms[0].status);
		return vms[0].status == 1 ? 0 : 1;
	}
	/* Round robin over the VMs still running. */
	alive = (int)o.nvms;
	for (unsigned long cur = 0; alive; cur = (cur + 1) % o.nvms) {
		if (vms[cur].done)
			continue;
		if (run_once(&vms[cur].cpu[0]) < 0)
			return 1;
		alive -= vms[cur].done;
	}
	fflush(stdout);
	for (unsigned long i = 0; i < o.nvms; i++) {
		fprintf(stderr, "%s: vm%lu: %s, exit status %ld\n", prog, i + 1, vms[i].why,
			vms[i].status);
		if (vms[i].status != 1)
			rc = 1;
	}
	return rc;
}
