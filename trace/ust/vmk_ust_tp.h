/* LTTng-UST tracepoint provider "vmk_tool": events of vmk's own user-space
 * tools (the vmk CLI, the bench runners), so that one LTTng session holds
 * them beside the COS kernel's events and the vmkernel's CTF trace.
 *
 * Code does not call these directly: it uses VMK_UST() from vmk_ust.h,
 * which compiles to nothing in the static COS build.  Field names are part
 * of what trace readers (and trace/ust/tests/ust_check.py) rely on: add
 * fields or events, do not rename them. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER vmk_tool

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "vmk_ust_tp.h"

#if !defined(VMK_UST_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define VMK_UST_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

/* A command of a tool starts: @tool is the program ("vmk"), @command its
 * subcommand, @args the rest of the command line joined by spaces
 * (truncated, see vmk_ust.h). */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, cmd_begin,
	LTTNG_UST_TP_ARGS(const char *, tool, const char *, command, int, argc,
			  const char *, args),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(tool, tool)
		lttng_ust_field_string(command, command)
		lttng_ust_field_integer(int32_t, argc, argc)
		lttng_ust_field_string(args, args)
	)
)

/* The command ends with exit status @status; @err is the errno of the
 * failure that decided it (0 if none or not from a system call). */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, cmd_end,
	LTTNG_UST_TP_ARGS(const char *, tool, const char *, command, int, status,
			  int, err),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(tool, tool)
		lttng_ust_field_string(command, command)
		lttng_ust_field_integer(int32_t, status, status)
		lttng_ust_field_integer(int32_t, err, err)
	)
)

/* The control device was opened: @fd >= 0, or -1 and @err. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, dev_open,
	LTTNG_UST_TP_ARGS(const char *, path, int, fd, int, err),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(path, path)
		lttng_ust_field_integer(int32_t, fd, fd)
		lttng_ust_field_integer(int32_t, err, err)
	)
)

/* An ioctl on the control device is issued.  @name is the request's name
 * in vmkload_ioctl.h ("VMK_IOC_STATUS"), @op the sub-operation of
 * multiplexed requests (VMK_IOC_TRACE, VMK_IOC_VM), else 0. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, ioctl_begin,
	LTTNG_UST_TP_ARGS(int, fd, unsigned long, req, const char *, name,
			  uint32_t, op),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, fd, fd)
		lttng_ust_field_integer_hex(uint64_t, req, req)
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(uint32_t, op, op)
	)
)

/* ... and returned @ret (errno @err when -1) after @duration_ns of
 * CLOCK_MONOTONIC measured around the system call alone. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, ioctl_end,
	LTTNG_UST_TP_ARGS(int, fd, unsigned long, req, const char *, name,
			  uint32_t, op, int, ret, int, err, uint64_t, duration_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, fd, fd)
		lttng_ust_field_integer_hex(uint64_t, req, req)
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(uint32_t, op, op)
		lttng_ust_field_integer(int32_t, ret, ret)
		lttng_ust_field_integer(int32_t, err, err)
		lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)
	)
)

/* One drain pass of `vmk trace record` over every CPU's ring: records and
 * losses found in this pass, and running totals.  @last is 1 for the pass
 * after the vmkernel session was stopped. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, trace_drain,
	LTTNG_UST_TP_ARGS(uint32_t, ncpus, uint64_t, records, uint64_t, lost,
			  uint64_t, records_total, uint64_t, lost_total, int, last),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, ncpus, ncpus)
		lttng_ust_field_integer(uint64_t, records, records)
		lttng_ust_field_integer(uint64_t, lost, lost)
		lttng_ust_field_integer(uint64_t, records_total, records_total)
		lttng_ust_field_integer(uint64_t, lost_total, lost_total)
		lttng_ust_field_integer(int32_t, last, last)
	)
)

/* A benchmark program on the bench shim starts (@program, @nbench
 * benchmarks registered, @args its command line after the program name)
 * and ends with status @status. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, bench_begin,
	LTTNG_UST_TP_ARGS(const char *, program, int, nbench, const char *, args),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(program, program)
		lttng_ust_field_integer(int32_t, nbench, nbench)
		lttng_ust_field_string(args, args)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, bench_end,
	LTTNG_UST_TP_ARGS(const char *, program, int, status),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(program, program)
		lttng_ust_field_integer(int32_t, status, status)
	)
)

/* One run of one benchmark function by one thread (Google Benchmark runs a
 * function several times: to size the iteration count, then once per
 * repetition).  @name is the registered name ("bm_x/64"), @arg0/@arg1 its
 * first arguments (0 if absent), @max_iterations the count asked for. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, bench_run_begin,
	LTTNG_UST_TP_ARGS(const char *, name, int64_t, arg0, int64_t, arg1,
			  int, thread, int, threads, int64_t, max_iterations),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(int64_t, arg0, arg0)
		lttng_ust_field_integer(int64_t, arg1, arg1)
		lttng_ust_field_integer(int32_t, thread, thread)
		lttng_ust_field_integer(int32_t, threads, threads)
		lttng_ust_field_integer(int64_t, max_iterations, max_iterations)
	)
)

/* ... and ends after @iterations; @skipped is 1 if it called
 * vmk_bench_skip (Google Benchmark's SkipWithError). */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, bench_run_end,
	LTTNG_UST_TP_ARGS(const char *, name, int, thread, int64_t, iterations,
			  int, skipped),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(int32_t, thread, thread)
		lttng_ust_field_integer(int64_t, iterations, iterations)
		lttng_ust_field_integer(int32_t, skipped, skipped)
	)
)

/* A phase of a runner script (bench/<family>/run): build, bench, icount,
 * report, ...; emitted by the vmk-ust-phase tool. */
LTTNG_UST_TRACEPOINT_EVENT(vmk_tool, runner_phase,
	LTTNG_UST_TP_ARGS(const char *, runner, const char *, phase, int, begin,
			  const char *, detail),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(runner, runner)
		lttng_ust_field_string(phase, phase)
		lttng_ust_field_integer(int32_t, begin, begin)
		lttng_ust_field_string(detail, detail)
	)
)

#endif /* VMK_UST_TP_H */

#include <lttng/tracepoint-event.h>
