/* Instantiates the vmk_tool probes (and the tracepoint definitions) in the
 * binary that links vmk_ust_tp: only the UST builds of the tools do. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "vmk_ust_tp.h"
