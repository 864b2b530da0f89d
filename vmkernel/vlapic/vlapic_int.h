/* Internal interface between the model's files; not for the VMM. */
#ifndef VMK_VLAPIC_INT_H
#define VMK_VLAPIC_INT_H
#include "vlapic.h"

#define VLAPIC_LVT_RESET VLAPIC_LVT_MASKED
#define VLAPIC_DFR_FLAT 0xfu             /* DFR model, bits 31:28 */
#define VLAPIC_DFR_CLUSTER 0x0u

static inline bool vlapic_x2(const struct vlapic *v)
{
	return (v->base & (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD)) ==
	       (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD);
}

static inline bool vlapic_hw_enabled(const struct vlapic *v)
{
	return (v->base & VLAPIC_BASE_EN) != 0;
}

static inline bool vlapic_sw_enabled(const struct vlapic *v)
{
	return vlapic_hw_enabled(v) && (v->svr & VLAPIC_SVR_ENABLE);
}

/* LINT0/LINT1: the LVT entries with a remote IRR bit and level triggering. */
static inline bool vlapic_lvt_is_lint(unsigned i)
{
	return i == VLAPIC_LVT_IDX_LINT0 || i == VLAPIC_LVT_IDX_LINT1;
}

static inline uint32_t vlapic_timer_mode_of(uint32_t lvt)
{
	return (lvt >> VLAPIC_LVT_TIMER_SHIFT) & 3u;
}

static inline bool vlapic_vec_test(const uint32_t *vec, uint32_t n)
{
	return (vec[(n >> 5) & 7] >> (n & 31)) & 1u;
}

/* vlapic.c */
void vlapic_raise_error(struct vlapic *v, uint32_t esr_bits);
void vlapic_eoi(struct vlapic *v, struct vlapic_out *out);
uint32_t vlapic_apr(const struct vlapic *v);
int vlapic_highest(const uint32_t *vec);
int vlapic_base_write(struct vlapic *v, uint64_t val, struct vlapic_out *out);

/* vlapic_timer.c: register side of the timer.  Each first fires an expiry
 * that `now` has reached, as the hardware would have before the write. */
void vlapic_timer_reset(struct vlapic *v);
uint32_t vlapic_timer_current(const struct vlapic *v, uint64_t now);
void vlapic_timer_write_lvt(struct vlapic *v, uint32_t lvt, uint64_t now,
			    struct vlapic_out *out);
void vlapic_timer_write_initial(struct vlapic *v, uint32_t count, uint64_t now,
				struct vlapic_out *out);
void vlapic_timer_write_divide(struct vlapic *v, uint32_t dcr, uint64_t now,
			       struct vlapic_out *out);
uint64_t vlapic_timer_read_deadline(const struct vlapic *v);
void vlapic_timer_write_deadline(struct vlapic *v, uint64_t tsc, uint64_t now,
				 struct vlapic_out *out);

/* vlapic_ipi.c: the ICR was written; build the request in out. */
void vlapic_icr_send(struct vlapic *v, struct vlapic_out *out);
#endif
