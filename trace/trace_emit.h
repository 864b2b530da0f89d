/* Trace points for vmkernel code: one inline function per event.
 *
 * Each first tests the event's bit in the writer's enable mask and returns:
 * a disabled event is a load, a test and a not-taken branch, and nothing
 * else runs (no clock read, no argument packing).  Arguments are plain
 * values; a caller whose argument is costly to compute guards it with
 * trace_on() itself.  Enabled events go out of line to trace_ring_emit,
 * which reads the TSC.
 */
#ifndef VMK_TRACE_EMIT_H
#define VMK_TRACE_EMIT_H

#include "trace_ring.h"

static inline int trace_on(const struct trace_writer *w, enum trace_event_id id)
{
	return __builtin_expect((__atomic_load_n(&w->enabled, __ATOMIC_RELAXED)
				 & TRACE_EV_BIT(id)) != 0, 0);
}

static inline uint64_t trace_pack32(uint32_t lo, uint32_t hi)
{
	return (uint64_t)lo | (uint64_t)hi << 32;
}

static inline void trace_world_switch(struct trace_writer *w, uint32_t prev,
				      uint32_t next, uint32_t reason)
{
	if (!trace_on(w, TRACE_EV_WORLD_SWITCH))
		return;
	trace_ring_emit(w, TRACE_EV_WORLD_SWITCH,
			 trace_pack32(prev, next), reason, 0, 0);
}

static inline void trace_vm_entry(struct trace_writer *w, uint32_t vcpu_id,
				  uint64_t guest_rip)
{
	if (!trace_on(w, TRACE_EV_VM_ENTRY))
		return;
	trace_ring_emit(w, TRACE_EV_VM_ENTRY, vcpu_id,
			 guest_rip, 0, 0);
}

static inline void trace_vm_exit(struct trace_writer *w, uint32_t vcpu_id,
				 uint32_t exit_reason, uint64_t guest_rip,
				 uint64_t info1, uint64_t info2)
{
	if (!trace_on(w, TRACE_EV_VM_EXIT))
		return;
	trace_ring_emit(w, TRACE_EV_VM_EXIT,
			 trace_pack32(exit_reason, vcpu_id), guest_rip,
			 info1, info2);
}

static inline void trace_hypercall(struct trace_writer *w, uint32_t nr,
				   int32_t ret, uint64_t arg0, uint64_t arg1)
{
	if (!trace_on(w, TRACE_EV_HYPERCALL))
		return;
	trace_ring_emit(w, TRACE_EV_HYPERCALL,
			 trace_pack32(nr, (uint32_t)ret), arg0, arg1, 0);
}

static inline void trace_irq_forward(struct trace_writer *w, uint32_t irq,
				     uint32_t vector, uint32_t masked)
{
	if (!trace_on(w, TRACE_EV_IRQ_FORWARD))
		return;
	trace_ring_emit(w, TRACE_EV_IRQ_FORWARD,
			 trace_pack32(irq, vector), masked, 0, 0);
}

static inline void trace_irq_inject(struct trace_writer *w, uint32_t vcpu_id,
				    uint32_t vector)
{
	if (!trace_on(w, TRACE_EV_IRQ_INJECT))
		return;
	trace_ring_emit(w, TRACE_EV_IRQ_INJECT,
			 trace_pack32(vcpu_id, vector), 0, 0, 0);
}

static inline void trace_sched(struct trace_writer *w, uint32_t prev,
			       uint32_t next, uint32_t reason,
			       uint32_t runnable, uint64_t slice_tsc)
{
	if (!trace_on(w, TRACE_EV_SCHED))
		return;
	trace_ring_emit(w, TRACE_EV_SCHED,
			 trace_pack32(prev, next), trace_pack32(reason, runnable),
			 slice_tsc, 0);
}

/* @id: TRACE_EV_NETPATH_REQ or TRACE_EV_STORPATH_REQ. */
static inline void trace_io_req(struct trace_writer *w, enum trace_event_id id,
				uint32_t queue, uint32_t op, uint64_t len,
				uint64_t addr, uint64_t cookie)
{
	if (!trace_on(w, id))
		return;
	trace_ring_emit(w, (uint16_t)id, trace_pack32(queue, op),
			 len, addr, cookie);
}

#endif
