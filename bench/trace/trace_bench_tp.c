/* Instantiates the LTTng-UST probes of trace_bench_tp.h in this binary. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "trace_bench_tp.h"
