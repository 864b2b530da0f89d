/* IPIs: what an ICR write asks for, and which vLAPICs a request addresses
 * (SDM "Issuing Interprocessor Interrupts", "Determining IPI Destination",
 * "x2APIC Logical Destination Mode").  The model delivers nothing. */
#include "vlapic_int.h"

/* The combinations the xAPIC sends (SDM table "Valid Combinations for the
 * Pentium 4 and Intel Xeon Processors' Local xAPIC Interrupt Command
 * Register"): the self and all-including-self shorthands carry fixed IPIs
 * only; modes 3 and 7 are reserved in the ICR. */
static bool combination_ok(uint32_t dm, uint32_t sh)
{
	if (dm == 3 || dm == VLAPIC_DM_EXTINT)
		return false;
	if (sh == VLAPIC_SH_SELF || sh == VLAPIC_SH_ALL)
		return dm == VLAPIC_DM_FIXED;
	return true;
}

void vlapic_icr_send(struct vlapic *v, struct vlapic_out *out)
{
	uint32_t lo = v->icr_lo, dm = (lo >> 8) & 7, sh = (lo >> 18) & 3;
	uint8_t vec = (uint8_t)lo;
	bool x2 = vlapic_x2(v);

	/* INIT level de-assert only synchronises arbitration IDs on old
	 * APICs; it starts nothing, so there is nothing to deliver. */
	bool deassert = dm == VLAPIC_DM_INIT && (lo & VLAPIC_ICR_LEVEL) &&
			!(lo & VLAPIC_ICR_ASSERT);

	if (!combination_ok(dm, sh) || deassert) {
		v->stats.ipi_dropped++;
		return;
	}
	if ((dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWEST) && vec < 16) {
		v->stats.ipi_dropped++;
		vlapic_raise_error(v, VLAPIC_ESR_SEND_ILLEGAL);
		out->events |= VLAPIC_EV_IRQ;
		return;
	}
	out->ipi = (struct vlapic_ipi){
		.vector = vec, .mode = (uint8_t)dm, .shorthand = (uint8_t)sh,
		.logical = (lo & VLAPIC_ICR_LOGICAL) != 0, .x2apic = x2,
		.dest = x2 ? v->icr_hi : v->icr_hi >> 24, .src = v->cfg.vcpu,
	};
	out->events |= VLAPIC_EV_IPI;
}

static bool broadcast(const struct vlapic_ipi *r)
{
	return r->dest == (r->x2apic ? 0xffffffffu : 0xffu);
}

static bool match_physical(const struct vlapic *t, const struct vlapic_ipi *r)
{
	uint32_t id = vlapic_x2(t) ? t->id : t->id >> 24;

	return broadcast(r) || id == r->dest;
}

/* x2APIC: cluster in 31:16 must equal, then any common bit of 15:0.  xAPIC:
 * the DFR model says flat (any common bit of 8) or cluster (4-bit cluster
 * equal, any common bit of 4); other models address nobody. */
static bool match_logical(const struct vlapic *t, const struct vlapic_ipi *r)
{
	uint32_t mda = r->dest & 0xff, ldr = t->ldr >> 24;

	if (broadcast(r))
		return true;
	if (vlapic_x2(t))
		return (r->dest >> 16) == (t->ldr >> 16) && (r->dest & t->ldr & 0xffff);
	switch (t->dfr >> 28) {
	case VLAPIC_DFR_FLAT:
		return (mda & ldr) != 0;
	case VLAPIC_DFR_CLUSTER:
		return (mda >> 4) == (ldr >> 4) && (mda & ldr & 0xf);
	default:
		return false;
	}
}

bool vlapic_dest_match(const struct vlapic *t, const struct vlapic_ipi *r)
{
	if (!t || !r || !vlapic_hw_enabled(t))
		return false;
	switch (r->shorthand) {
	case VLAPIC_SH_SELF:
		return t->cfg.vcpu == r->src;
	case VLAPIC_SH_ALL:
		return true;
	case VLAPIC_SH_OTHERS:
		return t->cfg.vcpu != r->src;
	default:
		return r->logical ? match_logical(t, r) : match_physical(t, r);
	}
}

/* Lowest priority: the matching vLAPIC that would accept with the lowest
 * TPR class; ties go to the lowest index. */
static uint64_t lowest_priority(const struct vlapic *const *vcpus, uint32_t n,
				uint64_t mask)
{
	int best = -1;
	uint32_t best_class = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct vlapic *t = vcpus[i];

		if (!(mask >> i & 1) || !vlapic_sw_enabled(t))
			continue;
		if (best < 0 || (t->tpr & 0xf0) < best_class) {
			best = (int)i;
			best_class = t->tpr & 0xf0;
		}
	}
	return best < 0 ? 0 : 1ull << best;
}

int vlapic_ipi_targets(const struct vlapic *const *vcpus, uint32_t n,
		       const struct vlapic_ipi *req, uint64_t *mask)
{
	if (!vcpus || !req || !mask)
		return VMK_EINVAL;
	*mask = 0;
	if (n > VLAPIC_MAX_VCPUS)
		return VMK_ERANGE;
	for (uint32_t i = 0; i < n; i++)
		if (vlapic_dest_match(vcpus[i], req))
			*mask |= 1ull << i;
	if (req->mode == VLAPIC_DM_LOWEST)
		*mask = lowest_priority(vcpus, n, *mask);
	return VMK_OK;
}

void vlapic_ipi_sent(struct vlapic *src, const struct vlapic_ipi *req, uint64_t mask)
{
	if (src && req && req->shorthand == VLAPIC_SH_NONE && mask == 0)
		vlapic_raise_error(src, VLAPIC_ESR_SEND_ACCEPT);
}
