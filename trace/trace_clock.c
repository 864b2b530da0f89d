/* Hosted clock helpers for the CTF writer.
 *
 * How the offset is derived: LTTng declares its clock (CLOCK_MONOTONIC, in
 * ns) with offset_s/offset equal to CLOCK_REALTIME - CLOCK_MONOTONIC sampled
 * at session start, so its timestamps land on Unix time.  We do the same for
 * the TSC: sample (CLOCK_REALTIME, TSC, CLOCK_REALTIME) a few times, keep
 * the tightest bracket, take its midpoint R as the Unix time of TSC value T,
 * and declare TSC 0 to be at R - T / freq.  Both traces then map onto Unix
 * time, which babeltrace2 uses to interleave them.  The error is half the
 * bracket (well under a microsecond on an idle machine) plus the drift of
 * the TSC against CLOCK_REALTIME (NTP slew) over the trace; sample when the
 * trace is written, close to the events. */
#include "trace_ctf.h"

#include <vmk/err.h>

#include <time.h>

#define NSEC 1000000000ll

static int64_t trace_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Unix ns at which the TSC read @tsc, bracketed as tightly as we can. */
static int64_t trace_realtime_at(uint64_t *tsc)
{
	int64_t best_gap = INT64_MAX, best_mid = 0;

	for (int i = 0; i < 16; i++) {
		int64_t r0 = trace_ns(CLOCK_REALTIME);
		uint64_t t = __builtin_ia32_rdtsc();
		int64_t r1 = trace_ns(CLOCK_REALTIME);
		if (r1 - r0 < best_gap) {
			best_gap = r1 - r0;
			best_mid = r0 + (r1 - r0) / 2;
			*tsc = t;
		}
	}
	return best_mid;
}

int trace_clock_sync(uint64_t freq_hz, struct trace_ctf_clock *out)
{
	uint64_t tsc = 0;
	__int128 origin_ns, s, rem;

	if (!freq_hz)
		return VMK_EINVAL;
	origin_ns = (__int128)trace_realtime_at(&tsc) -
		    (__int128)tsc * NSEC / (__int128)freq_hz;
	s = origin_ns / NSEC;
	rem = origin_ns % NSEC;
	if (rem < 0) {           /* floor, so that offset_cycles >= 0 */
		s -= 1;
		rem += NSEC;
	}
	out->freq_hz = freq_hz;
	out->offset_s = (int64_t)s;
	out->offset_cycles = (uint64_t)(rem * (__int128)freq_hz / NSEC);
	return 0;
}

uint64_t trace_tsc_freq_measure(unsigned ms)
{
	struct timespec req = { .tv_sec = ms / 1000,
				.tv_nsec = (long)(ms % 1000) * 1000000 };
	int64_t n0 = trace_ns(CLOCK_MONOTONIC_RAW);
	uint64_t t0 = __builtin_ia32_rdtsc();
	int64_t n1;
	uint64_t t1;

	nanosleep(&req, NULL);
	n1 = trace_ns(CLOCK_MONOTONIC_RAW);
	t1 = __builtin_ia32_rdtsc();
	if (n1 <= n0)
		return 0;
	return (uint64_t)((__int128)(t1 - t0) * NSEC / (n1 - n0));
}
