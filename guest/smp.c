/* The bench guest's SMP side, on the x2APIC (MSRs) or, after
 * guest_use_xapic(), the xAPIC (its MMIO page): starting the APs with INIT
 * and start-up IPIs, a parallel workload with a locked shared counter, IPI
 * round trips, the APIC timer, and hostile APIC use.
 *
 * Vectors: 0x40 + i is "an IPI for CPU i" (so a handler knows where it runs
 * without an exit), 0x50 + i "to CPU 0 from CPU i" (IPIs of one vector that
 * meet in IRR are one interrupt, as on hardware, so each sender has its
 * own), 0x30 the APIC timer, 0xff the spurious vector. */
#include <stdint.h>
#include <vmk/guest.h>
#include <vmk/guest_bench.h>
#include <vmk/xorshift.h>
#include "guest_lib.h"

#define MAX_CPUS 8                  /* boot.S's GUEST_MAX_CPUS */
#define MSR_APIC_BASE 0x1bu
#define MSR_TSC_DEADLINE 0x6e0u
#define X2_ID 0x802u
#define X2_VER 0x803u
#define X2_TPR 0x808u
#define X2_EOI 0x80bu
#define X2_SVR 0x80fu
#define X2_ESR 0x828u
#define X2_ICR 0x830u
#define X2_ICR_HI 0x831u                /* xAPIC only: the ICR's high half */
#define X2_LVTT 0x832u
#define X2_TICR 0x838u
#define X2_TCCR 0x839u
#define X2_TDCR 0x83eu
#define BASE_EN (1u << 11)
#define BASE_EXTD (1u << 10)
#define ICR_ASSERT 0x4000u
#define ICR_INIT (0x500u | ICR_ASSERT)
#define ICR_SIPI (0x600u | ICR_ASSERT)
#define ICR_NMI (0x400u | ICR_ASSERT)
#define VEC_TIMER 0x30u
#define VEC_IPI(i) (0x40u + (i))
#define VEC_FROM(i) (0x50u + (i))
#define VEC_TLB 0x48u               /* bench=tlb's flush request, to all APs */
#define VEC_SPURIOUS 0xffu
/* Long enough for a start-up behind busy vCPUs on an emulated machine;
 * only there so that a lost IPI ends in a message, not a hang. */
#define TIMEOUT_TSC (60ull * 1000 * 1000 * 1000)

extern const char ap_tramp_start[], ap_tramp_end[];   /* boot.S */

enum ap_mode { AP_WORK, AP_PONG, AP_PONG_SPIN, AP_NMI, AP_TLB };
static volatile uint32_t ap_mode;
static volatile uint32_t online, done;
static volatile uint64_t ipi_seen[MAX_CPUS], from_ap[MAX_CPUS];
static volatile uint64_t timer_irqs, spurious;
static volatile uint64_t counter, work_out[MAX_CPUS], steps;
static volatile uint32_t lock;
static volatile uint64_t nmi_rounds, nmis, nmi_nested, nmi_second;
static volatile uint32_t nmi_in;

static void nmi_pairs_ap(void);
static void tlb_flush_ack(void);
static void nmi_handler(void);

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void pause(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/* The xAPIC page when the APIC is used through MMIO, else NULL (x2APIC). */
static volatile uint32_t *xapic;

/* One 32-bit MOV each way, whatever the compiler would have made of a
 * volatile access: the VMM decodes these. */
static inline void mmio_wr(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("movl %1, %0" : "=m"(*p) : "r"(v) : "memory");
}

static inline uint32_t mmio_rd(volatile uint32_t *p)
{
	uint32_t v;

	__asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*p) : "memory");
	return v;
}

/* An APIC register by its x2APIC MSR number; in xAPIC mode the same
 * register sits at offset (MSR - 0x800) << 4 of the page. */
static volatile uint32_t *xreg(uint32_t msr)
{
	return xapic + ((msr - 0x800u) << 2);
}

static void apic_wr(uint32_t msr, uint32_t v)
{
	if (xapic)
		mmio_wr(xreg(msr), v);
	else
		wrmsr(msr, v);
}

static uint32_t apic_rd(uint32_t msr)
{
	return xapic ? mmio_rd(xreg(msr)) : (uint32_t)rdmsr(msr);
}

/* xAPIC: the destination (8 bits) into the high half first; the write of
 * the low half sends. */
static void send_ipi(uint32_t dest, uint32_t lo)
{
	if (!xapic) {
		wrmsr(X2_ICR, ((uint64_t)dest << 32) | lo);
		return;
	}
	apic_wr(X2_ICR_HI, dest << 24);
	apic_wr(X2_ICR, lo);
}

/* Identity-maps 3-4 GiB (uncached, 2 MiB pages) beside boot.S's first GiB:
 * wherever the guest puts its APIC page there, it can reach it.  The APs
 * share these tables. */
static void map_apic_window(void)
{
	static uint64_t pd[512] __attribute__((aligned(4096)));
	uint64_t cr3, *pdpt;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pdpt = (uint64_t *)(uintptr_t)(((uint64_t *)(uintptr_t)(cr3 & ~0xfffull))[0] & ~0xfffull);
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (3ull << 30) + (i << 21) + 0x9bu;   /* P, RW, PWT, PCD, PS */
	pdpt[3] = (uint64_t)(uintptr_t)pd | 3u;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void guest_use_xapic(void)
{
	map_apic_window();
	xapic = (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_APIC_BASE) & ~0xfffull);
}

/* x2APIC mode unless the guest uses the xAPIC; software-enabled. */
static void apic_on(void)
{
	if (!xapic)
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | BASE_EN | BASE_EXTD);
	apic_wr(X2_SVR, 0x100u | VEC_SPURIOUS);
}

/* Wait with interrupts on until *p != old, halting in between. */
static int wait_change(volatile uint64_t *p, uint64_t old)
{
	uint64_t t0 = rdtsc();

	__asm__ volatile("cli");
	while (*p == old) {
		if (rdtsc() - t0 > TIMEOUT_TSC)
			return 0;
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	}
	__asm__ volatile("sti");
	return 1;
}

void guest_irq(uint64_t vec);
void guest_irq(uint64_t vec)
{
	if (vec == 2) {
		nmi_handler();   /* no EOI: an NMI is not in the APIC's ISR */
		return;
	}
	if (vec == VEC_SPURIOUS) {
		spurious++;   /* no EOI for the spurious vector */
		return;
	}
	if (vec >= VEC_IPI(0) && vec < VEC_IPI(MAX_CPUS))
		__atomic_add_fetch(&ipi_seen[vec - VEC_IPI(0)], 1, __ATOMIC_RELEASE);
	else if (vec >= VEC_FROM(0) && vec < VEC_FROM(MAX_CPUS))
		__atomic_add_fetch(&from_ap[vec - VEC_FROM(0)], 1, __ATOMIC_RELEASE);
	else if (vec == VEC_TIMER)
		timer_irqs++;
	else if (vec == VEC_TLB)
		tlb_flush_ack();
	apic_wr(X2_EOI, 0);
	if (vec == VEC_IPI(1) && ap_mode != AP_WORK)
		send_ipi(0, ICR_ASSERT | VEC_IPI(0));   /* the pong */
}

static uint64_t work(uint32_t idx, uint64_t k)
{
	uint32_t x = 0x9e3779b9u ^ (idx + 1) * 0x85ebca6bu;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < k; i++)
		sum += vmk_xorshift32(&x);
	return sum;
}

static void locked_increments(uint64_t k)
{
	for (uint64_t i = 0; i < k; i++) {
		while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
			while (lock)
				pause();
		counter = counter + 1;   /* not atomic: the lock is what protects it */
		__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
	}
}

void guest_ap_main(uint32_t idx);
void guest_ap_main(uint32_t idx)
{
	guest_idt_load();
	apic_on();
	__atomic_add_fetch(&online, 1, __ATOMIC_RELEASE);
	if (ap_mode == AP_WORK) {
		work_out[idx] = work(idx, steps);
		locked_increments(steps);
		send_ipi(0, ICR_ASSERT | VEC_FROM(idx));
		__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	} else if (ap_mode == AP_NMI) {
		nmi_pairs_ap();
	}
	for (;;) {
		if (ap_mode == AP_PONG_SPIN)
			__asm__ volatile("sti; pause" : : : "memory");
		else
			__asm__ volatile("sti; hlt" : : : "memory");
	}
}

/* INIT, then two start-up IPIs (the second one must be ignored), to each
 * AP; 1 once all n-1 are up. */
static int start_aps(uint32_t n)
{
	uint64_t t0;

	for (const char *s = ap_tramp_start; s < ap_tramp_end; s++)
		((volatile char *)(uintptr_t)VMK_GUEST_AP_TRAMP_PA)[s - ap_tramp_start] = *s;
	for (uint32_t i = 1; i < n; i++) {
		send_ipi(i, ICR_INIT);
		send_ipi(i, ICR_SIPI | (VMK_GUEST_AP_TRAMP_PA >> 12));
		send_ipi(i, ICR_SIPI | (VMK_GUEST_AP_TRAMP_PA >> 12));
	}
	t0 = rdtsc();
	while (online != n - 1) {
		if (rdtsc() - t0 > TIMEOUT_TSC) {
			puts_("vmk-guest: only ");
			put_u64(online);
			puts_(" of ");
			put_u64(n - 1);
			puts_(" APs came up\n");
			return 0;
		}
		pause();
	}
	return 1;
}

static uint64_t opt(const char *a, const char *name, uint64_t dflt)
{
	for (const char *s = a; *s; s++)
		if (starts(s, name))
			return parse_u64(s + __builtin_strlen(name));
	return dflt;
}

/* "N[,n=K]": N vCPUs (1..8), K steps each (10000 by default). */
int guest_smp_test(const char *a)
{
	uint32_t n = (uint32_t)parse_u64(a);
	uint64_t k = opt(a, ",n=", 10000), t0, bad = 0, ipis = 0;

	if (n < 1 || n > MAX_CPUS || k == 0) {
		puts_("vmk-guest: bad smp= (want N in 1..8[,n=K>0])\n");
		return 0;
	}
	apic_on();
	ap_mode = AP_WORK;
	steps = k;
	t0 = rdtsc();
	if (!start_aps(n))
		return 0;
	work_out[0] = work(0, k);
	locked_increments(k);
	for (;;) {
		ipis = 0;
		for (uint32_t i = 1; i < n; i++)
			ipis += from_ap[i] == 1;
		if (done == n - 1 && ipis == n - 1)
			break;
		if (rdtsc() - t0 > TIMEOUT_TSC) {
			puts_("vmk-guest: smp: timed out: ");
			put_u64(done);
			puts_(" APs done, ");
			put_u64(ipis);
			puts_(" IPIs in\n");
			return 0;
		}
		__asm__ volatile("sti; pause; cli" : : : "memory");
	}
	for (uint32_t i = 0; i < n; i++)
		bad += work_out[i] != work(i, k);
	puts_("vmk-guest: smp: ");
	put_u64(n);
	puts_(" vCPUs, counter ");
	put_u64(counter);
	puts_(" of ");
	put_u64(n * k);
	puts_(", per-vCPU work ");
	puts_(bad ? "WRONG" : "right");
	puts_(", APs whose IPI came ");
	put_u64(ipis);
	puts_(" of ");
	put_u64(n - 1);
	puts_(", TSC ");
	put_u64(rdtsc() - t0);
	puts_("\n");
	return counter == n * k && !bad && ipis == n - 1;
}

/* "[,n=N][,mark][,spin][,dups-ok]": N round trips, vCPU 0 -> 1 -> 0, each
 * side halting while it waits (",spin": vCPU 1 polls instead).  Each ping
 * and pong must arrive exactly once; ",dups-ok" passes with extra ones
 * (still printed): KVM in the lab gets them from QEMU 7.2, which delivers
 * an interrupt injected through EVENTINJ a second time now and then. */
int guest_ipi_bench(const char *a)
{
	uint64_t n = opt(a, ",n=", VMK_BENCH_DEFAULT_N), t0, tsc, empty;
	int mark = 0, dups_ok = 0;

	for (const char *s = a; *s; s++) {
		if (starts(s, ",mark"))
			mark = 1;
		if (starts(s, ",spin"))
			ap_mode = AP_PONG_SPIN;
		if (starts(s, ",dups-ok"))
			dups_ok = 1;
	}
	if (n == 0) {
		puts_("vmk-guest: bad bench=ipi (want [,n=N>0][,mark][,spin][,dups-ok])\n");
		return 0;
	}
	if (ap_mode != AP_PONG_SPIN)
		ap_mode = AP_PONG;
	apic_on();
	if (!start_aps(2))
		return 0;
	t0 = rdtsc();
	for (volatile uint64_t i = 0; i < n; i++)
		;
	empty = rdtsc() - t0;
	send_ipi(1, ICR_ASSERT | VEC_IPI(1));   /* one untimed round trip */
	if (!wait_change(&ipi_seen[0], 0))
		return puts_("vmk-guest: no pong\n"), 0;
	t0 = rdtsc();
	if (mark)
		__asm__ volatile(VMK_INSN_MARK_BEGIN ::: "memory");
	for (volatile uint64_t i = 0; i < n; i++) {
		uint64_t seen = ipi_seen[0];

		send_ipi(1, ICR_ASSERT | VEC_IPI(1));
		if (!wait_change(&ipi_seen[0], seen))
			return puts_("vmk-guest: an IPI round trip was lost\n"), 0;
	}
	if (mark)
		__asm__ volatile(VMK_INSN_MARK_END ::: "memory");
	tsc = rdtsc() - t0;
	puts_("vmk-bench: op=ipi n=");
	put_u64(n);
	puts_(" tsc=");
	put_u64(tsc);
	puts_(" empty=");
	put_u64(empty);
	puts_(" pongs=");
	put_u64(ipi_seen[0]);
	puts_(" pings=");
	put_u64(ipi_seen[1]);
	puts_(" spurious=");
	put_u64(spurious);
	puts_("\n");
	if (dups_ok)
		return ipi_seen[0] >= n + 1 && ipi_seen[1] >= n + 1;
	return ipi_seen[0] == n + 1 && ipi_seen[1] == n + 1;
}

/* Halt until the timer has fired @want times in all. */
static int wait_timer(uint64_t want)
{
	uint64_t t0 = rdtsc();

	__asm__ volatile("cli");
	while (timer_irqs < want) {
		if (rdtsc() - t0 > TIMEOUT_TSC)
			return 0;
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	}
	__asm__ volatile("sti");
	return 1;
}

/* TSC-deadline: each interrupt comes at or after its deadline, exactly one
 * per arming; one-shot: exactly one, and the current count runs down to 0;
 * periodic: at least five in a row (more may come before the guest masks
 * it: the period is 2 ms of bus time).  Prints how late the deadline
 * interrupts were. */
int guest_apic_timer_test(void)
{
	uint64_t late_max = 0, d, t;
	int ok = 1;

	apic_on();
	for (int i = 0; i < 5 && ok; i++) {
		apic_wr(X2_LVTT, (2u << 17) | VEC_TIMER);   /* TSC-deadline */
		d = rdtsc() + 2000000;
		wrmsr(MSR_TSC_DEADLINE, d);
		ok = wait_timer((uint64_t)i + 1);
		t = rdtsc();
		if (timer_irqs != (uint64_t)i + 1)
			ok = 0, puts_("vmk-guest: more than one interrupt for one deadline\n");
		if (t < d)
			ok = 0, puts_("vmk-guest: TSC-deadline interrupt came early\n");
		if (t - d > late_max)
			late_max = t - d;
		if (rdmsr(MSR_TSC_DEADLINE) != 0)
			ok = 0, puts_("vmk-guest: TSC_DEADLINE not 0 after it fired\n");
	}
	apic_wr(X2_LVTT, VEC_TIMER);   /* one-shot, divide by 1 */
	apic_wr(X2_TDCR, 0xb);
	apic_wr(X2_TICR, 200000);
	ok = ok && wait_timer(6);
	if (ok && apic_rd(X2_TCCR) != 0)
		ok = 0, puts_("vmk-guest: one-shot count not 0 after it fired\n");
	for (volatile int spin = 0; ok && spin < 1000000; spin++)
		;
	if (ok && timer_irqs != 6)
		ok = 0, puts_("vmk-guest: the one-shot timer fired more than once\n");
	apic_wr(X2_LVTT, (1u << 17) | VEC_TIMER);   /* periodic */
	apic_wr(X2_TICR, 200000);
	ok = ok && wait_timer(11);
	apic_wr(X2_LVTT, (1u << 16) | VEC_TIMER);   /* masked */
	apic_wr(X2_TICR, 0);
	t = timer_irqs;
	puts_("vmk-guest: apic timer: 5 deadline, 1 one-shot, ");
	put_u64(t - 6);
	puts_(" periodic interrupts (5 or more), deadline late by at most ");
	put_u64(late_max);
	puts_(" TSC ticks\n");
	return ok && t >= 11;
}

/* #GP from the next WRMSR/RDMSR is expected: the handler (idt.S,
 * guest_gp_skip) counts it and skips the 2-byte instruction. */
extern volatile uint64_t guest_gp_count;
void guest_gp_skip(void);
void guest_gate(unsigned v, uint64_t a);

/* ESR after what the APIC logged since the last write (write, then read). */
static uint32_t esr_now(void)
{
	apic_wr(X2_ESR, 0);
	return apic_rd(X2_ESR);
}

/* IPIs nobody can take must set their ESR bit; afterwards a self-IPI must
 * still arrive.  In either APIC mode; @who prefixes the complaints. */
static int apic_errors_still_delivers(const char *who)
{
	uint64_t seen = ipi_seen[0];
	int ok = 1;

	esr_now();
	send_ipi(200, ICR_ASSERT | VEC_IPI(0));      /* nobody has APIC ID 200 */
	if (!(esr_now() & 4))
		ok = 0, puts_(who), puts_(": no send-accept error for an absent APIC ID\n");
	send_ipi(0, ICR_ASSERT | 5);                 /* illegal vector, to itself */
	if (!(esr_now() & 0x20))
		ok = 0, puts_(who), puts_(": no send-illegal-vector error\n");
	send_ipi(0, ICR_ASSERT | VEC_IPI(0));
	if (!wait_change(&ipi_seen[0], seen))
		ok = 0, puts_(who), puts_(": self-IPI lost after the bad accesses\n");
	return ok;
}

/* Nonsense to the APIC: each must be refused with #GP or an ESR bit, and
 * the APIC must still deliver afterwards. */
int guest_apic_bad_test(void)
{
	uint64_t gp0, want_gp = 0;
	int ok = 1;

	apic_on();
	guest_gate(13, (uint64_t)guest_gp_skip);
	gp0 = guest_gp_count;
	wrmsr(X2_SVR, 1ull << 40 | 0x1ff), want_gp++;        /* reserved bits */
	wrmsr(X2_ID, 5), want_gp++;                          /* read-only */
	(void)rdmsr(X2_EOI), want_gp++;                      /* write-only */
	wrmsr(X2_EOI, 1), want_gp++;                         /* EOI must be 0 */
	wrmsr(X2_LVTT, (3u << 17) | VEC_TIMER), want_gp++;   /* timer mode 3 */
	(void)rdmsr(0x8ff), want_gp++;                       /* no such register */
	wrmsr(MSR_APIC_BASE, BASE_EN | 0xfee00000u), want_gp++; /* x2APIC -> xAPIC */
	if (guest_gp_count - gp0 != want_gp) {
		puts_("vmk-guest: apicbad: ");
		put_u64(guest_gp_count - gp0);
		puts_(" #GP of ");
		put_u64(want_gp);
		puts_("\n");
		ok = 0;
	}
	ok &= apic_errors_still_delivers("vmk-guest: apicbad");
	puts_("vmk-guest: apicbad: ");
	put_u64(guest_gp_count - gp0);
	puts_(" #GP, ESR errors seen, APIC ");
	puts_(ok ? "still delivers\n" : "broken\n");
	return ok;
}

/* NMI blocking: vCPU 1 sends vCPU 0 an NMI, waits until its handler runs,
 * then sends a second one, which must wait for the handler's IRET (the
 * handler lingers 5 ms after it hears of the second).  Each round must
 * give exactly two NMIs and none nested.  "[,n=N]" rounds (10). */
#define NMI_LINGER_TSC (10ull * 1000 * 1000)

/* Spin until *p reaches @want (counters only go up); 0 once TIMEOUT_TSC has
 * passed since @t0. */
static int spin_until(volatile uint64_t *p, uint64_t want, uint64_t t0)
{
	while (*p < want)
		if (rdtsc() - t0 > TIMEOUT_TSC)
			return 0;
		else
			pause();
	return 1;
}

static void nmi_handler(void)
{
	uint64_t t0;

	if (nmi_in) {
		nmi_nested++;
		return;
	}
	nmi_in = 1;
	nmis++;
	if (nmis & 1) {   /* the first of a pair: linger until the second is sent */
		spin_until(&nmi_second, nmis, rdtsc());
		for (t0 = rdtsc(); rdtsc() - t0 < NMI_LINGER_TSC;)
			pause();
	}
	nmi_in = 0;
}

static void nmi_pairs_ap(void)
{
	for (uint64_t r = 0; r < nmi_rounds; r++) {
		send_ipi(0, ICR_NMI);
		if (!spin_until(&nmis, 2 * r + 1, rdtsc()))
			return;
		send_ipi(0, ICR_NMI);
		nmi_second = 2 * r + 1;
		if (!spin_until(&nmis, 2 * r + 2, rdtsc()))
			return;
	}
}

int guest_nmi_test(const char *a)
{
	uint64_t n = opt(a, ",n=", 10), t0;

	if (n == 0 || n > 1000) {
		puts_("vmk-guest: bad nmi (want [,n=N in 1..1000])\n");
		return 0;
	}
	nmi_rounds = n;
	ap_mode = AP_NMI;
	apic_on();
	if (!start_aps(2))
		return 0;
	t0 = rdtsc();
	while (nmis < 2 * n && !nmi_nested && rdtsc() - t0 < TIMEOUT_TSC)
		__asm__ volatile("sti; hlt" : : : "memory");
	puts_("vmk-guest: nmi: ");
	put_u64(nmis);
	puts_(" of ");
	put_u64(2 * n);
	puts_(" NMIs, ");
	put_u64(nmi_nested);
	puts_(" nested\n");
	return nmis == 2 * n && !nmi_nested;
}

/* The xAPIC through its page: APIC_BASE as at power-on, the ID (8 bits in
 * 31:24) and the version, the page moved and back, self-IPIs by ID and by
 * shorthand with their EOIs, then the timer test on the page's registers. */
int guest_xapic_test(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), seen = ipi_seen[0];
	uint32_t id, ver;
	int ok = 1;

	guest_use_xapic();
	if ((base & (BASE_EN | BASE_EXTD)) != BASE_EN || (base & ~0xfffull) != 0xfee00000u)
		ok = 0, puts_("vmk-guest: xapic: APIC base not xAPIC at 0xfee00000\n");
	apic_on();
	id = apic_rd(X2_ID);
	ver = apic_rd(X2_VER);
	if (id != 0 || (ver & 0xff) != 0x14 || ((ver >> 16) & 0xff) < 5 ||
	    apic_rd(X2_SVR) != (0x100u | VEC_SPURIOUS))
		ok = 0, puts_("vmk-guest: xapic: ID, version or SVR wrong\n");
	wrmsr(MSR_APIC_BASE, (base & 0xfffu) | 0xfed00000u);   /* moved */
	xapic = (volatile uint32_t *)0xfed00000u;
	if (apic_rd(X2_VER) != ver)
		ok = 0, puts_("vmk-guest: xapic: no APIC at the moved base\n");
	wrmsr(MSR_APIC_BASE, base);
	xapic = (volatile uint32_t *)0xfee00000u;
	send_ipi(0, ICR_ASSERT | VEC_IPI(0));                   /* to its own ID */
	ok = ok && wait_change(&ipi_seen[0], seen);
	send_ipi(0, (1u << 18) | VEC_IPI(0));                  /* shorthand: self */
	ok = ok && wait_change(&ipi_seen[0], seen + 1);
	puts_("vmk-guest: xapic: ID ");
	put_u64(id >> 24);
	puts_(", version ");
	put_u64(ver);
	puts_(", moved to 0xfed00000 and back, self-IPIs ");
	put_u64(ipi_seen[0] - seen);
	puts_(ok ? " of 2, EOI through the page\n" : " of 2: FAILED\n");
	return ok && guest_apic_timer_test();
}

static int expect_u32(const char *what, uint32_t got, uint32_t want)
{
	if (got == want)
		return 1;
	puts_("vmk-guest: xapicbad: ");
	puts_(what);
	puts_(": ");
	put_u64(got);
	puts_(" instead of ");
	put_u64(want);
	puts_("\n");
	return 0;
}

static volatile uint32_t *at(uint32_t off)
{
	return (volatile uint32_t *)((uintptr_t)xapic + off);
}

/* What the VMM must survive, then one access it must stop the VM for
 * (the guest must not come back from it), chosen by @a: "" a byte read,
 * ",wide" a 64-bit read, ",x2" a read of the page in x2APIC mode, ",off"
 * with the APIC globally disabled.  Before that: 32-bit accesses off a
 * 16-byte boundary read 0 and their writes are dropped, without an ESR
 * bit; unimplemented offsets read 0, drop writes and set ESR bit 7;
 * read-only and write-only registers; XCHG; IPIs nobody takes. */
int guest_xapic_bad_test(const char *a)
{
	uint32_t v = 0x30;
	int ok = 1;

	guest_use_xapic();
	apic_on();
	apic_wr(X2_TPR, 0x20);
	esr_now();
	ok &= expect_u32("read at 0x24", mmio_rd(at(0x24)), 0);
	ok &= expect_u32("read at 0x31", mmio_rd(at(0x31)), 0);
	mmio_wr(at(0x84), 0xff);
	mmio_wr(at(0x81), 0xffffffffu);
	mmio_wr(xreg(X2_VER), 0);
	ok &= expect_u32("TPR after misaligned writes", apic_rd(X2_TPR), 0x20);
	ok &= expect_u32("version after a write", apic_rd(X2_VER) & 0xff, 0x14);
	ok &= expect_u32("EOI read", mmio_rd(xreg(X2_EOI)), 0);
	ok &= expect_u32("ESR after those", esr_now(), 0);
	ok &= expect_u32("read at 0x400", mmio_rd(at(0x400)), 0);
	ok &= expect_u32("read at 0x3f0", mmio_rd(at(0x3f0)), 0);
	mmio_wr(at(0xff0), 1);
	ok &= expect_u32("ESR after unimplemented offsets", esr_now(), 0x80);
	__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*xreg(X2_TPR)) : : "memory");
	ok &= expect_u32("XCHG's old TPR", v, 0x20);
	ok &= expect_u32("TPR after XCHG", apic_rd(X2_TPR), 0x30);
	apic_wr(X2_TPR, 0);
	ok &= apic_errors_still_delivers("vmk-guest: xapicbad");
	if (!ok)
		return 0;
	puts_("vmk-guest: xapicbad: misaligned accesses read 0 and were dropped, unimplemented "
	      "offsets set ESR 0x80, XCHG works, APIC still delivers\n");
	if (starts(a, ",x2")) {
		puts_("vmk-guest: xapicbad: now the page in x2APIC mode\n");
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | BASE_EXTD);
		(void)mmio_rd(xreg(X2_ID));
	} else if (starts(a, ",off")) {
		puts_("vmk-guest: xapicbad: now the page with the APIC disabled\n");
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) & ~(uint64_t)BASE_EN);
		(void)mmio_rd(xreg(X2_ID));
	} else if (starts(a, ",wide")) {
		uint64_t q;

		puts_("vmk-guest: xapicbad: now a 64-bit read\n");
		__asm__ volatile("movq %1, %0" : "=r"(q) : "m"(*(volatile uint64_t *)xreg(X2_ID)));
	} else {
		uint8_t b;

		puts_("vmk-guest: xapicbad: now a byte read\n");
		__asm__ volatile("movb %1, %0" : "=q"(b) : "m"(*(volatile uint8_t *)xreg(X2_ID)));
	}
	puts_("vmk-guest: xapicbad: still running after it\n");
	return 0;
}

/* "cpus=V[,n=N][,mark][,dups-ok]": N guest TLB shootdowns, done the way a
 * guest kernel does one: vCPU 0 flushes the page itself, sends the flush
 * IPI to all the others with one ICR write (shorthand: all but self) and
 * spins until each has flushed it and acknowledged; the APs halt between
 * requests.  V vCPUs in all (2..8).  ",dups-ok" as for bench=ipi. */
static volatile uint64_t tlb_acks;
static uint8_t tlb_page[4096] __attribute__((aligned(4096)));

static void invlpg(const void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static void tlb_flush_ack(void)
{
	invlpg(tlb_page);
	__atomic_add_fetch(&tlb_acks, 1, __ATOMIC_RELEASE);
}

int guest_tlb_bench(const char *a)
{
	uint64_t n = opt(a, ",n=", 500), v = opt(a, "cpus=", 0), t0, tsc;
	int mark = 0, dups_ok = 0;

	for (const char *s = a; *s; s++) {
		if (starts(s, ",mark"))
			mark = 1;
		if (starts(s, ",dups-ok"))
			dups_ok = 1;
	}
	if (n == 0 || v < 2 || v > MAX_CPUS) {
		puts_("vmk-guest: bad bench=tlb (want cpus=V in 2..8[,n=N>0][,mark][,dups-ok])\n");
		return 0;
	}
	ap_mode = AP_TLB;
	apic_on();
	if (!start_aps((uint32_t)v))
		return 0;
	t0 = rdtsc();
	if (mark)
		__asm__ volatile(VMK_INSN_MARK_BEGIN ::: "memory");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t want = tlb_acks + v - 1;

		invlpg(tlb_page);
		send_ipi(0, ICR_ASSERT | (3u << 18) | VEC_TLB);
		if (!spin_until(&tlb_acks, want, t0))
			return puts_("vmk-guest: a shootdown was not acknowledged\n"), 0;
	}
	if (mark)
		__asm__ volatile(VMK_INSN_MARK_END ::: "memory");
	tsc = rdtsc() - t0;
	puts_("vmk-bench: op=tlb cpus=");
	put_u64(v);
	puts_(" n=");
	put_u64(n);
	puts_(" tsc=");
	put_u64(tsc);
	puts_(" acks=");
	put_u64(tlb_acks);
	puts_("\n");
	return dups_ok ? tlb_acks >= n * (v - 1) : tlb_acks == n * (v - 1);
}
