/* The payload layouts of vmk_trace.h, described for the CTF writer and the
 * COS summary.  Offsets come from offsetof on the ABI structs, so a layout
 * change cannot leave this table behind. */
#include "vmk_trace.h"

#define F(type, field, sgn, base) \
	{ #field, offsetof(type, field), sizeof(((type *)0)->field), sgn, base }
#define U(type, field)  F(type, field, 0, TRACE_FB_DEC)
#define X(type, field)  F(type, field, 0, TRACE_FB_HEX)
#define S(type, field)  F(type, field, 1, TRACE_FB_DEC)

const struct trace_event_desc trace_event_descs[TRACE_EV_COUNT] = {
	[TRACE_EV_WORLD_SWITCH] = { "vmk_world_switch", 3, {
		U(struct trace_p_world_switch, prev_world),
		U(struct trace_p_world_switch, next_world),
		U(struct trace_p_world_switch, reason) } },
	/* Field names as LTTng's kvm_x86_entry / kvm_x86_exit. */
	[TRACE_EV_VM_ENTRY] = { "kvm_x86_entry", 2, {
		U(struct trace_p_vm_entry, vcpu_id),
		X(struct trace_p_vm_entry, guest_rip) } },
	[TRACE_EV_VM_EXIT] = { "kvm_x86_exit", 5, {
		U(struct trace_p_vm_exit, exit_reason),
		X(struct trace_p_vm_exit, guest_rip),
		X(struct trace_p_vm_exit, info1),
		X(struct trace_p_vm_exit, info2),
		U(struct trace_p_vm_exit, vcpu_id) } },
	[TRACE_EV_HYPERCALL] = { "vmk_hypercall", 4, {
		U(struct trace_p_hypercall, nr),
		S(struct trace_p_hypercall, ret),
		X(struct trace_p_hypercall, arg0),
		X(struct trace_p_hypercall, arg1) } },
	[TRACE_EV_IRQ_FORWARD] = { "vmk_irq_forward", 3, {
		U(struct trace_p_irq_forward, irq),
		U(struct trace_p_irq_forward, vector),
		U(struct trace_p_irq_forward, masked) } },
	[TRACE_EV_IRQ_INJECT] = { "vmk_irq_inject", 2, {
		U(struct trace_p_irq_inject, vcpu_id),
		U(struct trace_p_irq_inject, vector) } },
	[TRACE_EV_SCHED] = { "vmk_sched_decision", 5, {
		U(struct trace_p_sched, prev_world),
		U(struct trace_p_sched, next_world),
		U(struct trace_p_sched, reason),
		U(struct trace_p_sched, runnable),
		U(struct trace_p_sched, slice_tsc) } },
	[TRACE_EV_NETPATH_REQ] = { "vmk_netpath_req", 5, {
		U(struct trace_p_io_req, queue),
		U(struct trace_p_io_req, op),
		U(struct trace_p_io_req, len),
		X(struct trace_p_io_req, addr),
		X(struct trace_p_io_req, cookie) } },
	[TRACE_EV_STORPATH_REQ] = { "vmk_storpath_req", 5, {
		U(struct trace_p_io_req, queue),
		U(struct trace_p_io_req, op),
		U(struct trace_p_io_req, len),
		U(struct trace_p_io_req, addr),
		X(struct trace_p_io_req, cookie) } },
};
