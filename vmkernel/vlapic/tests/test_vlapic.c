/* vLAPIC registers, APIC base, priorities, acceptance and EOI.  Expected
 * values come from the SDM (vol. 3, APIC chapter) and the APM (vol. 2,
 * chapter 16); the timer and IPI tests are in their own files. */
#include "vlapic_test.h"
#include <vmk/xorshift.h>

static const uint32_t lvt_regs[VLAPIC_LVT_COUNT] = {
	VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0, VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR,
};

static void test_power_on_state(void **st)
{
	(void)st;
	struct vlapic v;
	struct vlapic_config c = test_cfg(0, 5);

	assert_int_equal(vlapic_init(&v, &c), VMK_OK);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_XAPIC);
	assert_int_equal(mrd(&v, VLAPIC_MSR_APIC_BASE), 0xfee00900u);   /* EN | BSP */
	assert_int_equal(vlapic_base_address(&v), 0xfee00000u);
	assert_int_equal(rd(&v, VLAPIC_ID), 5u << 24);
	assert_int_equal(rd(&v, VLAPIC_VER), 0x00050014u);
	assert_int_equal(rd(&v, VLAPIC_SVR), 0xffu);
	assert_int_equal(rd(&v, VLAPIC_DFR), 0xffffffffu);
	assert_int_equal(rd(&v, VLAPIC_LDR), 0);
	assert_int_equal(rd(&v, VLAPIC_TPR), 0);
	assert_int_equal(rd(&v, VLAPIC_PPR), 0);
	assert_int_equal(rd(&v, VLAPIC_ESR), 0);
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_int_equal(rd(&v, lvt_regs[i]), 0x00010000u);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(&v, VLAPIC_IRR0 + 16 * i), 0);
		assert_int_equal(rd(&v, VLAPIC_ISR0 + 16 * i), 0);
		assert_int_equal(rd(&v, VLAPIC_TMR0 + 16 * i), 0);
	}
	assert_int_equal(vlapic_timer_next_deadline(&v), VLAPIC_NO_DEADLINE);
	assert_int_equal(vlapic_pending(&v), VMK_ENOENT);

	c = test_cfg(1, 6);
	assert_int_equal(vlapic_init(&v, &c), VMK_OK);
	assert_int_equal(mrd(&v, VLAPIC_MSR_APIC_BASE), 0xfee00800u);    /* AP: no BSP */
}

static void test_bad_config(void **st)
{
	(void)st;
	struct vlapic v;
	struct vlapic_config c = test_cfg(0, 0);
	struct vlapic_config bad[8];

	for (unsigned i = 0; i < 8; i++)
		bad[i] = c;
	bad[0].vcpu = VLAPIC_MAX_VCPUS;
	bad[1].tsc_per_tick = 0;
	bad[2].tsc_per_tick = VLAPIC_MAX_TSC_PER_TICK + 1;
	bad[3].maxphyaddr = 31;
	bad[4].maxphyaddr = 53;
	bad[5].apic_id = 0xffffffffu;
	bad[6].x2apic = false, bad[6].apic_id = 0xff;
	bad[7].x2apic = false, bad[7].apic_id = 0x100;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(vlapic_init(&v, &bad[i]), VMK_EINVAL);
	assert_int_equal(vlapic_init(NULL, &c), VMK_EINVAL);
	assert_int_equal(vlapic_init(&v, NULL), VMK_EINVAL);
	c.x2apic = false, c.apic_id = 0xfe;
	assert_int_equal(vlapic_init(&v, &c), VMK_OK);
}

/* Only aligned 32-bit accesses; the rest are rejected and change nothing. */
static void test_mmio_bad_access(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	static const uint32_t sizes[] = {0, 1, 2, 3, 8};
	static const uint32_t offs[] = {0x081, 0x084, 0x088, 0x08c, 0x0b2, 0x301, 0xffc};
	struct vlapic_out o;
	struct snap s;
	uint32_t val;

	wr(v, VLAPIC_TPR, 0x20);
	snap_take(&s, v);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(vlapic_mmio_read(v, VLAPIC_TPR, sizes[i], 0, &val), VMK_EINVAL);
		assert_int_equal(val, 0);
		assert_int_equal(vlapic_mmio_write(v, VLAPIC_TPR, sizes[i], 0x90, 0, &o), VMK_EINVAL);
		assert_int_equal(o.events, 0);
	}
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		assert_int_equal(vlapic_mmio_read(v, offs[i], 4, 0, &val), VMK_EINVAL);
		assert_int_equal(vlapic_mmio_write(v, offs[i], 4, 0x90, 0, &o), VMK_EINVAL);
	}
	assert_int_equal(v->stats.bad_access, 2 * 5 + 2 * 7);
	assert_int_equal(vlapic_mmio_read(v, 0x1000, 4, 0, &val), VMK_ERANGE);
	assert_int_equal(vlapic_mmio_write(v, 0xfffffff0u, 4, 0, 0, &o), VMK_ERANGE);
	assert_int_equal(vlapic_mmio_read(NULL, 0x80, 4, 0, &val), VMK_EINVAL);
	assert_int_equal(vlapic_mmio_read(v, 0x80, 4, 0, NULL), VMK_EINVAL);
	assert_int_equal(vlapic_mmio_write(v, 0x80, 4, 0, 0, NULL), VMK_EINVAL);
	snap_same(&s, v);
	assert_int_equal(esr_latch(v), 0);   /* no APIC error for these */
	free(v);
}

/* Unimplemented offsets read 0, drop writes and log "illegal register
 * address" (ESR bit 7), raising the error LVT. */
static void test_mmio_reserved_offsets(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	static const uint32_t offs[] = {
		0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2a0, 0x2e0,
		0x2f0 /* CMCI: beyond max LVT */, 0x3a0, 0x3b0, 0x3c0, 0x3d0,
		0x3f0 /* SELF IPI: x2APIC only */, 0x400, 0x800, 0xff0,
	};
	const unsigned n = sizeof(offs) / sizeof(offs[0]);

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(rd(v, offs[i]), 0);
		wr(v, offs[i], 0xffffffffu);
		assert_int_equal(rd(v, offs[i]), 0);
	}
	assert_int_equal(v->stats.reserved, 3 * n);
	assert_int_equal(esr_latch(v), VLAPIC_ESR_ILLEGAL_REG);
	assert_int_equal(esr_latch(v), 0);

	/* With the error LVT unmasked the error is an interrupt. */
	wr(v, VLAPIC_LVT_ERROR, 0xe3);
	struct vlapic_out o = wr(v, 0x040, 1);
	assert_true(o.events & VLAPIC_EV_IRQ);
	assert_true(irr_has(v, 0xe3));
	assert_int_equal(vlapic_pending(v), 0xe3);
	free(v);
}

/* Writes to read-only registers are dropped and counted, no APIC error. */
static void test_mmio_readonly_writes(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	static const uint32_t ro[] = {
		VLAPIC_VER, VLAPIC_APR, VLAPIC_PPR, VLAPIC_RRD, VLAPIC_ISR0,
		VLAPIC_ISR0 + 0x70, VLAPIC_TMR0 + 0x30, VLAPIC_IRR0, VLAPIC_IRR0 + 0x70,
		VLAPIC_TCCR,
	};
	const unsigned n = sizeof(ro) / sizeof(ro[0]);
	struct snap s;

	assert_int_equal(vlapic_accept(v, 0x33, false), VMK_OK);
	snap_take(&s, v);
	for (unsigned i = 0; i < n; i++) {
		uint32_t before = rd(v, ro[i]);
		struct vlapic_out o = wr(v, ro[i], 0xffffffffu);

		assert_int_equal(o.events, 0);
		assert_int_equal(rd(v, ro[i]), before);
	}
	assert_int_equal(v->stats.ro_writes, n);
	snap_same(&s, v);
	assert_int_equal(esr_latch(v), 0);
	free(v);
}

/* EOI is write-only: an xAPIC read returns 0 and does nothing. */
static void test_mmio_eoi_reads_zero(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);

	assert_int_equal(vlapic_accept(v, 0x40, false), VMK_OK);
	assert_int_equal(vlapic_ack(v), 0x40);
	assert_int_equal(rd(v, VLAPIC_EOI), 0);
	assert_int_equal(rd(v, VLAPIC_ISR0 + 0x20), 1u);   /* still in service */
	assert_int_equal(v->stats.reserved, 0);
	free(v);
}

/* Writable bits of each xAPIC register (reserved bits are dropped). */
static void test_xapic_write_masks(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	static const struct { uint32_t off, wrote, reads; } t[] = {
		{VLAPIC_ID, 0x12345678u, 0x12000000u},
		{VLAPIC_TPR, 0xffffffffu, 0xffu},
		{VLAPIC_LDR, 0xffffffffu, 0xff000000u},
		{VLAPIC_DFR, 0x00000000u, 0x0fffffffu},
		{VLAPIC_DFR, 0x5a5a5a5au, 0x5fffffffu},
		{VLAPIC_ICR_HI, 0xffffffffu, 0xff000000u},
		{VLAPIC_TDCR, 0xffffffffu, 0xbu},
		{VLAPIC_LVT_TIMER, 0xffffffffu, 0x000100ffu},   /* mode 3 reserved: kept */
		{VLAPIC_LVT_TIMER, 0x000400ffu, 0x000400ffu},   /* TSC-deadline */
		{VLAPIC_LVT_TIMER, 0x000200ffu, 0x000200ffu},   /* periodic */
		{VLAPIC_LVT_THERMAL, 0xffffffffu, 0x000107ffu},
		{VLAPIC_LVT_PERF, 0xffffffffu, 0x000107ffu},
		{VLAPIC_LVT_LINT0, 0xffffbfffu, 0x0001a7ffu},   /* remote IRR RO */
		{VLAPIC_LVT_LINT1, 0xffffbfffu, 0x0001a7ffu},
		{VLAPIC_LVT_ERROR, 0xffffffffu, 0x000100ffu},
		{VLAPIC_SVR, 0xffffffffu, 0x3ffu},               /* no EOI suppression */
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(v, t[i].off, t[i].wrote);
		assert_int_equal(rd(v, t[i].off), t[i].reads);
	}
	/* Without TSC-deadline support bit 18 is reserved: mode 2 is one-shot. */
	struct vlapic_config c = test_cfg(0, 1);
	c.tsc_deadline = false;
	assert_int_equal(vlapic_init(v, &c), VMK_OK);
	wr(v, VLAPIC_SVR, 0x1ff);
	wr(v, VLAPIC_LVT_TIMER, 0x000400ffu);
	assert_int_equal(rd(v, VLAPIC_LVT_TIMER), 0x000000ffu);
	free(v);
}

/* SVR bit 8 clear: every LVT masked, and writes cannot unmask. */
/* The SDM's xAPIC register address map, offset by offset (no CMCI LVT
 * here: 0x2f0 is unimplemented, as is 0x3f0, the x2APIC's SELF IPI). */
enum xcls { X_NONE, X_RO, X_RW, X_WO };

static enum xcls sdm_xapic_class(uint32_t off)
{
	switch (off) {
	case 0x020: case 0x080: case 0x0d0: case 0x0e0: case 0x0f0: case 0x280:
	case 0x300: case 0x310: case 0x380: case 0x3e0:
		return X_RW;
	case 0x030: case 0x090: case 0x0a0: case 0x0c0: case 0x390:
		return X_RO;
	case 0x0b0:
		return X_WO;
	}
	if (off >= 0x100 && off <= 0x270)
		return X_RO;   /* ISR, TMR, IRR */
	if (off >= 0x320 && off <= 0x370)
		return X_RW;   /* LVT timer .. error */
	return X_NONE;
}

/* Registers the x2APIC has at MSR 0x800 + offset / 16, by the SDM's
 * x2APIC table: all of the xAPIC's but APR, RRD, DFR and the ICR's high
 * half (its 64-bit ICR is at 0x830), plus SELF IPI (write-only). */
static bool sdm_x2apic_readable(uint32_t off)
{
	return sdm_xapic_class(off) != X_NONE && sdm_xapic_class(off) != X_WO &&
	       off != 0x090 && off != 0x0c0 && off != 0x0e0 && off != 0x310;
}

/* Every 16-byte offset of the page: reads succeed, only unimplemented
 * offsets log ESR bit 7, only read-only registers count a dropped write;
 * and the same register through MMIO and through its x2APIC MSR. */
static void test_xapic_register_map(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 3), *x = new_vlapic(0, 3);

	to_x2apic(x);
	for (uint32_t off = 0; off < 4096; off += 16) {
		enum xcls c = sdm_xapic_class(off);
		uint64_t ro = v->stats.ro_writes, res = v->stats.reserved, val;
		struct vlapic_out o;

		(void)rd(v, off);
		assert_int_equal(esr_latch(v) & VLAPIC_ESR_ILLEGAL_REG,
				 c == X_NONE ? VLAPIC_ESR_ILLEGAL_REG : 0);
		assert_int_equal(vlapic_mmio_write(v, off, 4, 0, 0, &o), VMK_OK);
		assert_int_equal(esr_latch(v) & VLAPIC_ESR_ILLEGAL_REG,
				 c == X_NONE ? VLAPIC_ESR_ILLEGAL_REG : 0);
		assert_int_equal(v->stats.ro_writes - ro, c == X_RO);
		assert_int_equal(v->stats.reserved - res, c == X_NONE ? 2 : 0);
		if (off < 0x400)
			assert_int_equal(vlapic_msr_read(x, VLAPIC_MSR(off), 0, &val) == VMK_OK,
					 sdm_x2apic_readable(off));
	}
	free(v);
	free(x);
}

/* Where the two modes agree on a register's format, MMIO offset n << 4
 * and MSR 0x800 + n hold the same value; where they differ (ID, LDR, DFR,
 * ICR), the xAPIC's formats. */
static void test_xapic_x2apic_same_registers(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 3), *x = new_vlapic(0, 3);
	static const struct { uint32_t off, val; } same[] = {
		{ VLAPIC_TPR, 0x45 }, { VLAPIC_SVR, 0x1f3 }, { VLAPIC_LVT_TIMER, 0x20031 },
		{ 0x340, 0x10400 }, { VLAPIC_LVT_ERROR, 0xee }, { VLAPIC_TDCR, 0xa },
		{ VLAPIC_TICR, 0 },
	};
	struct vlapic_out o;

	to_x2apic(x);
	for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		wr(v, same[i].off, same[i].val);
		mwr(x, VLAPIC_MSR(same[i].off), same[i].val);
		assert_int_equal(rd(v, same[i].off), mrd(x, VLAPIC_MSR(same[i].off)));
		assert_int_equal(rd(v, same[i].off), same[i].val);
	}
	assert_int_equal(rd(v, VLAPIC_VER), mrd(x, VLAPIC_MSR(VLAPIC_VER)));
	/* ID: 8 bits in 31:24 (writable in xAPIC), the whole 32 in x2APIC. */
	assert_int_equal(rd(v, VLAPIC_ID), 3u << 24);
	assert_int_equal(mrd(x, VLAPIC_MSR(VLAPIC_ID)), 3);
	wr(v, VLAPIC_ID, 0x07ffffffu);
	assert_int_equal(rd(v, VLAPIC_ID), 0x07000000u);
	/* DFR: xAPIC only; 27:0 read as ones, the model in 31:28. */
	assert_int_equal(rd(v, VLAPIC_DFR), 0xffffffffu);
	wr(v, VLAPIC_DFR, 0);
	assert_int_equal(rd(v, VLAPIC_DFR), 0x0fffffffu);
	assert_int_equal(vlapic_msr_read(x, VLAPIC_MSR(VLAPIC_DFR), 0, &(uint64_t){0}), VMK_ENOENT);
	/* ICR: two 32-bit registers; the high half (destination 31:24) is
	 * kept and sends nothing, each write of the low half sends with it. */
	o = wr(v, VLAPIC_ICR_HI, 0x02ffffffu);
	assert_int_equal(o.events, 0);
	assert_int_equal(rd(v, VLAPIC_ICR_HI), 0x02000000u);
	for (int k = 0; k < 2; k++) {
		o = wr(v, VLAPIC_ICR_LO, VLAPIC_ICR_ASSERT | 0x41);
		assert_true(o.events & VLAPIC_EV_IPI);
		assert_int_equal(o.ipi.dest, 2);
		assert_int_equal(o.ipi.vector, 0x41);
		assert_false(o.ipi.x2apic);
	}
	assert_int_equal(rd(v, VLAPIC_ICR_LO), VLAPIC_ICR_ASSERT | 0x41);   /* idle */
	assert_int_equal(vlapic_msr_read(x, VLAPIC_MSR(VLAPIC_ICR_HI), 0, &(uint64_t){0}),
			 VMK_ENOENT);
	free(v);
	free(x);
}

static void test_svr_software_disable(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);

	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		wr(v, lvt_regs[i], 0x40 + i);
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_int_equal(rd(v, lvt_regs[i]), 0x40 + i);
	assert_true(vlapic_enabled(v));
	wr(v, VLAPIC_SVR, 0x0ff);
	assert_false(vlapic_enabled(v));
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_int_equal(rd(v, lvt_regs[i]), 0x10040 + i);
	wr(v, VLAPIC_LVT_ERROR, 0xe0);
	assert_int_equal(rd(v, VLAPIC_LVT_ERROR), 0x100e0);
	/* Software-disabled: fixed interrupts are not accepted. */
	assert_int_equal(vlapic_accept(v, 0x50, false), VMK_EPERM);
	assert_int_equal(v->stats.refused, 1);
	assert_false(irr_has(v, 0x50));
	/* Re-enabling leaves them masked until software writes them. */
	wr(v, VLAPIC_SVR, 0x1ff);
	assert_true(vlapic_enabled(v));
	assert_int_equal(rd(v, VLAPIC_LVT_ERROR), 0x100e0);
	wr(v, VLAPIC_LVT_ERROR, 0xe0);
	assert_int_equal(rd(v, VLAPIC_LVT_ERROR), 0xe0);
	assert_int_equal(vlapic_accept(v, 0x50, false), VMK_OK);
	free(v);
}

/* ESR: errors are logged internally; a write latches them into what reads
 * return and clears the log. */
static void test_esr_write_before_read(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);

	assert_int_equal(vlapic_accept(v, 5, false), VMK_EINVAL);
	assert_int_equal(rd(v, VLAPIC_ESR), 0);               /* not latched yet */
	wr(v, VLAPIC_ESR, 0xffffffffu);                        /* value is ignored */
	assert_int_equal(rd(v, VLAPIC_ESR), VLAPIC_ESR_RECV_ILLEGAL);
	assert_int_equal(rd(v, VLAPIC_ESR), VLAPIC_ESR_RECV_ILLEGAL); /* reads don't clear */
	rd(v, 0x040);                                          /* illegal register */
	assert_int_equal(rd(v, VLAPIC_ESR), VLAPIC_ESR_RECV_ILLEGAL);
	wr(v, VLAPIC_ESR, 0);
	assert_int_equal(rd(v, VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG);
	assert_int_equal(vlapic_accept(v, 15, false), VMK_EINVAL);
	rd(v, 0x050);
	assert_int_equal(esr_latch(v), VLAPIC_ESR_ILLEGAL_REG | VLAPIC_ESR_RECV_ILLEGAL);
	assert_int_equal(esr_latch(v), 0);
	assert_int_equal(vlapic_accept(v, 16, false), VMK_OK);  /* 16 is legal */
	assert_int_equal(esr_latch(v), 0);
	free(v);
}

/* An error LVT with an illegal vector cannot deliver: it adds "receive
 * illegal vector" and stops (no recursion). */
static void test_error_lvt_illegal_vector(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);

	wr(v, VLAPIC_LVT_ERROR, 0x03);
	rd(v, 0x040);
	assert_int_equal(esr_latch(v), VLAPIC_ESR_ILLEGAL_REG | VLAPIC_ESR_RECV_ILLEGAL);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(v, VLAPIC_IRR0 + 16 * i), 0);
	free(v);
}

static void test_accept_ack_eoi(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	struct vlapic_out o;

	assert_int_equal(vlapic_accept(v, 0x31, false), VMK_OK);
	assert_int_equal(vlapic_accept(v, 0x45, true), VMK_OK);
	assert_int_equal(rd(v, VLAPIC_IRR0 + 0x10), 1u << (0x31 - 32));
	assert_int_equal(rd(v, VLAPIC_IRR0 + 0x20), 1u << (0x45 - 64));
	assert_int_equal(rd(v, VLAPIC_TMR0 + 0x20), 1u << 5);   /* 0x45 level */
	assert_int_equal(vlapic_pending(v), 0x45);
	assert_int_equal(vlapic_ack(v), 0x45);
	assert_int_equal(rd(v, VLAPIC_ISR0 + 0x20), 1u << 5);
	assert_int_equal(rd(v, VLAPIC_IRR0 + 0x20), 0);
	assert_int_equal(rd(v, VLAPIC_IRR0 + 0x10), 1u << (0x31 - 32));
	assert_int_equal(rd(v, VLAPIC_PPR), 0x40);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);        /* class 3 <= 4 */
	o = wr(v, VLAPIC_EOI, 0);
	assert_int_equal(o.events, VLAPIC_EV_IRQ | VLAPIC_EV_EOI_LEVEL);
	assert_int_equal(o.eoi_vector, 0x45);
	assert_int_equal(rd(v, VLAPIC_PPR), 0);
	assert_int_equal(vlapic_pending(v), 0x31);
	assert_int_equal(vlapic_ack(v), 0x31);
	o = wr(v, VLAPIC_EOI, 0x12345678u);                      /* any value in xAPIC */
	assert_int_equal(o.events, VLAPIC_EV_IRQ);               /* edge: no broadcast */
	/* An edge accept of a vector clears its TMR bit again. */
	assert_int_equal(vlapic_accept(v, 0x45, false), VMK_OK);
	assert_int_equal(rd(v, VLAPIC_TMR0 + 0x20), 0);
	assert_int_equal(vlapic_accept(v, 256, false), VMK_ERANGE);
	assert_int_equal(vlapic_accept(NULL, 0x40, false), VMK_EINVAL);
	free(v);
}

/* Nested service: a higher class interrupts a lower one; EOI always ends
 * the highest in service. */
static void test_eoi_nested(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	struct vlapic_out o;

	assert_int_equal(vlapic_accept(v, 0x40, false), VMK_OK);
	assert_int_equal(vlapic_ack(v), 0x40);
	assert_int_equal(vlapic_accept(v, 0x4f, false), VMK_OK);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);          /* same class */
	assert_int_equal(vlapic_accept(v, 0x80, true), VMK_OK);
	assert_int_equal(vlapic_pending(v), 0x80);
	assert_int_equal(vlapic_ack(v), 0x80);
	assert_int_equal(rd(v, VLAPIC_PPR), 0x80);
	assert_int_equal(vlapic_accept(v, 0x90, false), VMK_OK);
	assert_int_equal(vlapic_ack(v), 0x90);
	assert_int_equal(rd(v, VLAPIC_ISR0 + 0x20), 1u);
	assert_int_equal(rd(v, VLAPIC_ISR0 + 0x40), 1u | 1u << 16);

	o = wr(v, VLAPIC_EOI, 0);
	assert_int_equal(o.events, VLAPIC_EV_IRQ);                /* 0x90, edge */
	assert_int_equal(rd(v, VLAPIC_PPR), 0x80);
	o = wr(v, VLAPIC_EOI, 0);
	assert_int_equal(o.events, VLAPIC_EV_IRQ | VLAPIC_EV_EOI_LEVEL);
	assert_int_equal(o.eoi_vector, 0x80);
	assert_int_equal(rd(v, VLAPIC_PPR), 0x40);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);          /* 0x4f waits */
	wr(v, VLAPIC_EOI, 0);
	assert_int_equal(vlapic_pending(v), 0x4f);
	assert_int_equal(vlapic_ack(v), 0x4f);
	wr(v, VLAPIC_EOI, 0);
	o = wr(v, VLAPIC_EOI, 0);                                 /* nothing in service */
	assert_int_equal(o.events, 0);
	assert_int_equal(v->stats.eoi_empty, 1);
	free(v);
}

/* PPR = TPR if TPR's class >= the highest in-service class, else that
 * class; an IRR vector is deliverable only above PPR's class. */
static void test_ppr_and_masking(void **st)
{
	(void)st;
	static const struct { uint32_t tpr, isr, ppr; } t[] = {
		{0x00, 0, 0x00}, {0x45, 0, 0x45}, {0x45, 0x31, 0x45},
		{0x25, 0x31, 0x30}, {0x35, 0x31, 0x35}, {0x30, 0x3f, 0x30},
		{0x2f, 0x3f, 0x30}, {0xff, 0xfe, 0xff}, {0x00, 0xfe, 0xf0},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vlapic *v = new_vlapic(0, 1);

		if (t[i].isr) {
			assert_int_equal(vlapic_accept(v, t[i].isr, false), VMK_OK);
			assert_int_equal(vlapic_ack(v), t[i].isr);
		}
		wr(v, VLAPIC_TPR, t[i].tpr);
		assert_int_equal(rd(v, VLAPIC_PPR), t[i].ppr);
		assert_int_equal(vlapic_ppr(v), t[i].ppr);
		free(v);
	}

	struct vlapic *v = new_vlapic(0, 1);
	wr(v, VLAPIC_TPR, 0x50);
	assert_int_equal(vlapic_accept(v, 0x5f, false), VMK_OK);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	assert_int_equal(vlapic_ack(v), 0xff);                     /* spurious */
	assert_int_equal(vlapic_accept(v, 0x60, false), VMK_OK);
	assert_int_equal(vlapic_pending(v), 0x60);
	/* CR8 is TPR[7:4]. */
	assert_int_equal(vlapic_cr8_read(v), 5);
	assert_int_equal(vlapic_cr8_write(v, 6), VMK_OK);
	assert_int_equal(rd(v, VLAPIC_TPR), 0x60);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	assert_int_equal(vlapic_cr8_write(v, 16), VMK_EINVAL);
	assert_int_equal(vlapic_cr8_write(v, 0), VMK_OK);
	assert_int_equal(vlapic_pending(v), 0x60);
	free(v);
}

/* APR: TPR if TPR's class >= IRRV's and > ISRV's, else the highest class. */
static void test_apr(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);

	wr(v, VLAPIC_TPR, 0x35);
	assert_int_equal(rd(v, VLAPIC_APR), 0x35);
	assert_int_equal(vlapic_accept(v, 0x52, false), VMK_OK);
	assert_int_equal(rd(v, VLAPIC_APR), 0x50);
	assert_int_equal(vlapic_ack(v), 0x52);
	assert_int_equal(rd(v, VLAPIC_APR), 0x50);
	wr(v, VLAPIC_TPR, 0x65);
	assert_int_equal(rd(v, VLAPIC_APR), 0x65);
	free(v);
}

/* Nothing deliverable: ack gives the spurious vector (SVR[7:0], all eight
 * bits programmable) and changes nothing; it needs no EOI. */
static void test_ack_spurious(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	struct snap s;

	assert_int_equal(vlapic_ack(v), 0xff);
	wr(v, VLAPIC_SVR, 0x1e7);
	snap_take(&s, v);
	assert_int_equal(vlapic_ack(v), 0xe7);
	snap_same(&s, v);
	mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00000u);                 /* globally disabled */
	assert_int_equal(vlapic_ack(v), VMK_ENOENT);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	assert_int_equal(vlapic_accept(v, 0x40, false), VMK_EPERM);
	free(v);
}

static void test_x2apic_registers(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 0x12345);
	struct vlapic_out o;
	uint32_t val;

	/* In xAPIC mode the x2APIC MSRs #GP. */
	assert_int_equal(vlapic_msr_read(v, VLAPIC_MSR(VLAPIC_TPR), 0, &(uint64_t){0}), VMK_EPERM);
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR(VLAPIC_TPR), 0, 0, &o), VMK_EPERM);
	wr(v, VLAPIC_TPR, 0x20);
	to_x2apic(v);
	/* ... and in x2APIC mode the MMIO page is not the APIC. */
	assert_int_equal(vlapic_mmio_read(v, VLAPIC_TPR, 4, 0, &val), VMK_EPERM);
	assert_int_equal(vlapic_mmio_write(v, VLAPIC_TPR, 4, 0, 0, &o), VMK_EPERM);

	assert_int_equal(mrd(v, 0x802), 0x12345);                 /* 32-bit ID */
	assert_int_equal(mrd(v, 0x803), 0x00050014u);
	assert_int_equal(mrd(v, 0x80d), (0x1234u << 16) | (1u << 5));
	assert_int_equal(mrd(v, 0x808), 0x20);                     /* TPR kept */
	assert_int_equal(mrd(v, 0x80f), 0x1ff);
	mwr(v, 0x808, 0x70);
	assert_int_equal(mrd(v, 0x80a), 0x70);
	mwr(v, 0x80f, 0x3ff);
	mwr(v, 0x83e, 0xb);
	assert_int_equal(mrd(v, 0x83e), 0xb);
	mwr(v, 0x835, 0x0001a7ffu);
	assert_int_equal(mrd(v, 0x835), 0x0001a7ffu);
	/* A read-modify-write carrying read-only status bits is fine. */
	mwr(v, 0x835, 0x0000d700u);
	assert_int_equal(mrd(v, 0x835), 0x00008700u);
	free(v);
}

/* Every x2APIC #GP case: the code, stats.gp, and no state change. */
static void test_x2apic_gp_cases(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 7);
	static const struct { uint32_t msr; int err; } rds[] = {
		{0x800, VMK_ENOENT}, {0x801, VMK_ENOENT}, {0x804, VMK_ENOENT},
		{0x809, VMK_ENOENT} /* APR */, {0x80c, VMK_ENOENT} /* RRD */,
		{0x80e, VMK_ENOENT} /* DFR */, {0x82f, VMK_ENOENT} /* CMCI */,
		{0x831, VMK_ENOENT} /* ICR high */, {0x83a, VMK_ENOENT},
		{0x840, VMK_ENOENT}, {0x8ff, VMK_ENOENT},
		{0x80b, VMK_EPERM} /* EOI */, {0x83f, VMK_EPERM} /* SELF IPI */,
	};
	static const struct { uint32_t msr; uint64_t val; int err; } wrs[] = {
		{0x802, 0, VMK_EPERM}, {0x803, 0, VMK_EPERM}, {0x80a, 0, VMK_EPERM},
		{0x80d, 0, VMK_EPERM}, {0x810, 0, VMK_EPERM}, {0x81f, 0, VMK_EPERM},
		{0x827, 0, VMK_EPERM}, {0x839, 0, VMK_EPERM},
		{0x809, 0, VMK_ENOENT}, {0x80e, 0, VMK_ENOENT}, {0x831, 0, VMK_ENOENT},
		{0x82f, 0, VMK_ENOENT}, {0x8ff, 0, VMK_ENOENT},
		{0x808, 0x100, VMK_EINVAL}, {0x808, 1ull << 32, VMK_EINVAL},
		{0x80b, 1, VMK_EINVAL}, {0x80b, 1ull << 40, VMK_EINVAL},
		{0x828, 1, VMK_EINVAL}, {0x80f, 0x1000, VMK_EINVAL} /* EOI suppression */,
		{0x80f, 0x400, VMK_EINVAL}, {0x83e, 0x4, VMK_EINVAL}, {0x83e, 0x10, VMK_EINVAL},
		{0x832, 0x000600ffu, VMK_EINVAL} /* timer mode 3 */,
		{0x832, 0x000800ffu, VMK_EINVAL}, {0x833, 0x00000800u, VMK_EINVAL},
		{0x837, 0x000007e0u, VMK_EINVAL} /* error LVT has no delivery mode */,
		{0x835, 0x00020000u, VMK_EINVAL}, {0x838, 1ull << 32, VMK_EINVAL},
		{0x830, 0x2000, VMK_EINVAL} /* bit 13 */, {0x830, 0x1000, VMK_EINVAL},
		{0x830, 0x30000, VMK_EINVAL}, {0x830, 0x100000, VMK_EINVAL},
		{0x83f, 0x100, VMK_EINVAL}, {0x83f, 1ull << 32, VMK_EINVAL},
	};
	const unsigned nr = sizeof(rds) / sizeof(rds[0]), nw = sizeof(wrs) / sizeof(wrs[0]);
	struct vlapic_out o;
	struct snap s;
	uint64_t val;

	to_x2apic(v);
	assert_int_equal(vlapic_accept(v, 0x66, false), VMK_OK);
	snap_take(&s, v);
	for (unsigned i = 0; i < nr; i++) {
		val = 1;
		assert_int_equal(vlapic_msr_read(v, rds[i].msr, 0, &val), rds[i].err);
		assert_int_equal(val, 0);
	}
	for (unsigned i = 0; i < nw; i++) {
		int rc = vlapic_msr_write(v, wrs[i].msr, wrs[i].val, 0, &o);

		if (rc != wrs[i].err)
			fail_msg("wrmsr %#x <- %#llx: %d, expected %d", wrs[i].msr,
				 (unsigned long long)wrs[i].val, rc, wrs[i].err);
		assert_int_equal(o.events, 0);
	}
	assert_int_equal(v->stats.gp, nr + nw);
	snap_same(&s, v);
	assert_int_equal(esr_latch(v), 0);
	/* Not the model's MSR: a VMM bug, not a #GP it counts. */
	assert_int_equal(vlapic_msr_read(v, 0x10, 0, &val), VMK_ERANGE);
	assert_int_equal(vlapic_msr_write(v, 0x900, 0, 0, &o), VMK_ERANGE);
	assert_int_equal(vlapic_msr_read(NULL, 0x808, 0, &val), VMK_EINVAL);
	assert_int_equal(vlapic_msr_read(v, 0x808, 0, NULL), VMK_EINVAL);
	assert_int_equal(vlapic_msr_write(NULL, 0x808, 0, 0, &o), VMK_EINVAL);
	assert_int_equal(vlapic_msr_write(v, 0x808, 0, 0, NULL), VMK_EINVAL);
	assert_false(vlapic_msr_owned(0x7ff));
	assert_true(vlapic_msr_owned(0x8ff));
	assert_true(vlapic_msr_owned(VLAPIC_MSR_TSC_DEADLINE));
	free(v);
}

/* SELF IPI (x2APIC): a fixed edge interrupt to this APIC, at once. */
static void test_x2apic_self_ipi(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 3);
	struct vlapic_out o;

	to_x2apic(v);
	o = mwr(v, 0x83f, 0x55);
	assert_int_equal(o.events, VLAPIC_EV_IRQ);
	assert_int_equal(vlapic_pending(v), 0x55);
	assert_int_equal(mrd(v, 0x822) >> 21 & 1, 1);             /* IRR bit 0x55 */
	mwr(v, 0x83f, 0x05);                                       /* illegal vector */
	assert_int_equal(esr_latch(v), VLAPIC_ESR_RECV_ILLEGAL);
	free(v);
}

/* IA32_APIC_BASE legal state transitions (SDM "x2APIC State Transitions"). */
static void test_apic_base_transitions(void **st)
{
	(void)st;
	enum { D = 0, X = 0x800, X2 = 0xc00, INV = 0x400 };
	static const struct { uint64_t from, to; int err; } t[] = {
		{X, X2, VMK_OK}, {X, D, VMK_OK}, {X, INV, VMK_EINVAL}, {X, X, VMK_OK},
		{X2, X, VMK_EINVAL}, {X2, D, VMK_OK}, {X2, INV, VMK_EINVAL}, {X2, X2, VMK_OK},
		{D, X2, VMK_EINVAL}, {D, X, VMK_OK}, {D, INV, VMK_EINVAL}, {D, D, VMK_OK},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vlapic *v = new_vlapic(1, 2);
		struct vlapic_out o;
		struct snap s;

		if (t[i].from == X2)
			to_x2apic(v);
		if (t[i].from == D)
			mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00000u);
		snap_take(&s, v);
		assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR_APIC_BASE,
						  0xfee00000u | t[i].to, 0, &o), t[i].err);
		if (t[i].err) {
			snap_same(&s, v);
			assert_int_equal(v->stats.gp, 1);
		} else {
			assert_int_equal(mrd(v, VLAPIC_MSR_APIC_BASE), 0xfee00000u | t[i].to);
			assert_int_equal(!!(o.events & VLAPIC_EV_MODE), t[i].from != t[i].to);
		}
		free(v);
	}
}

static void test_apic_base_reserved_bits(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 2);
	static const uint64_t bad[] = {
		0xfee00801u, 0xfee00880u, 0xfee00a00u /* bit 9 */,
		0xfee00800u | 1ull << 48, 0xfee00800u | 1ull << 63,
	};
	struct vlapic_out o;
	struct snap s;

	snap_take(&s, v);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR_APIC_BASE, bad[i], 0, &o),
				 VMK_EINVAL);
	snap_same(&s, v);
	/* BSP belongs to the VMM: the guest's bit is ignored. */
	mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00800u);
	assert_int_equal(mrd(v, VLAPIC_MSR_APIC_BASE), 0xfee00900u);
	/* The base may move (the VMM remaps on VLAPIC_EV_MODE). */
	o = mwr(v, VLAPIC_MSR_APIC_BASE, 0x0000fffffed00800ull);
	assert_int_equal(o.events, VLAPIC_EV_MODE);
	assert_int_equal(vlapic_base_address(v), 0x0000fffffed00000ull);
	/* EXTD without x2APIC in CPUID is reserved. */
	struct vlapic_config c = test_cfg(0, 2);
	c.x2apic = false;
	assert_int_equal(vlapic_init(v, &c), VMK_OK);
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR_APIC_BASE, 0xfee00d00u, 0, &o),
			 VMK_EINVAL);
	free(v);
}

/* Disabling loses the state; xAPIC -> x2APIC keeps it but ID and LDR. */
static void test_apic_base_state_effects(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(1, 0x21);
	struct vlapic_out o;

	wr(v, VLAPIC_TPR, 0x30);
	wr(v, VLAPIC_LDR, 0x04000000u);
	wr(v, VLAPIC_ID, 0x09000000u);
	assert_int_equal(vlapic_accept(v, 0x77, false), VMK_OK);
	to_x2apic(v);
	assert_int_equal(mrd(v, 0x802), 0x21);
	assert_int_equal(mrd(v, 0x80d), (2u << 16) | 2u);
	assert_int_equal(mrd(v, 0x808), 0x30);
	assert_int_equal(vlapic_pending(v), 0x77);

	o = mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00000u);
	assert_true(o.events & VLAPIC_EV_MODE);
	assert_int_equal(vlapic_mode(v), VLAPIC_MODE_DISABLED);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);
	mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00800u);
	assert_int_equal(rd(v, VLAPIC_ID), 0x21000000u);
	assert_int_equal(rd(v, VLAPIC_TPR), 0);
	assert_int_equal(rd(v, VLAPIC_SVR), 0xff);
	assert_int_equal(rd(v, VLAPIC_LDR), 0);
	assert_int_equal(rd(v, VLAPIC_IRR0 + 0x30), 0);
	free(v);
}

/* INIT: registers reset, but the base MSR (mode) and the ID stay. */
static void test_init_signal(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(1, 0x13);

	wr(v, VLAPIC_ID, 0x44000000u);
	wr(v, VLAPIC_TPR, 0x30);
	wr(v, VLAPIC_LVT_ERROR, 0xe0);
	assert_int_equal(vlapic_accept(v, 0x77, false), VMK_OK);
	vlapic_init_signal(v);
	assert_int_equal(rd(v, VLAPIC_ID), 0x44000000u);
	assert_int_equal(rd(v, VLAPIC_TPR), 0);
	assert_int_equal(rd(v, VLAPIC_SVR), 0xff);
	assert_int_equal(rd(v, VLAPIC_LVT_ERROR), 0x10000u);
	assert_int_equal(vlapic_pending(v), VMK_ENOENT);

	wr(v, VLAPIC_SVR, 0x1ff);
	to_x2apic(v);
	mwr(v, 0x808, 0x50);
	vlapic_init_signal(v);
	assert_int_equal(vlapic_mode(v), VLAPIC_MODE_X2APIC);
	assert_int_equal(mrd(v, 0x802), 0x13);
	assert_int_equal(mrd(v, 0x80d), (1u << 16) | (1u << 3));
	assert_int_equal(mrd(v, 0x808), 0);
	free(v);
}

/* LVT sources the VMM raises: thermal, perf, LINT0, LINT1. */
static void test_lvt_events(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 1);
	enum vlapic_delivery d;
	struct vlapic_out o;

	wr(v, VLAPIC_LVT_LINT0, 0x700);                           /* ExtINT */
	wr(v, VLAPIC_LVT_LINT1, 0x400);                           /* NMI */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_EXTINT);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT1, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NMI);
	wr(v, VLAPIC_LVT_LINT1, 0x10400);                         /* masked */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT1, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);

	wr(v, VLAPIC_LVT_THERMAL, 0x41);                          /* fixed */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_THERMAL, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_IRR);
	assert_int_equal(vlapic_pending(v), 0x41);
	wr(v, VLAPIC_LVT_PERF, 0x200);                            /* SMI */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_PERF, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_SMI);
	wr(v, VLAPIC_LVT_PERF, 0x500);                            /* INIT: LINT only */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_PERF, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);
	wr(v, VLAPIC_LVT_PERF, 0x300);                            /* reserved mode */
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_PERF, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);

	/* Level LINT0: remote IRR holds it off until the EOI of its vector. */
	wr(v, VLAPIC_LVT_LINT0, 0x8062);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_IRR);
	assert_int_equal(rd(v, VLAPIC_LVT_LINT0), 0xc062);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);
	assert_int_equal(vlapic_ack(v), 0x62);
	o = wr(v, VLAPIC_EOI, 0);
	assert_int_equal(o.events, VLAPIC_EV_IRQ | VLAPIC_EV_EOI_LEVEL);
	assert_int_equal(o.eoi_vector, 0x62);
	assert_int_equal(rd(v, VLAPIC_LVT_LINT0), 0x8062);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_IRR);

	/* Illegal vector through an LVT: receive illegal vector, nothing set. */
	wr(v, VLAPIC_LVT_THERMAL, 0x07);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_THERMAL, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);
	assert_int_equal(esr_latch(v), VLAPIC_ESR_RECV_ILLEGAL);

	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_TIMER, &d), VMK_EINVAL);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_ERROR, &d), VMK_EINVAL);
	assert_int_equal(vlapic_lvt_event(v, (enum vlapic_lvt)99, &d), VMK_EINVAL);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, NULL), VMK_EINVAL);

	/* Globally disabled: the pins bypass the APIC. */
	mwr(v, VLAPIC_MSR_APIC_BASE, 0xfee00000u);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT0, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_EXTINT);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_LINT1, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NMI);
	assert_int_equal(vlapic_lvt_event(v, VLAPIC_LVT_IDX_THERMAL, &d), VMK_OK);
	assert_int_equal(d, VLAPIC_DELIVER_NONE);
	free(v);
}

/* Hostile guest: random accesses of every kind, in both modes; the model
 * must stay within its bounds (the test runs under ASan/UBSan) and keep its
 * invariants. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	return vmk_xorshift64(&rng_state);
}

static void hostile_step(struct vlapic *v, uint64_t now)
{
	static const uint32_t sizes[] = {1, 2, 4, 4, 4, 8};
	uint64_t r = rng(), val = rng();
	uint32_t off = (uint32_t)(r >> 8) & 0x3ff0, msr = 0x7f0 + (uint32_t)(r >> 24) % 0x120;
	struct vlapic_out o;
	uint32_t v32;
	uint64_t v64;

	if ((r & 7) == 0)
		off |= (uint32_t)(r >> 40) & 0xf;
	switch (r % 9) {
	case 0: vlapic_mmio_read(v, off, sizes[(r >> 32) % 6], now, &v32); break;
	case 1: case 2: vlapic_mmio_write(v, off, sizes[(r >> 32) % 6], (uint32_t)val, now, &o); break;
	case 3: vlapic_msr_read(v, msr, now, &v64); break;
	case 4: vlapic_msr_write(v, msr, (r & 0x100) ? val : (uint32_t)val, now, &o); break;
	case 5: vlapic_msr_write(v, (r & 0x200) ? VLAPIC_MSR_APIC_BASE : VLAPIC_MSR_TSC_DEADLINE,
				 (val & 0xd00) | 0xfee00000u, now, &o); break;
	case 6: vlapic_accept(v, (uint32_t)val & 0x1ff, val & 0x200); break;
	case 7: vlapic_ack(v); break;
	default: vlapic_timer_expire(v, now); break;
	}
}

static void test_hostile_sequences(void **st)
{
	(void)st;
	for (unsigned round = 0; round < 40; round++) {
		struct vlapic *v = new_vlapic(round % 4, round);
		uint64_t now = rng() >> (1 + round % 63);

		for (unsigned i = 0; i < 5000; i++) {
			int p;

			now += rng() % 5000;
			hostile_step(v, now);
			p = vlapic_pending(v);
			assert_true(p == VMK_ENOENT || (p >= 16 && p <= 255));
			/* After an expiry at now, the next deadline lies ahead. */
			assert_true(vlapic_timer_expire(v, now) >= 0);
			assert_true(vlapic_timer_next_deadline(v) > now);
			assert_true(vlapic_ack(v) <= 255);
		}
		free(v);
	}
}

int vlapic_regs_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_on_state),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_mmio_bad_access),
		cmocka_unit_test(test_mmio_reserved_offsets),
		cmocka_unit_test(test_mmio_readonly_writes),
		cmocka_unit_test(test_mmio_eoi_reads_zero),
		cmocka_unit_test(test_xapic_register_map),
		cmocka_unit_test(test_xapic_x2apic_same_registers),
		cmocka_unit_test(test_xapic_write_masks),
		cmocka_unit_test(test_svr_software_disable),
		cmocka_unit_test(test_esr_write_before_read),
		cmocka_unit_test(test_error_lvt_illegal_vector),
		cmocka_unit_test(test_accept_ack_eoi),
		cmocka_unit_test(test_eoi_nested),
		cmocka_unit_test(test_ppr_and_masking),
		cmocka_unit_test(test_apr),
		cmocka_unit_test(test_ack_spurious),
		cmocka_unit_test(test_x2apic_registers),
		cmocka_unit_test(test_x2apic_gp_cases),
		cmocka_unit_test(test_x2apic_self_ipi),
		cmocka_unit_test(test_apic_base_transitions),
		cmocka_unit_test(test_apic_base_reserved_bits),
		cmocka_unit_test(test_apic_base_state_effects),
		cmocka_unit_test(test_init_signal),
		cmocka_unit_test(test_lvt_events),
		cmocka_unit_test(test_hostile_sequences),
	};
	return cmocka_run_group_tests_name("vlapic_regs", tests, NULL, NULL);
}

int main(void)
{
	int failed = vlapic_regs_tests();

	failed += vlapic_timer_tests();
	failed += vlapic_ipi_tests();
	return failed ? 1 : 0;
}
