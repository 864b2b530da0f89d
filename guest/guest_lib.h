/* What main.c gives the bench guest's other files. */
#ifndef VMK_GUEST_LIB_H
#define VMK_GUEST_LIB_H
#include <stdint.h>

void puts_(const char *s);
void put_u64(uint64_t v);
void finish(int pass) __attribute__((noreturn));
int starts(const char *s, const char *p);
uint64_t parse_u64(const char *s);
void guest_idt_load(void);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* smp.c: each returns 1 for pass. */
int guest_smp_test(const char *args);
int guest_nmi_test(const char *args);
int guest_ipi_bench(const char *args);
int guest_tlb_bench(const char *args);
int guest_apic_timer_test(void);
int guest_apic_bad_test(void);
/* The APIC through its xAPIC page from now on (smp=, bench=ipi, apictimer
 * after "xapic,"); maps it. */
void guest_use_xapic(void);
int guest_xapic_test(void);
int guest_xapic_bad_test(const char *args);
#endif
