/* The local APIC as the vmkernel drives it (xAPIC, MMIO).  The vmkernel maps
 * the APIC page at VMK_LAPIC_VA for itself; the COS's own accesses go
 * through nested paging, reads directly, writes trapped (cos_apic.c). */
#ifndef VMK_X86_LAPIC_H
#define VMK_X86_LAPIC_H
#include <stdint.h>

#define MSR_APIC_BASE  0x0000001bu
#define APIC_BASE_X2   (1ull << 10)
#define APIC_BASE_EN   (1ull << 11)

#define LAPIC_ID       0x020
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0b0
#define LAPIC_LDR      0x0d0
#define LAPIC_DFR      0x0e0
#define LAPIC_SVR      0x0f0
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVTT     0x320
#define LAPIC_TICR     0x380
#define LAPIC_TCCR     0x390
#define LAPIC_TDCR     0x3e0

#define SVR_ENABLE     (1u << 8)
#define LVT_MASKED     (1u << 16)
#define TDCR_DIV1      0xbu
#define ICR_BUSY       (1u << 12)
#define ICR_LOGICAL    (1u << 11)
#define ICR_MODE(v)    (((v) >> 8) & 7u)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3u)
enum { ICR_FIXED = 0, ICR_LOWEST = 1, ICR_SMI = 2, ICR_NMI = 4, ICR_INIT = 5,
       ICR_SIPI = 6, ICR_EXTINT = 7 };

/* The vmkernel's own vectors on the CPUs it owns. */
#define VMK_VEC_TIMER    0xec
#define VMK_VEC_KICK     0xed
#define VMK_VEC_NOTIFY   0xee   /* a vCPU running there has an interrupt */
#define VMK_VEC_CALL     0xef   /* smp/'s cross-calls and TLB shootdowns */
#define VMK_VEC_SPURIOUS 0xff

/* Global: find the APIC (xAPIC mode, same base on every CPU) and map it. */
int lapic_init(void);
uint64_t lapic_base_pa(void);
/* Per CPU at launch: VMK_ENODEV unless this CPU's APIC is where CPU 0's is. */
int lapic_cpu_check(void);

uint32_t lapic_read(unsigned reg);
/* Any vector in service (ISR non-zero). */
int lapic_isr_pending(void);
void lapic_write(unsigned reg, uint32_t v);
static inline uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}
/* A fixed IPI to one CPU by physical APIC ID. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vec);
/* APIC timer counts per millisecond at divide-by-1, measured against the
 * TSC (@tsc_khz ticks per ms) on this CPU. */
uint32_t lapic_timer_calibrate(uint64_t tsc_khz);

#endif
