/* Helpers shared by the vLAPIC test files (one executable, vlapic_test). */
#ifndef VLAPIC_TEST_H
#define VLAPIC_TEST_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "vlapic.h"

#define TPT 10u   /* TSC ticks per APIC bus tick in every test */

static inline struct vlapic_config test_cfg(uint32_t vcpu, uint32_t apic_id)
{
	return (struct vlapic_config){
		.vcpu = vcpu, .apic_id = apic_id, .tsc_per_tick = TPT,
		.maxphyaddr = 48, .bsp = vcpu == 0, .x2apic = true, .tsc_deadline = true,
	};
}

/* A vLAPIC in xAPIC mode, software-enabled (SVR 0x1ff). */
static inline struct vlapic *new_vlapic(uint32_t vcpu, uint32_t apic_id)
{
	struct vlapic *v = calloc(1, sizeof(*v));
	struct vlapic_config c = test_cfg(vcpu, apic_id);
	struct vlapic_out o;

	assert_non_null(v);
	assert_int_equal(vlapic_init(v, &c), VMK_OK);
	assert_int_equal(vlapic_mmio_write(v, VLAPIC_SVR, 4, 0x1ff, 0, &o), VMK_OK);
	return v;
}

static inline uint32_t rd_at(struct vlapic *v, uint32_t off, uint64_t now)
{
	uint32_t val = 0xdeadbeef;

	assert_int_equal(vlapic_mmio_read(v, off, 4, now, &val), VMK_OK);
	return val;
}

static inline uint32_t rd(struct vlapic *v, uint32_t off)
{
	return rd_at(v, off, 0);
}

static inline struct vlapic_out wr_at(struct vlapic *v, uint32_t off, uint32_t val,
				      uint64_t now)
{
	struct vlapic_out o;

	assert_int_equal(vlapic_mmio_write(v, off, 4, val, now, &o), VMK_OK);
	return o;
}

static inline struct vlapic_out wr(struct vlapic *v, uint32_t off, uint32_t val)
{
	return wr_at(v, off, val, 0);
}

static inline uint64_t mrd(struct vlapic *v, uint32_t msr)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(vlapic_msr_read(v, msr, 0, &val), VMK_OK);
	return val;
}

static inline struct vlapic_out mwr(struct vlapic *v, uint32_t msr, uint64_t val)
{
	struct vlapic_out o;

	assert_int_equal(vlapic_msr_write(v, msr, val, 0, &o), VMK_OK);
	return o;
}

static inline void to_x2apic(struct vlapic *v)
{
	mwr(v, VLAPIC_MSR_APIC_BASE, mrd(v, VLAPIC_MSR_APIC_BASE) | VLAPIC_BASE_EXTD);
	assert_int_equal(vlapic_mode(v), VLAPIC_MODE_X2APIC);
}

/* ESR as software reads it: write, then read. */
static inline uint32_t esr_latch(struct vlapic *v)
{
	if (vlapic_mode(v) == VLAPIC_MODE_X2APIC) {
		mwr(v, VLAPIC_MSR(VLAPIC_ESR), 0);
		return (uint32_t)mrd(v, VLAPIC_MSR(VLAPIC_ESR));
	}
	wr(v, VLAPIC_ESR, 0);
	return rd(v, VLAPIC_ESR);
}

static inline bool irr_has(struct vlapic *v, uint32_t vec)
{
	return (rd_at(v, VLAPIC_IRR0 + (vec / 32) * 16, 0) >> (vec % 32)) & 1;
}

/* A failed call must leave the architectural state as it was: compare
 * everything but the counters. */
struct snap {
	struct vlapic v;
};

static inline void snap_take(struct snap *s, const struct vlapic *v)
{
	memcpy(&s->v, v, sizeof(*v));
	memset(&s->v.stats, 0, sizeof(s->v.stats));
}

static inline void snap_same(const struct snap *s, const struct vlapic *v)
{
	struct snap now;

	snap_take(&now, v);
	assert_memory_equal(&now.v, &s->v, sizeof(now.v));
}

int vlapic_regs_tests(void);
int vlapic_timer_tests(void);
int vlapic_ipi_tests(void);
#endif
