/* The bench guest OS.  What it does comes from its multiboot command line:
 *
 *   (empty), pass    greet and report pass
 *   oob              write outside its memory (the VMM must stop it)
 *   triple           fault with no usable IDT (a triple fault)
 *   badmsr           read an MSR the VMM does not offer: expects #GP
 *   svm              execute VMRUN: expects #UD
 *   hypercall        unknown and known guest hypercalls: expects ENOSYS, ABI 1
 *   switches=N       N yields to the vmkernel, checking all its registers
 *                    after each, then N more checking RFLAGS, segments,
 *                    descriptor tables, CR0/CR4, x87, MXCSR, XMM and YMM
 *                    (world-switch isolation)
 *   timer=N[,us=P]   N one-shot timer periods of P us, halting in each
 *                    (scheduled VMs only: the timer needs the vmkernel's CPUs)
 *   spin             compute forever without an exit (a CPU-bound load for
 *                    the scheduler tests)
 *   bench=OP[,n=N]   N exit round trips timed with RDTSC, one line out
 *                    (include/vmk/guest_bench.h); OP is vmmcall (VMMCALL,
 *                    RAX=0), cpuid (leaf 0), pio (IN from the console's
 *                    LSR), yield (VMMCALL VMK_GHC_YIELD) or yield-port
 *                    (OUT to VMK_BENCH_YIELD_PORT); ",mark" brackets
 *                    each loop with the --insncount markers
 *   bench=tlb,cpus=V[,n=N][,mark][,dups-ok]
 *                    N guest TLB shootdowns from vCPU 0 to the V-1 others:
 *                    INVLPG, one flush IPI to all but self, spin for the
 *                    acknowledgements (smp.c)
 *   bench=ipi[,n=N][,mark]
 *                    N IPI round trips between vCPU 0 and 1 (smp.c)
 *   smp=N[,n=K]      start N-1 APs with INIT/SIPI; all N run K steps of
 *                    their own work and K increments of a locked shared
 *                    counter, then each sends vCPU 0 an IPI (smp.c)
 *   apictimer        the x2APIC timer in TSC-deadline, one-shot and
 *                    periodic modes (smp.c)
 *   apicbad          nonsense to APIC registers and IPIs to absent vCPUs
 *                    (smp.c)
 *   nmi[,n=N]        N pairs of NMI IPIs from vCPU 1 to vCPU 0, the second
 *                    sent while the handler of the first runs: it must
 *                    wait for that handler's IRET (smp.c)
 *   xapic            the APIC in xAPIC mode through its MMIO page: ID,
 *                    version, the page moved, self-IPIs, EOI, the timer
 *   xapic,MODE       smp=, bench=ipi or apictimer through the xAPIC page
 *   xapicbad[,wide|,x2|,off]
 *                    misaligned, unimplemented, read-only accesses to the
 *                    page (each must be handled), then one the VMM must stop
 *                    the VM for: a byte read, a 64-bit read, the page in
 *                    x2APIC mode or with the APIC disabled (smp.c)
 *
 * Pass is reported on the exit port as 0 (status 1), failure as 1. */
#include <stdint.h>
#include <vmk/err.h>
#include <vmk/guest.h>
#include <vmk/guest_bench.h>
#include "guest_lib.h"

extern uint32_t mb_info_ptr;
extern uint32_t boot_by_vmm;   /* boot.S: 1 if the VMM entered us in long mode */
uint64_t guest_switch_test(uint64_t n);
void guest_exc_entry(void);   /* idt.S */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void puts_(const char *s)
{
	while (*s)
		outb(VMK_GUEST_CONSOLE_PORT, (uint8_t)*s++);
}

void put_u64(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}

void finish(int pass)
{
	puts_(pass ? "vmk-guest: PASS\n" : "vmk-guest: FAIL\n");
	outb(VMK_GUEST_EXIT_PORT, pass ? VMK_GUEST_EXIT_PASS : 1);
	for (;;)
		__asm__ volatile("hlt");
}

static const char *cmdline(void)
{
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)mb_info_ptr;

	if (!mbi || !(mbi[0] & 4u))
		return "";
	return (const char *)(uintptr_t)mbi[4];
}

int starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

/* Exceptions: the expected one passes, any other fails. */
static volatile unsigned expected_vec = ~0u;

void guest_exception(uint64_t vec, uint64_t rip);
void guest_exception(uint64_t vec, uint64_t rip)
{
	puts_("vmk-guest: exception ");
	put_u64(vec);
	puts_(" at rip ");
	put_u64(rip);
	puts_("\n");
	finish(vec == expected_vec);
}

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, rsvd;
} __attribute__((packed));

#define TIMER_VEC 32
static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const uint64_t guest_exc_stubs[32];
extern const uint64_t guest_irq_stubs[];   /* idt.S: (vector, stub) pairs, 0-ended */
void guest_timer_stub(void);     /* idt.S */
volatile uint64_t guest_timer_count;

void guest_gate(unsigned v, uint64_t a);
void guest_gate(unsigned v, uint64_t a)
{
	idt[v] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16),
				    (uint32_t)(a >> 32), 0 };
}

/* Built once by the BSP; every CPU loads the same table. */
void guest_idt_load(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d =
		{ sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(d));
}

static void idt_load(void)
{
	for (int v = 0; v < 32; v++)
		guest_gate((unsigned)v, guest_exc_stubs[v]);
	guest_gate(TIMER_VEC, (uint64_t)guest_timer_stub);
	for (const uint64_t *e = guest_irq_stubs; e[0]; e += 2)
		guest_gate((unsigned)e[0], e[1]);
	guest_idt_load();
}

static long hypercall(long nr)
{
	__asm__ volatile("vmmcall" : "+a"(nr) : : "memory");
	return nr;
}

uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}


/* The loops: the exiting instruction with its one set-up instruction, then
 * dec/jnz.  The same bytes run under every VMM. */
enum bench_op { B_EMPTY, B_VMMCALL, B_CPUID, B_PIO, B_YIELD, B_YIELD_PORT, B_OPS };
static const char *const bench_names[B_OPS] = {
	"empty", "vmmcall", "cpuid", "pio", "yield", "yield-port"
};

static int bench_mark;   /* ",mark": bracket each loop for --insncount */

static uint64_t bench_loop(enum bench_op op, uint64_t n)
{
	uint64_t i = n, t0 = rdtsc();

	if (bench_mark)
		__asm__ volatile(VMK_INSN_MARK_BEGIN ::: "memory");
	switch (op) {
	case B_EMPTY:
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(i));
		break;
	case B_VMMCALL:   /* the result is not used: KVM answers -KVM_ENOSYS */
		__asm__ volatile("1: movl $0, %%eax; vmmcall; dec %0; jnz 1b"
				 : "+r"(i) : : "rax", "memory");
		break;
	case B_CPUID:
		__asm__ volatile("1: xorl %%eax, %%eax; cpuid; dec %0; jnz 1b"
				 : "+r"(i) : : "rax", "rbx", "rcx", "rdx", "memory");
		break;
	case B_PIO:
		__asm__ volatile("1: movw %1, %%dx; inb %%dx, %%al; dec %0; jnz 1b"
				 : "+r"(i) : "i"(VMK_BENCH_PIO_PORT) : "rax", "rdx", "memory");
		break;
	case B_YIELD:
		__asm__ volatile("1: movl %1, %%eax; vmmcall; dec %0; jnz 1b"
				 : "+r"(i) : "i"(VMK_GHC_YIELD) : "rax", "memory");
		break;
	case B_YIELD_PORT:
		__asm__ volatile("1: movw %1, %%dx; outb %%al, %%dx; dec %0; jnz 1b"
				 : "+r"(i) : "i"(VMK_BENCH_YIELD_PORT) : "rax", "rdx", "memory");
		break;
	default:
		break;
	}
	if (bench_mark)
		__asm__ volatile(VMK_INSN_MARK_END ::: "memory");
	return rdtsc() - t0;
}

/* "OP[,n=N]": the empty loop, one untimed round trip (with two VMs taking
 * turns, the other one is in its loop by then), the timed loop, one line. */
static int bench(const char *a)
{
	uint64_t n = VMK_BENCH_DEFAULT_N, empty, tsc;
	int op = B_OPS;

	for (int k = 1; k < B_OPS; k++) {
		const char *s = a, *p = bench_names[k];
		while (*p && *s == *p)
			s++, p++;
		if (!*p && (!*s || *s == ','))
			op = k;
	}
	for (const char *s = a; *s; s++) {
		if (starts(s, ",n="))
			n = parse_u64(s + 3);
		if (starts(s, ",mark") && (s[5] == ',' || !s[5]))
			bench_mark = 1;
	}
	if (op == B_OPS || n == 0) {
		puts_("vmk-guest: bad bench= (want vmmcall|cpuid|pio|yield|yield-port[,n=N>0][,mark])\n");
		return 0;
	}
	empty = bench_loop(B_EMPTY, n);
	bench_loop((enum bench_op)op, 1);
	tsc = bench_loop((enum bench_op)op, n);
	puts_("vmk-bench: op=");
	puts_(bench_names[op]);
	puts_(" n=");
	put_u64(n);
	puts_(" tsc=");
	put_u64(tsc);
	puts_(" empty=");
	put_u64(empty);
	puts_("\n");
	return 1;
}

/* timer=N[,us=P]: N times arm the one-shot timer for P microseconds (1000
 * by default) and halt; each halt must end with exactly one timer interrupt.
 * Prints the TSC ticks per period. */
static void timer_test(const char *s)
{
	uint64_t n = parse_u64(s), us = 1000, t0;

	while (*s && !starts(s, ",us="))
		s++;
	if (*s)
		us = parse_u64(s + 4);
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++) {
		long r = VMK_GHC_TIMER;

		__asm__ volatile("vmmcall" : "+a"(r) : "d"(us * 1000), "c"((uint64_t)TIMER_VEC)
				 : "memory");
		if (r != 0) {
			puts_("vmk-guest: timer hypercall refused\n");
			finish(0);
		}
		__asm__ volatile("sti; hlt; cli" : : : "memory");
		if (guest_timer_count != i + 1) {
			puts_("vmk-guest: halt ended without exactly one timer interrupt\n");
			finish(0);
		}
	}
	puts_("vmk-guest: ");
	put_u64(n);
	puts_(" timer interrupts, ");
	put_u64(n ? (rdtsc() - t0) / n : 0);
	puts_(" TSC ticks per period\n");
	finish(1);
}

/* The state switch.S does not cover, across n yields: RFLAGS' arithmetic
 * flags and DF (a different pattern each time), the segment selectors, GDTR,
 * IDTR, LDTR and TR, CR0/CR4, the x87 control word and top of stack, MXCSR
 * and XMM2/XMM15.  The values set are not those the COS or the vmkernel
 * use, so a leak or a lost restore shows.  Returns 0, or a nonzero code
 * naming the first thing found wrong (the iteration's number in the high
 * bits). */
struct sys_state {
	uint16_t cs, ds, es, ss, fs, gs, ldtr, tr;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr, idtr;
	uint64_t cr0, cr4;
};

static void sys_state(struct sys_state *st)
{
	__asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%es, %2; mov %%ss, %3; "
			 "mov %%fs, %4; mov %%gs, %5; sldt %6; str %7"
			 : "=m"(st->cs), "=m"(st->ds), "=m"(st->es), "=m"(st->ss), "=m"(st->fs),
			   "=m"(st->gs), "=m"(st->ldtr), "=m"(st->tr));
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(st->gdtr), "=m"(st->idtr));
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(st->cr0), "=r"(st->cr4));
}

static int sys_state_equal(const struct sys_state *a, const struct sys_state *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;

	for (unsigned i = 0; i < sizeof(*a); i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

#define RFLAGS_PATTERN_BITS 0xcd5ull   /* CF PF AF ZF SF DF OF */

/* AVX: usable if the CPU has XSAVE and AVX and the XCR0 it runs with (the
 * vmkernel lets a VM run with the COS's; XSETBV stops the VM) enables YMM.
 * Sets CR4.OSXSAVE, which the VM's own CR4 may. */
static int avx_on(void)
{
	uint32_t a, b, c, d, lo, hi;
	uint64_t cr4;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 26)) || !(c & (1u << 28)))
		return 0;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ull << 18)));
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static uint64_t state_switch_test(uint64_t n, int avx)
{
	struct sys_state before, after;
	const uint64_t tsc0 = 1ull << 50;   /* far from any other world's TSC */
	uint64_t tsc_prev = tsc0;

	/* This VM's own TSC (its offset lives in its VMCB): set it, and it must
	 * run on from there, whatever ran between two of our instructions. */
	__asm__ volatile("wrmsr" : : "c"(0x10u), "a"((uint32_t)tsc0), "d"((uint32_t)(tsc0 >> 32)));
	__asm__ volatile("fninit");
	sys_state(&before);
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t fl_in = 0x2 | ((i * 0x9e3779b97f4a7c15ull >> 20) & RFLAGS_PATTERN_BITS);
		uint64_t fl_out, x2, x15, rax = VMK_GHC_YIELD;
		uint16_t cw_in = (uint16_t)(0x037f ^ ((i & 3) << 10)), cw_out;  /* rounding */
		uint32_t mx_in = 0x1f80u | (uint32_t)((i & 3) << 13), mx_out;   /* rounding */
		int64_t st_in = (int64_t)(i * 0x5851f42d4c957f2dull >> 12), st_out;

		__asm__ volatile("fldcw %0; fildll %1; ldmxcsr %2" : : "m"(cw_in), "m"(st_in),
				 "m"(mx_in));
		__asm__ volatile("movq %2, %%xmm2; movq %3, %%xmm15\n\t"
				 "pushq %4; popfq\n\t"
				 "vmmcall\n\t"
				 "pushfq; popq %1; cld\n\t"
				 "movq %%xmm2, %2; movq %%xmm15, %3"
				 : "+a"(rax), "=r"(fl_out), "=r"(x2), "=r"(x15)
				 : "r"(fl_in), "2"(i ^ 0x1111222233334444ull),
				   "3"(~i)
				 : "cc", "memory");   /* the compiler uses no SSE or x87 (-mno-sse -mno-80387) */
		__asm__ volatile("fnstcw %0; fistpll %1; stmxcsr %2" : "=m"(cw_out), "=m"(st_out),
				 "=m"(mx_out));
		__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ 0x1f80u }));
		sys_state(&after);
		if (rax != 0)
			return i << 8 | 1;
		if ((fl_out & (RFLAGS_PATTERN_BITS | 0x2)) != fl_in)
			return i << 8 | 2;
		if (x2 != (i ^ 0x1111222233334444ull) || x15 != ~i)
			return i << 8 | 3;
		if (cw_out != cw_in || mx_out != mx_in)
			return i << 8 | 4;
		if (st_out != st_in)
			return i << 8 | 5;
		if (!sys_state_equal(&before, &after))
			return i << 8 | 6;
		{
			uint64_t t = rdtsc();

			if (t < tsc_prev || t - tsc0 > (1ull << 44))
				return i << 8 | 8;
			tsc_prev = t;
		}
		if (avx) {   /* all 256 bits of YMM3 */
			uint64_t in[4] = { i, ~i, i * 3, i ^ 0xa5a5a5a5a5a5a5a5ull }, out[4];

			rax = VMK_GHC_YIELD;
			__asm__ volatile("vmovdqu %2, %%ymm3\n\tvmmcall\n\tvmovdqu %%ymm3, %1"
					 : "+a"(rax), "=m"(out) : "m"(in) : "memory");
			if (rax != 0)
				return i << 8 | 1;
			for (int k = 0; k < 4; k++)
				if (out[k] != in[k])
					return i << 8 | 7;
		}
	}
	__asm__ volatile("fninit");
	return 0;
}

void guest_main(void);
void guest_main(void)
{
	const char *cl = cmdline();

	puts_(boot_by_vmm ? "vmk-guest: started in long mode by the VMM, ABI 1, cmdline '"
			  : "vmk-guest: long mode reached, ABI 1, cmdline '");
	puts_(cl);
	puts_("'\n");
	idt_load();
	if (starts(cl, "xapic,")) {
		guest_use_xapic();
		cl += 6;
	}
	if (starts(cl, "oob")) {
		*(volatile uint64_t *)0x3f000000 = 1;   /* 1008 MiB: not its memory */
		finish(0);
	} else if (starts(cl, "triple")) {
		struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = { 0, 0 };
		__asm__ volatile("lidt %0; ud2" : : "m"(none));
	} else if (starts(cl, "badmsr")) {
		uint32_t lo, hi;
		expected_vec = 13;
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0011234u));
		finish(0);
	} else if (starts(cl, "svm")) {
		expected_vec = 6;
		__asm__ volatile("vmrun" : : "a"(0ul));
		finish(0);
	} else if (starts(cl, "hypercall")) {
		finish(hypercall(0x777) == VMK_ENOSYS && hypercall(VMK_GHC_VERSION) == 1);
	} else if (starts(cl, "timer=")) {
		timer_test(cl + 6);
	} else if (starts(cl, "spin")) {
		for (volatile uint64_t i = 0;; i++)
			;
	} else if (starts(cl, "switches=")) {
		uint64_t n = parse_u64(cl + 9), bad = guest_switch_test(n), sys = 0;
		int avx = 0;
		static const char *const what[] = {
			"?", "yield result", "RFLAGS", "XMM2/XMM15", "x87 control word or MXCSR",
			"x87 stack", "segments, descriptor tables or CR0/CR4", "YMM3",
			"TSC (its offset)" };

		if (!bad) {
			avx = avx_on();
			sys = state_switch_test(n, avx);
		}
		puts_("vmk-guest: ");
		put_u64(n);
		if (bad) {
			puts_(" world switches, state broken: general registers, CF or XMM0/XMM1\n");
		} else if (sys) {
			puts_(" world switches, state broken: ");
			puts_(what[(sys & 0xff) < 9 ? (sys & 0xff) : 0]);
			puts_(" at switch ");
			put_u64(sys >> 8);
			puts_("\n");
		} else {
			puts_(" world switches, state intact (general registers, RFLAGS, segments, "
			      "descriptor tables, CR0/CR4, TSC offset, x87, MXCSR, XMM");
			puts_(avx ? ", YMM" : "; no AVX here");
			puts_(")\n");
		}
		finish(!bad && !sys);
	} else if (starts(cl, "bench=ipi")) {
		finish(guest_ipi_bench(cl + 9));
	} else if (starts(cl, "bench=tlb,")) {
		finish(guest_tlb_bench(cl + 10));
	} else if (starts(cl, "bench=")) {
		finish(bench(cl + 6));
	} else if (starts(cl, "smp=")) {
		finish(guest_smp_test(cl + 4));
	} else if (starts(cl, "apictimer")) {
		finish(guest_apic_timer_test());
	} else if (starts(cl, "apicbad")) {
		finish(guest_apic_bad_test());
	} else if (starts(cl, "nmi")) {
		finish(guest_nmi_test(cl + 3));
	} else if (starts(cl, "xapicbad")) {
		finish(guest_xapic_bad_test(cl + 8));
	} else if (starts(cl, "xapic")) {
		finish(guest_xapic_test());
	}
	finish(1);
}
