/* ICR decoding and destination matching (SDM "Determining IPI Destination",
 * "x2APIC Logical Destination Mode"; APM vol. 2 "Interprocessor
 * Interrupts"). */
#include "vlapic_test.h"

#define NV 4

struct vm {
	struct vlapic *v[VLAPIC_MAX_VCPUS];
	uint32_t n;
};

/* n vCPUs, vCPU i with APIC ID ids[i] (or i), software-enabled. */
static struct vm *new_vm(uint32_t n, const uint32_t *ids, bool x2)
{
	struct vm *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->n = n;
	for (uint32_t i = 0; i < n; i++) {
		m->v[i] = new_vlapic(i, ids ? ids[i] : i);
		if (x2)
			to_x2apic(m->v[i]);
	}
	return m;
}

static void free_vm(struct vm *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m);
}

static uint64_t targets(struct vm *m, const struct vlapic_ipi *r)
{
	uint64_t mask = 0xdead;

	assert_int_equal(vlapic_ipi_targets((const struct vlapic *const *)m->v, m->n, r,
					    &mask), VMK_OK);
	return mask;
}

/* xAPIC send: ICR high first, then the low half sends. */
static struct vlapic_out send(struct vlapic *v, uint32_t dest, uint32_t lo)
{
	wr(v, VLAPIC_ICR_HI, dest << 24);
	return wr(v, VLAPIC_ICR_LO, lo);
}

static void assert_ipi(const struct vlapic_ipi *got, const struct vlapic_ipi *want)
{
	assert_int_equal(got->vector, want->vector);
	assert_int_equal(got->mode, want->mode);
	assert_int_equal(got->shorthand, want->shorthand);
	assert_int_equal(got->logical, want->logical);
	assert_int_equal(got->x2apic, want->x2apic);
	assert_int_equal(got->dest, want->dest);
	assert_int_equal(got->src, want->src);
}

static void test_icr_decode_xapic(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(2, 9);
	static const struct { uint32_t dest, lo; struct vlapic_ipi ipi; } t[] = {
		{3, 0x000040f3, {0xf3, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, false, false, 3, 2}},
		{0x0c, 0x00004831, {0x31, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, true, false, 0x0c, 2}},
		{5, 0x00004141, {0x41, VLAPIC_DM_LOWEST, VLAPIC_SH_NONE, false, false, 5, 2}},
		{1, 0x00004400, {0x00, VLAPIC_DM_NMI, VLAPIC_SH_NONE, false, false, 1, 2}},
		{1, 0x00004500, {0x00, VLAPIC_DM_INIT, VLAPIC_SH_NONE, false, false, 1, 2}},
		{1, 0x0000c500, {0x00, VLAPIC_DM_INIT, VLAPIC_SH_NONE, false, false, 1, 2}},
		{1, 0x00004608, {0x08, VLAPIC_DM_SIPI, VLAPIC_SH_NONE, false, false, 1, 2}},
		{1, 0x00004200, {0x00, VLAPIC_DM_SMI, VLAPIC_SH_NONE, false, false, 1, 2}},
		{0, 0x00044050, {0x50, VLAPIC_DM_FIXED, VLAPIC_SH_SELF, false, false, 0, 2}},
		{0, 0x00084050, {0x50, VLAPIC_DM_FIXED, VLAPIC_SH_ALL, false, false, 0, 2}},
		{0, 0x000c4600, {0x00, VLAPIC_DM_SIPI, VLAPIC_SH_OTHERS, false, false, 0, 2}},
		{0, 0x000c0500, {0x00, VLAPIC_DM_INIT, VLAPIC_SH_OTHERS, false, false, 0, 2}},
		/* Level trigger on a fixed IPI is issued as edge. */
		{7, 0x0000c077, {0x77, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, false, false, 7, 2}},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vlapic_out o = send(v, t[i].dest, t[i].lo);

		assert_int_equal(o.events, VLAPIC_EV_IPI);
		assert_ipi(&o.ipi, &t[i].ipi);
	}
	/* Reads back without delivery status (always idle) or reserved bits. */
	wr(v, VLAPIC_ICR_HI, 0x03000000);
	wr(v, VLAPIC_ICR_LO, 0xfff3f0f3);
	assert_int_equal(rd(v, VLAPIC_ICR_LO), 0x0000c0f3);
	assert_int_equal(rd(v, VLAPIC_ICR_HI), 0x03000000);
	assert_int_equal(v->stats.ipi_dropped, 0);
	free(v);
}

/* Combinations the xAPIC does not send, INIT de-assert and illegal vectors:
 * no request.  Illegal vectors log "send illegal vector". */
static void test_icr_dropped(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(0, 0);
	static const uint32_t drop[] = {
		0x00044400, 0x00044500, 0x00044600, 0x00044141, 0x00044200, /* self + non-fixed */
		0x00084400, 0x00084500, 0x00084608, 0x00084141,             /* all + non-fixed */
		0x00004300, 0x00004700, 0x000c4750,                         /* modes 3, 7 */
		0x00008500, 0x000c8500,                                     /* INIT de-assert */
	};
	const unsigned n = sizeof(drop) / sizeof(drop[0]);

	for (unsigned i = 0; i < n; i++) {
		struct vlapic_out o = send(v, 1, drop[i]);

		assert_int_equal(o.events, 0);
	}
	assert_int_equal(v->stats.ipi_dropped, n);
	assert_int_equal(esr_latch(v), 0);

	static const uint32_t illegal[] = {0x0000400f, 0x00004100, 0x00044005, 0x000c4101};
	for (unsigned i = 0; i < 4; i++) {
		struct vlapic_out o = send(v, 1, illegal[i]);

		assert_int_equal(o.events, VLAPIC_EV_IRQ);
		assert_int_equal(esr_latch(v), VLAPIC_ESR_SEND_ILLEGAL);
	}
	/* NMI, INIT and SIPI carry no interrupt vector: any value is fine. */
	assert_int_equal(send(v, 1, 0x00004403).events, VLAPIC_EV_IPI);
	assert_int_equal(send(v, 1, 0x00004600).events, VLAPIC_EV_IPI);
	assert_int_equal(esr_latch(v), 0);
	free(v);
}

static void test_icr_x2apic(void **st)
{
	(void)st;
	struct vlapic *v = new_vlapic(1, 0x123);
	struct vlapic_out o;

	to_x2apic(v);
	o = mwr(v, 0x830, 0x0001000400004831ull);
	assert_int_equal(o.events, VLAPIC_EV_IPI);
	struct vlapic_ipi want = {0x31, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, true, true,
				  0x00010004, 1};
	assert_ipi(&o.ipi, &want);
	assert_int_equal(mrd(v, 0x830), 0x0001000400004831ull);
	o = mwr(v, 0x830, 0xffffffff000c4400ull);
	assert_int_equal(o.ipi.mode, VLAPIC_DM_NMI);
	assert_int_equal(o.ipi.shorthand, VLAPIC_SH_OTHERS);
	assert_int_equal(o.ipi.dest, 0xffffffffu);
	free(v);
}

static void test_dest_physical_xapic(void **st)
{
	(void)st;
	static const uint32_t ids[NV] = {0, 1, 2, 7};
	struct vm *m = new_vm(NV, ids, false);
	struct vlapic_ipi r = {.vector = 0x40, .mode = VLAPIC_DM_FIXED, .src = 0};
	static const struct { uint32_t dest; uint64_t mask; } t[] = {
		{0, 0x1}, {1, 0x2}, {2, 0x4}, {7, 0x8}, {3, 0}, {0xfe, 0}, {0xff, 0xf},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.dest = t[i].dest;
		assert_int_equal(targets(m, &r), t[i].mask);
	}
	/* A guest may rewrite its xAPIC ID; matching follows the register. */
	wr(m->v[3], VLAPIC_ID, 0x05000000);
	r.dest = 5;
	assert_int_equal(targets(m, &r), 0x8);
	/* A globally disabled APIC matches nothing, not even a broadcast. */
	mwr(m->v[1], VLAPIC_MSR_APIC_BASE, 0xfee00000u);
	r.dest = 0xff;
	assert_int_equal(targets(m, &r), 0xd);
	free_vm(m);
}

/* No one has the ID: an empty set, and the sender logs a send accept
 * error; shorthands never do. */
static void test_send_accept_error(void **st)
{
	(void)st;
	struct vm *m = new_vm(2, NULL, false);
	struct vlapic_out o = send(m->v[0], 0x33, 0x00004050);
	uint64_t mask = targets(m, &o.ipi);

	assert_int_equal(mask, 0);
	vlapic_ipi_sent(m->v[0], &o.ipi, mask);
	assert_int_equal(esr_latch(m->v[0]), VLAPIC_ESR_SEND_ACCEPT);
	wr(m->v[0], VLAPIC_LVT_ERROR, 0xee);
	vlapic_ipi_sent(m->v[0], &o.ipi, mask);
	assert_int_equal(vlapic_pending(m->v[0]), 0xee);

	o = send(m->v[0], 1, 0x00004050);
	mask = targets(m, &o.ipi);
	vlapic_ipi_sent(m->v[0], &o.ipi, mask);
	assert_int_equal(esr_latch(m->v[0]), VLAPIC_ESR_SEND_ACCEPT);  /* the earlier one */
	assert_int_equal(esr_latch(m->v[0]), 0);

	/* All-but-self on a 1-vCPU VM reaches nobody, without an error. */
	m->n = 1;
	o = send(m->v[0], 0, 0x000c4050);
	mask = targets(m, &o.ipi);
	assert_int_equal(mask, 0);
	vlapic_ipi_sent(m->v[0], &o.ipi, mask);
	assert_int_equal(esr_latch(m->v[0]), 0);
	m->n = 2;
	free_vm(m);
}

/* Flat model: any common bit of the 8-bit MDA and LDR[31:24]. */
static void test_dest_logical_flat(void **st)
{
	(void)st;
	struct vm *m = new_vm(NV, NULL, false);
	struct vlapic_ipi r = {.vector = 0x40, .logical = true, .src = 0};
	static const struct { uint32_t dest; uint64_t mask; } t[] = {
		{0x01, 0x1}, {0x05, 0x5}, {0x0f, 0xf}, {0x00, 0}, {0x10, 0},
		{0x18, 0x8}, {0xff, 0xf},
	};

	for (uint32_t i = 0; i < NV; i++)
		wr(m->v[i], VLAPIC_LDR, (1u << i) << 24);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.dest = t[i].dest;
		assert_int_equal(targets(m, &r), t[i].mask);
	}
	free_vm(m);
}

/* Cluster model: MDA[7:4] equals LDR[31:28], then any common bit of 3:0. */
static void test_dest_logical_cluster(void **st)
{
	(void)st;
	struct vm *m = new_vm(NV, NULL, false);
	static const uint32_t ldr[NV] = {0x11, 0x12, 0x21, 0x24};
	struct vlapic_ipi r = {.vector = 0x40, .logical = true, .src = 0};
	static const struct { uint32_t dest; uint64_t mask; } t[] = {
		{0x11, 0x1}, {0x13, 0x3}, {0x1f, 0x3}, {0x25, 0xc}, {0x22, 0},
		{0x31, 0}, {0x01, 0}, {0xf1, 0}, {0xff, 0xf},
	};

	for (uint32_t i = 0; i < NV; i++) {
		wr(m->v[i], VLAPIC_DFR, 0x0fffffffu);
		wr(m->v[i], VLAPIC_LDR, ldr[i] << 24);
	}
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.dest = t[i].dest;
		assert_int_equal(targets(m, &r), t[i].mask);
	}
	/* A DFR model that is neither flat nor cluster addresses nobody. */
	wr(m->v[0], VLAPIC_DFR, 0x5fffffffu);
	r.dest = 0x11;
	assert_int_equal(targets(m, &r), 0);
	r.dest = 0xff;                                  /* but broadcast is broadcast */
	assert_int_equal(targets(m, &r), 0xf);
	free_vm(m);
}

/* x2APIC: physical by 32-bit ID; logical by cluster ID[19:4] in 31:16 and
 * one bit per ID[3:0]; broadcast 0xffffffff (0xff is an ordinary ID). */
static void test_dest_x2apic(void **st)
{
	(void)st;
	uint32_t ids[20];
	struct vlapic_ipi r = {.vector = 0x40, .x2apic = true, .src = 0};

	for (uint32_t i = 0; i < 20; i++)
		ids[i] = i;
	ids[19] = 0xff;
	struct vm *m = new_vm(20, ids, true);
	static const struct { bool logical; uint32_t dest; uint64_t mask; } t[] = {
		{false, 17, 1u << 17}, {false, 0xff, 1u << 19}, {false, 0x10000, 0},
		{false, 0xffffffffu, 0xfffff},
		{true, 0x00010003u, 3u << 16}, {true, 0x0000ffffu, 0xffff},
		{true, 0x00000005u, 0x5}, {true, 0x00020001u, 0}, {true, 0x000f8000u, 1u << 19}, {true, 0x000f0001u, 0},
		{true, 0x00010000u, 0}, {true, 0xffffffffu, 0xfffff},
	};

	assert_int_equal(mrd(m->v[17], 0x80d), 0x00010002u);
	assert_int_equal(mrd(m->v[19], 0x80d), 0x000f8000u);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.logical = t[i].logical;
		r.dest = t[i].dest;
		if (targets(m, &r) != t[i].mask)
			fail_msg("row %u: %#llx", i, (unsigned long long)targets(m, &r));
	}
	free_vm(m);
}

static void test_shorthands(void **st)
{
	(void)st;
	struct vm *m = new_vm(NV, NULL, false);
	struct vlapic_out o;

	o = send(m->v[2], 0x00, 0x00044050);             /* self */
	assert_int_equal(targets(m, &o.ipi), 0x4);
	o = send(m->v[2], 0x00, 0x00084050);             /* all including self */
	assert_int_equal(targets(m, &o.ipi), 0xf);
	o = send(m->v[2], 0x00, 0x000c4050);             /* all excluding self */
	assert_int_equal(targets(m, &o.ipi), 0xb);
	/* The destination field is ignored with a shorthand. */
	o = send(m->v[2], 0x01, 0x000c4050);
	assert_int_equal(targets(m, &o.ipi), 0xb);
	/* Self follows the vCPU, not a (possibly duplicated) APIC ID. */
	wr(m->v[0], VLAPIC_ID, 0x02000000);
	o = send(m->v[2], 0x00, 0x00044050);
	assert_int_equal(targets(m, &o.ipi), 0x4);
	mwr(m->v[3], VLAPIC_MSR_APIC_BASE, 0xfee00000u);
	o = send(m->v[2], 0x00, 0x00084050);
	assert_int_equal(targets(m, &o.ipi), 0x7);
	free_vm(m);
}

/* Lowest priority: one target, the lowest TPR class among those that would
 * accept; ties to the lowest index. */
static void test_lowest_priority(void **st)
{
	(void)st;
	struct vm *m = new_vm(NV, NULL, false);
	static const uint32_t tpr[NV] = {0x30, 0x1f, 0x10, 0x20};
	struct vlapic_out o;

	for (uint32_t i = 0; i < NV; i++) {
		wr(m->v[i], VLAPIC_LDR, (1u << i) << 24);
		wr(m->v[i], VLAPIC_TPR, tpr[i]);
	}
	o = send(m->v[0], 0x0f, 0x00004951);              /* logical 0x0f, lowest */
	assert_int_equal(targets(m, &o.ipi), 0x2);
	o = send(m->v[0], 0x0d, 0x00004951);
	assert_int_equal(targets(m, &o.ipi), 0x4);
	wr(m->v[1], VLAPIC_SVR, 0xff);                     /* software-disabled */
	o = send(m->v[0], 0x0f, 0x00004951);
	assert_int_equal(targets(m, &o.ipi), 0x4);
	o = send(m->v[0], 0x02, 0x00004951);               /* only a disabled one */
	assert_int_equal(targets(m, &o.ipi), 0);
	o = send(m->v[2], 0x00, 0x000c4151);               /* all but self */
	assert_int_equal(targets(m, &o.ipi), 0x8);
	free_vm(m);
}

/* Bounds: absent vCPUs, too many vCPUs, NULLs. */
static void test_targets_bounds(void **st)
{
	(void)st;
	struct vm *m = new_vm(VLAPIC_MAX_VCPUS, NULL, true);
	struct vlapic_ipi r = {.vector = 0x40, .x2apic = true, .dest = 0xffffffffu};
	const struct vlapic *const *vs = (const struct vlapic *const *)m->v;
	uint64_t mask;

	assert_int_equal(targets(m, &r), ~0ull);
	r.dest = 63;
	assert_int_equal(targets(m, &r), 1ull << 63);
	r.dest = 64;
	assert_int_equal(targets(m, &r), 0);
	r.dest = 0xfffffffeu;
	assert_int_equal(targets(m, &r), 0);
	free(m->v[5]);
	m->v[5] = NULL;                                     /* absent vCPU */
	r.dest = 0xffffffffu;
	assert_int_equal(targets(m, &r), ~0ull & ~(1ull << 5));
	r.dest = 5;
	assert_int_equal(targets(m, &r), 0);
	assert_int_equal(vlapic_ipi_targets(vs, VLAPIC_MAX_VCPUS + 1, &r, &mask), VMK_ERANGE);
	assert_int_equal(mask, 0);
	assert_int_equal(vlapic_ipi_targets(NULL, 1, &r, &mask), VMK_EINVAL);
	assert_int_equal(vlapic_ipi_targets(vs, 1, NULL, &mask), VMK_EINVAL);
	assert_int_equal(vlapic_ipi_targets(vs, 1, &r, NULL), VMK_EINVAL);
	assert_int_equal(vlapic_ipi_targets(vs, 0, &r, &mask), VMK_OK);
	assert_int_equal(mask, 0);
	assert_false(vlapic_dest_match(NULL, &r));
	assert_false(vlapic_dest_match(m->v[0], NULL));
	free_vm(m);
}

/* Mixed modes: physical compares the target's own ID, broadcast is the
 * sender's. */
static void test_dest_mixed_modes(void **st)
{
	(void)st;
	struct vm *m = new_vm(2, NULL, false);
	struct vlapic_ipi r = {.vector = 0x40, .src = 0};

	to_x2apic(m->v[1]);
	r.dest = 1;
	assert_int_equal(targets(m, &r), 0x2);
	r.dest = 0xff;                                      /* xAPIC broadcast */
	assert_int_equal(targets(m, &r), 0x3);
	r.x2apic = true;
	assert_int_equal(targets(m, &r), 0);                /* 0xff: an x2APIC ID */
	r.dest = 0xffffffffu;
	assert_int_equal(targets(m, &r), 0x3);
	free_vm(m);
}

/* End to end: vCPU 0 sends, the VMM routes and delivers, vCPU 1 takes it. */
static void test_ipi_round_trip(void **st)
{
	(void)st;
	struct vm *m = new_vm(2, NULL, false);
	struct vlapic_out o = send(m->v[0], 1, 0x000040a1);
	uint64_t mask = targets(m, &o.ipi);

	assert_int_equal(mask, 0x2);
	for (uint32_t i = 0; i < m->n; i++)
		if (mask >> i & 1)
			assert_int_equal(vlapic_accept(m->v[i], o.ipi.vector, false), VMK_OK);
	vlapic_ipi_sent(m->v[0], &o.ipi, mask);
	assert_int_equal(esr_latch(m->v[0]), 0);
	assert_int_equal(vlapic_pending(m->v[1]), 0xa1);
	assert_int_equal(vlapic_pending(m->v[0]), VMK_ENOENT);
	free_vm(m);
}

int vlapic_ipi_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icr_decode_xapic),
		cmocka_unit_test(test_icr_dropped),
		cmocka_unit_test(test_icr_x2apic),
		cmocka_unit_test(test_dest_physical_xapic),
		cmocka_unit_test(test_send_accept_error),
		cmocka_unit_test(test_dest_logical_flat),
		cmocka_unit_test(test_dest_logical_cluster),
		cmocka_unit_test(test_dest_x2apic),
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_lowest_priority),
		cmocka_unit_test(test_targets_bounds),
		cmocka_unit_test(test_dest_mixed_modes),
		cmocka_unit_test(test_ipi_round_trip),
	};
	return cmocka_run_group_tests_name("vlapic_ipi", tests, NULL, NULL);
}
