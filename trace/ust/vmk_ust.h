/* VMK_UST(event, args...): a vmk_tool tracepoint (vmk_ust_tp.h) in code that
 * is built both with LTTng-UST (VMK_WITH_UST defined: vmk-ust, the bench runners
 * on a host with liblttng-ust) and without it (the static `vmk` of the COS
 * initramfs, which has no LTTng).
 *
 * Without VMK_WITH_UST the call site compiles to nothing: the arguments are
 * type-checked as a variadic call inside `if (0)` and never evaluated, so
 * they must not have side effects.  With it, a disabled event costs one
 * load and a not-taken branch (LTTng-UST's own check); arguments are
 * evaluated only when a session enables the event.
 *
 * VMK_UST_ENABLED(event) guards work done only to feed an event (clock
 * reads, building strings): constant 0 without VMK_WITH_UST. */
#ifndef VMK_UST_H
#define VMK_UST_H

#ifdef VMK_WITH_UST
#include "vmk_ust_tp.h"
#define VMK_UST(event, ...) lttng_ust_tracepoint(vmk_tool, event, __VA_ARGS__)
#define VMK_UST_ENABLED(event) lttng_ust_tracepoint_enabled(vmk_tool, event)
#else
static inline void vmk_ust_unused(int dummy, ...)
{
	(void)dummy;
}
#define VMK_UST(event, ...) do { if (0) vmk_ust_unused(0, __VA_ARGS__); } while (0)
#define VMK_UST_ENABLED(event) 0
#endif

/* Longest command line summary put into an event (bytes, with the NUL). */
#define VMK_UST_ARGS_MAX 256

#endif
