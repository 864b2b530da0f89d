/* The vLAPIC's state: reset, the APIC base MSR, interrupt acceptance,
 * priorities, EOI, errors and the LVT sources the VMM raises.  Register
 * decoding is in vlapic_regs.c, the timer in vlapic_timer.c, IPIs in
 * vlapic_ipi.c. */
#include "vlapic_int.h"

static bool config_ok(const struct vlapic_config *c)
{
	if (c->vcpu >= VLAPIC_MAX_VCPUS)
		return false;
	if (c->tsc_per_tick == 0 || c->tsc_per_tick > VLAPIC_MAX_TSC_PER_TICK)
		return false;
	if (c->maxphyaddr < 32 || c->maxphyaddr > 52)
		return false;
	/* 0xff (0xffffffff) is the broadcast address, never an ID. */
	return c->x2apic ? c->apic_id != 0xffffffffu : c->apic_id < 0xffu;
}

/* x2APIC logical ID: cluster (ID[19:4]) in 31:16, one bit of 16 in 15:0. */
static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 15));
}

/* Power-on values of everything but the APIC base and ID (SDM "Local APIC
 * State After Power-Up or Reset", "... After an INIT Reset"). */
static void regs_reset(struct vlapic *v)
{
	v->tpr = 0;
	v->ldr = vlapic_x2(v) ? x2apic_ldr(v->id) : 0;
	v->dfr = 0xffffffffu;
	v->svr = 0xff;
	v->esr = v->esr_new = 0;
	v->icr_lo = v->icr_hi = 0;
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		v->lvt[i] = VLAPIC_LVT_RESET;
	for (unsigned i = 0; i < 8; i++)
		v->irr[i] = v->isr[i] = v->tmr[i] = 0;
	vlapic_timer_reset(v);
}

int vlapic_init(struct vlapic *v, const struct vlapic_config *cfg)
{
	if (!v || !cfg || !config_ok(cfg))
		return VMK_EINVAL;
	v->cfg = *cfg;
	v->stats = (struct vlapic_stats){0};
	v->base = VLAPIC_BASE_ADDR_DEFAULT | VLAPIC_BASE_EN |
		  (cfg->bsp ? VLAPIC_BASE_BSP : 0);
	v->id = (cfg->apic_id & 0xff) << 24;
	regs_reset(v);
	return VMK_OK;
}

void vlapic_init_signal(struct vlapic *v)
{
	regs_reset(v);
}

enum vlapic_mode vlapic_mode(const struct vlapic *v)
{
	if (!vlapic_hw_enabled(v))
		return VLAPIC_MODE_DISABLED;
	return vlapic_x2(v) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

bool vlapic_enabled(const struct vlapic *v)
{
	return vlapic_sw_enabled(v);
}

uint64_t vlapic_base_address(const struct vlapic *v)
{
	return v->base & ~0xfffull;
}

/* SDM "x2APIC State Transitions": from disabled only to xAPIC, from x2APIC
 * only to disabled, never EN=0 with EXTD=1. */
static bool transition_ok(uint64_t from, uint64_t to)
{
	const uint64_t en = VLAPIC_BASE_EN, x2 = VLAPIC_BASE_EN | VLAPIC_BASE_EXTD;

	if (to == VLAPIC_BASE_EXTD)
		return false;
	if (from == x2 && to == en)
		return false;
	return !(from == 0 && to == x2);
}

int vlapic_base_write(struct vlapic *v, uint64_t val, struct vlapic_out *out)
{
	const uint64_t st = VLAPIC_BASE_EN | VLAPIC_BASE_EXTD;
	uint64_t rsvd = 0xffull | (1ull << 9) | (~0ull << v->cfg.maxphyaddr);
	uint64_t from = v->base & st, to = val & st;

	if (!v->cfg.x2apic)
		rsvd |= VLAPIC_BASE_EXTD;
	if ((val & rsvd) || !transition_ok(from, to))
		return VMK_EINVAL;
	/* BSP is the VMM's to say; the guest's value is ignored. */
	val = (val & ~VLAPIC_BASE_BSP) | (v->base & VLAPIC_BASE_BSP);
	if (val != v->base)
		out->events |= VLAPIC_EV_MODE;
	v->base = val;
	if (from != 0 && to == 0) {
		/* Disabling may lose all state (SDM "Enabling or Disabling the
		 * Local APIC"); re-enabling starts from the power-on values. */
		v->id = (v->cfg.apic_id & 0xff) << 24;
		regs_reset(v);
		out->events |= VLAPIC_EV_TIMER | VLAPIC_EV_IRQ;
	} else if (from == VLAPIC_BASE_EN && to == st) {
		/* xAPIC -> x2APIC: the ID becomes the x2APIC ID and LDR is
		 * derived from it; the other registers keep their values. */
		v->id = v->cfg.apic_id;
		v->ldr = x2apic_ldr(v->id);
	}
	return VMK_OK;
}

int vlapic_highest(const uint32_t *vec)
{
	for (int i = 7; i >= 0; i--)
		if (vec[i])
			return i * 32 + 31 - __builtin_clz(vec[i]);
	return -1;
}

static void vec_set(uint32_t *vec, uint32_t n)
{
	vec[(n >> 5) & 7] |= 1u << (n & 31);
}

static void vec_clear(uint32_t *vec, uint32_t n)
{
	vec[(n >> 5) & 7] &= ~(1u << (n & 31));
}

uint32_t vlapic_ppr(const struct vlapic *v)
{
	int isrv = vlapic_highest(v->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (v->tpr & 0xf0) >= isr_class ? v->tpr & 0xff : isr_class;
}

/* SDM "Arbitration Priority Register": TPR if it is at least IRRV's class
 * and above ISRV's, else the highest of the three classes. */
uint32_t vlapic_apr(const struct vlapic *v)
{
	int irrv = vlapic_highest(v->irr), isrv = vlapic_highest(v->isr);
	uint32_t tpr = v->tpr & 0xf0;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	uint32_t max = tpr;

	if (tpr >= irr_class && tpr > isr_class)
		return v->tpr & 0xff;
	if (irr_class > max)
		max = irr_class;
	return isr_class > max ? isr_class : max;
}

uint32_t vlapic_cr8_read(const struct vlapic *v)
{
	return (v->tpr >> 4) & 15;
}

int vlapic_cr8_write(struct vlapic *v, uint64_t cr8)
{
	if (!v || cr8 > 15)
		return VMK_EINVAL;
	v->tpr = (uint32_t)cr8 << 4;
	return VMK_OK;
}

static void irr_set(struct vlapic *v, uint32_t vec, bool level)
{
	vec_set(v->irr, vec);
	if (level)
		vec_set(v->tmr, vec);
	else
		vec_clear(v->tmr, vec);
}

/* An error: latched for the next ESR write, and the error LVT fires.  An
 * illegal error vector only adds "receive illegal vector": no recursion. */
void vlapic_raise_error(struct vlapic *v, uint32_t esr_bits)
{
	uint32_t lvt = v->lvt[VLAPIC_LVT_IDX_ERROR];

	v->esr_new |= esr_bits;
	if (lvt & VLAPIC_LVT_MASKED)
		return;
	if ((lvt & 0xff) < 16)
		v->esr_new |= VLAPIC_ESR_RECV_ILLEGAL;
	else
		irr_set(v, lvt & 0xff, false);
}

int vlapic_accept(struct vlapic *v, uint32_t vector, bool level)
{
	if (!v)
		return VMK_EINVAL;
	if (vector > 255)
		return VMK_ERANGE;
	if (!vlapic_sw_enabled(v)) {
		v->stats.refused++;
		return VMK_EPERM;
	}
	if (vector < 16) {
		vlapic_raise_error(v, VLAPIC_ESR_RECV_ILLEGAL);
		return VMK_EINVAL;
	}
	irr_set(v, vector, level);
	return VMK_OK;
}

int vlapic_pending(const struct vlapic *v)
{
	int irrv;

	if (!v || !vlapic_hw_enabled(v))
		return VMK_ENOENT;
	irrv = vlapic_highest(v->irr);
	if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (vlapic_ppr(v) & 0xf0))
		return VMK_ENOENT;
	return irrv;
}

int vlapic_ack(struct vlapic *v)
{
	int vec;

	if (!v || !vlapic_hw_enabled(v))
		return VMK_ENOENT;
	vec = vlapic_pending(v);
	if (vec < 0)
		return (int)(v->svr & 0xff);
	vec_clear(v->irr, (uint32_t)vec);
	vec_set(v->isr, (uint32_t)vec);
	return vec;
}

/* EOI: the highest vector in service is done.  A level-triggered one (TMR)
 * is reported for the I/O APIC and ends a LINT pin's remote IRR. */
void vlapic_eoi(struct vlapic *v, struct vlapic_out *out)
{
	int vec = vlapic_highest(v->isr);

	if (vec < 0) {
		v->stats.eoi_empty++;
		return;
	}
	vec_clear(v->isr, (uint32_t)vec);
	out->events |= VLAPIC_EV_IRQ;
	if (!vlapic_vec_test(v->tmr, (uint32_t)vec))
		return;
	out->events |= VLAPIC_EV_EOI_LEVEL;
	out->eoi_vector = (uint8_t)vec;
	for (unsigned i = VLAPIC_LVT_IDX_LINT0; i <= VLAPIC_LVT_IDX_LINT1; i++)
		if ((v->lvt[i] & 0xff) == (uint32_t)vec)
			v->lvt[i] &= ~VLAPIC_LVT_REMOTE_IRR;
}

/* A fixed-mode LVT source.  A level-triggered LINT pin is accepted once,
 * then held off by remote IRR until the EOI of its vector. */
static enum vlapic_delivery lvt_fixed(struct vlapic *v, enum vlapic_lvt lvt)
{
	uint32_t e = v->lvt[lvt];
	bool lint = vlapic_lvt_is_lint(lvt);
	bool level = lint && (e & VLAPIC_LVT_LEVEL);

	if (level && (e & VLAPIC_LVT_REMOTE_IRR))
		return VLAPIC_DELIVER_NONE;
	if (vlapic_accept(v, e & 0xff, level) != VMK_OK)
		return VLAPIC_DELIVER_NONE;
	if (level)
		v->lvt[lvt] |= VLAPIC_LVT_REMOTE_IRR;
	return VLAPIC_DELIVER_IRR;
}

static enum vlapic_delivery lvt_deliver(struct vlapic *v, enum vlapic_lvt lvt)
{
	uint32_t e = v->lvt[lvt];
	bool lint = vlapic_lvt_is_lint(lvt);

	if (e & VLAPIC_LVT_MASKED)
		return VLAPIC_DELIVER_NONE;
	switch ((e >> 8) & 7) {
	case VLAPIC_DM_FIXED:
		return lvt_fixed(v, lvt);
	case VLAPIC_DM_SMI:
		return VLAPIC_DELIVER_SMI;
	case VLAPIC_DM_NMI:
		return VLAPIC_DELIVER_NMI;
	case VLAPIC_DM_INIT:      /* INIT and ExtINT: LINT pins only */
		return lint ? VLAPIC_DELIVER_INIT : VLAPIC_DELIVER_NONE;
	case VLAPIC_DM_EXTINT:
		return lint ? VLAPIC_DELIVER_EXTINT : VLAPIC_DELIVER_NONE;
	default:
		return VLAPIC_DELIVER_NONE;
	}
}

int vlapic_lvt_event(struct vlapic *v, enum vlapic_lvt lvt, enum vlapic_delivery *what)
{
	if (!v || !what)
		return VMK_EINVAL;
	if (lvt != VLAPIC_LVT_IDX_THERMAL && lvt != VLAPIC_LVT_IDX_PERF &&
	    lvt != VLAPIC_LVT_IDX_LINT0 && lvt != VLAPIC_LVT_IDX_LINT1)
		return VMK_EINVAL;
	if (!vlapic_hw_enabled(v)) {
		/* Without the APIC, LINT0 is the INTR pin and LINT1 the NMI pin. */
		*what = lvt == VLAPIC_LVT_IDX_LINT0 ? VLAPIC_DELIVER_EXTINT :
			lvt == VLAPIC_LVT_IDX_LINT1 ? VLAPIC_DELIVER_NMI :
			VLAPIC_DELIVER_NONE;
		return VMK_OK;
	}
	*what = lvt_deliver(v, lvt);
	return VMK_OK;
}
