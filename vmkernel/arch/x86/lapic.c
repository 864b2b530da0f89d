/* The local APIC: mapped once (every CPU's APIC answers at the same physical
 * address), read and written by the CPU that runs the code. */
#include "vmk_core.h"
#include "cpu.h"
#include "lapic.h"
#include "../lib/pagetable.h"

static uint64_t base_pa;

static inline volatile uint32_t *reg_at(unsigned reg)
{
	return (volatile uint32_t *)(VMK_LAPIC_VA + reg);
}

int lapic_init(void)
{
	uint64_t b = rdmsr(MSR_APIC_BASE);

	if (!(b & APIC_BASE_EN) || (b & APIC_BASE_X2)) {
		vmk_log("vmkernel: the COS's local APIC is %s; only xAPIC mode is supported\n",
			b & APIC_BASE_EN ? "in x2APIC mode" : "disabled");
		return VMK_ENODEV;
	}
	base_pa = b & PTE_ADDR_MASK;
	return vmk_map_page(VMK_LAPIC_VA, base_pa, PTE_RW | PTE_PCD | PTE_PWT | PTE_NX);
}

uint64_t lapic_base_pa(void)
{
	return base_pa;
}

int lapic_cpu_check(void)
{
	uint64_t b = rdmsr(MSR_APIC_BASE);

	return (b & PTE_ADDR_MASK) == base_pa && (b & APIC_BASE_EN) && !(b & APIC_BASE_X2) ?
	       VMK_OK : VMK_ENODEV;
}

uint32_t lapic_read(unsigned reg)
{
	return *reg_at(reg);
}

int lapic_isr_pending(void)
{
	for (unsigned i = 0; i < 8; i++)
		if (lapic_read(0x100 + 16 * i))
			return 1;
	return 0;
}

void lapic_write(unsigned reg, uint32_t v)
{
	*reg_at(reg) = v;
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vec)
{
	while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, vec);   /* fixed, physical, edge, no shorthand */
}

uint32_t lapic_timer_calibrate(uint64_t tsc_khz)
{
	uint64_t t0;
	uint32_t left;

	lapic_write(LAPIC_LVTT, LVT_MASKED);
	lapic_write(LAPIC_TDCR, TDCR_DIV1);
	lapic_write(LAPIC_TICR, 0xffffffffu);
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_khz)   /* one millisecond */
		cpu_relax();
	left = lapic_read(LAPIC_TCCR);
	lapic_write(LAPIC_TICR, 0);
	return 0xffffffffu - left;
}
