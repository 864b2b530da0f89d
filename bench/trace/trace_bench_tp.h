/* LTTng-UST tracepoint provider for the side-by-side cost comparison: an
 * event shaped like vmk's VM exit (the same five integers), twice: vm_exit
 * is enabled in the bench session, vm_exit_off never is, so one run measures
 * LTTng-UST enabled and disabled. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER vmk_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./trace_bench_tp.h"

#if !defined(VMK_TRACE_BENCH_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define VMK_TRACE_BENCH_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT_CLASS(vmk_bench, exit_class,
	LTTNG_UST_TP_ARGS(uint32_t, vcpu_id, uint32_t, exit_reason,
			  uint64_t, guest_rip, uint64_t, info1, uint64_t, info2),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, exit_reason, exit_reason)
		lttng_ust_field_integer_hex(uint64_t, guest_rip, guest_rip)
		lttng_ust_field_integer_hex(uint64_t, info1, info1)
		lttng_ust_field_integer_hex(uint64_t, info2, info2)
		lttng_ust_field_integer(uint32_t, vcpu_id, vcpu_id)
	)
)

LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(vmk_bench, exit_class, vmk_bench, vm_exit,
	LTTNG_UST_TP_ARGS(uint32_t, vcpu_id, uint32_t, exit_reason,
			  uint64_t, guest_rip, uint64_t, info1, uint64_t, info2))

LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(vmk_bench, exit_class, vmk_bench, vm_exit_off,
	LTTNG_UST_TP_ARGS(uint32_t, vcpu_id, uint32_t, exit_reason,
			  uint64_t, guest_rip, uint64_t, info1, uint64_t, info2))

#endif

#include <lttng/tracepoint-event.h>
