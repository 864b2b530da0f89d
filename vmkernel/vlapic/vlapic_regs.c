/* Register decoding: the xAPIC page by offset, the x2APIC by MSR, and
 * IA32_APIC_BASE / IA32_TSC_DEADLINE.  One table says which registers exist
 * and who may read or write them in each mode; x2APIC MSR 0x800 + n is
 * xAPIC offset n << 4, so the same index serves both. */
#include "vlapic_int.h"

#define R(off) ((off) >> 4)
#define ICR_WMASK 0x000ccfffu    /* vector, mode, dest mode, level, trigger, shorthand */
#define SVR_WMASK 0x3ffu         /* vector, enable, focus checking; no EOI suppression */
#define TDCR_WMASK 0xbu
#define LVT_STATUS (1u << 12)    /* delivery status: read-only, always idle here */

enum { XR = 1, XW = 2, YR = 4, YW = 8, ALL = XR | XW | YR | YW };

static const uint8_t reg_access[64] = {
	[R(VLAPIC_ID)] = XR | XW | YR,
	[R(VLAPIC_VER)] = XR | YR,
	[R(VLAPIC_TPR)] = ALL,
	[R(VLAPIC_APR)] = XR,
	[R(VLAPIC_PPR)] = XR | YR,
	[R(VLAPIC_EOI)] = XW | YW,
	[R(VLAPIC_RRD)] = XR,
	[R(VLAPIC_LDR)] = XR | XW | YR,
	[R(VLAPIC_DFR)] = XR | XW,
	[R(VLAPIC_SVR)] = ALL,
	[R(VLAPIC_ISR0) ... R(VLAPIC_IRR0) + 7] = XR | YR,
	[R(VLAPIC_ESR)] = ALL,
	[R(VLAPIC_ICR_LO)] = ALL,
	[R(VLAPIC_ICR_HI)] = XR | XW,
	[R(VLAPIC_LVT_TIMER) ... R(VLAPIC_TICR)] = ALL,
	[R(VLAPIC_TCCR)] = XR | YR,
	[R(VLAPIC_TDCR)] = ALL,
	[R(VLAPIC_SELF_IPI)] = YW,
};

static uint8_t access_of(uint32_t idx)
{
	return idx < sizeof(reg_access) ? reg_access[idx] : 0;
}

static uint64_t reg_read(struct vlapic *v, uint32_t idx, uint64_t now)
{
	switch (idx) {
	case R(VLAPIC_ID): return v->id;
	case R(VLAPIC_VER): return VLAPIC_VERSION | VLAPIC_MAX_LVT << 16;
	case R(VLAPIC_TPR): return v->tpr;
	case R(VLAPIC_APR): return vlapic_apr(v);
	case R(VLAPIC_PPR): return vlapic_ppr(v);
	case R(VLAPIC_LDR): return v->ldr;
	case R(VLAPIC_DFR): return v->dfr;
	case R(VLAPIC_SVR): return v->svr;
	case R(VLAPIC_ESR): return v->esr;
	case R(VLAPIC_ICR_LO):
		return vlapic_x2(v) ? (uint64_t)v->icr_hi << 32 | v->icr_lo : v->icr_lo;
	case R(VLAPIC_ICR_HI): return v->icr_hi;
	case R(VLAPIC_TICR): return v->ticr;
	case R(VLAPIC_TCCR): return vlapic_timer_current(v, now);
	case R(VLAPIC_TDCR): return v->tdcr;
	}
	if (idx >= R(VLAPIC_ISR0) && idx < R(VLAPIC_ISR0) + 8)
		return v->isr[idx & 7];
	if (idx >= R(VLAPIC_TMR0) && idx < R(VLAPIC_TMR0) + 8)
		return v->tmr[idx & 7];
	if (idx >= R(VLAPIC_IRR0) && idx < R(VLAPIC_IRR0) + 8)
		return v->irr[idx & 7];
	if (idx >= R(VLAPIC_LVT_TIMER) && idx <= R(VLAPIC_LVT_ERROR))
		return v->lvt[idx - R(VLAPIC_LVT_TIMER)];
	return 0;   /* RRD: no remote read in progress */
}

/* Writable bits of each LVT entry (SDM "Local Vector Table"). */
static uint32_t lvt_wmask(const struct vlapic *v, unsigned i)
{
	switch (i) {
	case VLAPIC_LVT_IDX_TIMER:
		return 0xff | VLAPIC_LVT_MASKED |
		       (v->cfg.tsc_deadline ? 3u : 1u) << VLAPIC_LVT_TIMER_SHIFT;
	case VLAPIC_LVT_IDX_THERMAL:
	case VLAPIC_LVT_IDX_PERF:
		return 0x7ff | VLAPIC_LVT_MASKED;
	case VLAPIC_LVT_IDX_LINT0:
	case VLAPIC_LVT_IDX_LINT1:
		return 0x7ff | (1u << 13) | VLAPIC_LVT_LEVEL | VLAPIC_LVT_MASKED;
	default:
		return 0xff | VLAPIC_LVT_MASKED;
	}
}

/* xAPIC drops reserved bits; x2APIC refuses them (#GP).  Read-only status
 * bits may be written back as read (a read-modify-write must not #GP).
 * While the APIC is software-disabled the mask bit stays set. */
static int lvt_write(struct vlapic *v, unsigned i, uint32_t val, uint64_t now,
		     bool x2, struct vlapic_out *out)
{
	const uint32_t tmode = 3u << VLAPIC_LVT_TIMER_SHIFT;
	uint32_t wm = lvt_wmask(v, i);
	uint32_t ro = LVT_STATUS | (vlapic_lvt_is_lint(i) ? VLAPIC_LVT_REMOTE_IRR : 0);
	uint32_t e;

	if (i >= VLAPIC_LVT_COUNT)
		return VMK_ENOENT;    /* only if the access table and this disagree */
	if (x2 && (val & ~(wm | ro)))
		return VMK_EINVAL;
	if (i == VLAPIC_LVT_IDX_TIMER && (val & tmode) == tmode) {
		if (x2)
			return VMK_EINVAL;    /* mode 3 is reserved */
		val = (val & ~tmode) | (v->lvt[i] & tmode);
	}
	e = (v->lvt[i] & VLAPIC_LVT_REMOTE_IRR) | (val & wm);
	if (!(v->svr & VLAPIC_SVR_ENABLE))
		e |= VLAPIC_LVT_MASKED;
	if (i == VLAPIC_LVT_IDX_TIMER)
		vlapic_timer_write_lvt(v, e, now, out);
	else
		v->lvt[i] = e;
	return VMK_OK;
}

static void svr_write(struct vlapic *v, uint32_t val)
{
	v->svr = val & SVR_WMASK;
	if (!(v->svr & VLAPIC_SVR_ENABLE))
		for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
			v->lvt[i] |= VLAPIC_LVT_MASKED;
}

/* x2APIC refuses reserved bits that the xAPIC ignores. */
static int masked(bool x2, uint64_t val, uint32_t wmask, uint32_t *out)
{
	if (x2 && (val & ~(uint64_t)wmask))
		return VMK_EINVAL;
	*out = (uint32_t)val & wmask;
	return VMK_OK;
}

/* The low half is checked like any register; in x2APIC mode the high half
 * is the destination. */
static int icr_write(struct vlapic *v, uint64_t val, bool x2, struct vlapic_out *out)
{
	int rc = masked(x2, (uint32_t)val, ICR_WMASK, &v->icr_lo);

	if (rc)
		return rc;
	if (x2)
		v->icr_hi = (uint32_t)(val >> 32);
	vlapic_icr_send(v, out);
	return VMK_OK;
}

/* A write the table allows in this mode; validates before it changes
 * anything.  The 64-bit value is only wider than 32 bits for the ICR. */
static int reg_write(struct vlapic *v, uint32_t idx, uint64_t val, uint64_t now,
		     bool x2, struct vlapic_out *out)
{
	uint32_t w;
	int rc = VMK_OK;

	switch (idx) {
	case R(VLAPIC_ID): v->id = (uint32_t)val & 0xff000000u; break;
	case R(VLAPIC_LDR): v->ldr = (uint32_t)val & 0xff000000u; break;
	case R(VLAPIC_DFR): v->dfr = (uint32_t)val | 0x0fffffffu; break;
	case R(VLAPIC_ICR_HI): v->icr_hi = (uint32_t)val & 0xff000000u; break;
	case R(VLAPIC_TICR): vlapic_timer_write_initial(v, (uint32_t)val, now, out); break;
	case R(VLAPIC_ICR_LO): return icr_write(v, val, x2, out);
	case R(VLAPIC_TPR):
		if ((rc = masked(x2, val, 0xff, &w)) == VMK_OK) {
			v->tpr = w;
			out->events |= VLAPIC_EV_IRQ;
		}
		break;
	case R(VLAPIC_SVR):
		if ((rc = masked(x2, val, SVR_WMASK, &w)) == VMK_OK)
			svr_write(v, w);
		break;
	case R(VLAPIC_TDCR):
		if ((rc = masked(x2, val, TDCR_WMASK, &w)) == VMK_OK)
			vlapic_timer_write_divide(v, w, now, out);
		break;
	case R(VLAPIC_EOI):
		if ((rc = masked(x2, val, 0, &w)) == VMK_OK)
			vlapic_eoi(v, out);
		break;
	case R(VLAPIC_ESR):
		/* Write-then-read: the write latches what was logged since. */
		if ((rc = masked(x2, val, 0, &w)) == VMK_OK) {
			v->esr = v->esr_new;
			v->esr_new = 0;
		}
		break;
	case R(VLAPIC_SELF_IPI):
		if ((rc = masked(x2, val, 0xff, &w)) == VMK_OK) {
			vlapic_accept(v, w, false);
			out->events |= VLAPIC_EV_IRQ;
		}
		break;
	default:   /* the LVT entries: the table allows nothing else */
		return lvt_write(v, idx - R(VLAPIC_LVT_TIMER), (uint32_t)val, now, x2, out);
	}
	return rc;
}

static int mmio_check(struct vlapic *v, uint32_t offset, uint32_t size)
{
	if (offset >= 4096)
		return VMK_ERANGE;
	if (size != 4 || (offset & 15)) {
		v->stats.bad_access++;
		return VMK_EINVAL;
	}
	return vlapic_mode(v) == VLAPIC_MODE_XAPIC ? VMK_OK : VMK_EPERM;
}

/* An offset with no register: it reads 0, the write is dropped, and the
 * APIC logs an illegal register address (SDM "Error Handling"). */
static void reserved_access(struct vlapic *v, struct vlapic_out *out)
{
	v->stats.reserved++;
	vlapic_raise_error(v, VLAPIC_ESR_ILLEGAL_REG);
	if (out)
		out->events |= VLAPIC_EV_IRQ;
}

int vlapic_mmio_read(struct vlapic *v, uint32_t offset, uint32_t size, uint64_t now,
		     uint32_t *val)
{
	uint8_t acc;
	int rc;

	if (!v || !val)
		return VMK_EINVAL;
	*val = 0;
	if ((rc = mmio_check(v, offset, size)) != VMK_OK)
		return rc;
	acc = access_of(R(offset));
	if (acc & XR)
		*val = (uint32_t)reg_read(v, R(offset), now);
	else if (!(acc & XW))
		reserved_access(v, NULL);
	return VMK_OK;   /* write-only (EOI) reads 0 */
}

int vlapic_mmio_write(struct vlapic *v, uint32_t offset, uint32_t size, uint32_t val,
		      uint64_t now, struct vlapic_out *out)
{
	uint8_t acc;
	int rc;

	if (!v || !out)
		return VMK_EINVAL;
	out->events = 0;
	if ((rc = mmio_check(v, offset, size)) != VMK_OK)
		return rc;
	acc = access_of(R(offset));
	if (acc & XW)
		return reg_write(v, R(offset), val, now, false, out);
	if (acc & XR)
		v->stats.ro_writes++;
	else
		reserved_access(v, out);
	return VMK_OK;
}

bool vlapic_msr_owned(uint32_t msr)
{
	return msr == VLAPIC_MSR_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
	       (msr >= VLAPIC_MSR_X2APIC_FIRST && msr <= VLAPIC_MSR_X2APIC_LAST);
}

static int gp(struct vlapic *v, int err)
{
	v->stats.gp++;
	return err;
}

/* Can the x2APIC register at msr be accessed the way `need` says? */
static int x2_check(struct vlapic *v, uint32_t msr, uint8_t need)
{
	uint8_t acc = access_of(msr - VLAPIC_MSR_X2APIC_FIRST);

	if (!vlapic_x2(v))
		return VMK_EPERM;
	if (acc & need)
		return VMK_OK;
	return acc & (YR | YW) ? VMK_EPERM : VMK_ENOENT;
}

int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t now, uint64_t *val)
{
	int rc;

	if (!v || !val)
		return VMK_EINVAL;
	*val = 0;
	if (msr == VLAPIC_MSR_APIC_BASE) {
		*val = v->base;
		return VMK_OK;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!v->cfg.tsc_deadline)
			return gp(v, VMK_ENOENT);
		*val = vlapic_timer_read_deadline(v);
		return VMK_OK;
	}
	if (!vlapic_msr_owned(msr))
		return VMK_ERANGE;
	if ((rc = x2_check(v, msr, YR)) != VMK_OK)
		return gp(v, rc);
	*val = reg_read(v, msr - VLAPIC_MSR_X2APIC_FIRST, now);
	return VMK_OK;
}

static int x2_write(struct vlapic *v, uint32_t msr, uint64_t val, uint64_t now,
		    struct vlapic_out *out)
{
	uint32_t idx = msr - VLAPIC_MSR_X2APIC_FIRST;
	int rc = x2_check(v, msr, YW);

	if (rc != VMK_OK)
		return rc;
	if (idx != R(VLAPIC_ICR_LO) && (val >> 32))
		return VMK_EINVAL;
	return reg_write(v, idx, val, now, true, out);
}

int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t val, uint64_t now,
		     struct vlapic_out *out)
{
	int rc = VMK_OK;

	if (!v || !out)
		return VMK_EINVAL;
	out->events = 0;
	if (msr == VLAPIC_MSR_APIC_BASE) {
		rc = vlapic_base_write(v, val, out);
	} else if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!v->cfg.tsc_deadline)
			rc = VMK_ENOENT;
		else
			vlapic_timer_write_deadline(v, val, now, out);
	} else if (!vlapic_msr_owned(msr)) {
		return VMK_ERANGE;
	} else {
		rc = x2_write(v, msr, val, now, out);
	}
	return rc == VMK_OK ? VMK_OK : gp(v, rc);
}
