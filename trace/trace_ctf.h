/* Hosted CTF 1.8 writer: turns records drained from vmk trace rings into a
 * trace directory that babeltrace2 and Trace Compass read:
 *
 *   <dir>/metadata     TSDL text (not packetized)
 *   <dir>/vmk_<cpu>    one binary stream per CPU, little endian
 *
 * Losses (overwritten, refused, or records of an event id this writer does
 * not know) become the packet context's events_discarded counter; the writer
 * cuts a packet at each loss so that babeltrace2 reports the discarded events
 * between the right two events of the stream.
 *
 * The clock is declared as "vmk_tsc" with the TSC frequency and an offset
 * from the Unix epoch (see trace_clock_sync), so that it lines up with LTTng
 * traces of the COS, whose clocks are also declared relative to the epoch.
 */
#ifndef VMK_TRACE_CTF_H
#define VMK_TRACE_CTF_H

#include "trace_ring.h"

struct trace_ctf_clock {
	uint64_t freq_hz;        /* TSC ticks per second */
	int64_t offset_s;        /* Unix time of TSC 0: whole seconds ... */
	uint64_t offset_cycles;  /* ... plus this many ticks (< freq_hz) */
};

struct trace_ctf_params {
	struct trace_ctf_clock clock;
	unsigned nr_cpus;        /* streams vmk_0 .. vmk_<nr_cpus - 1> */
	uint64_t start_tsc;      /* session start: stamps packets with no event */
	unsigned packet_events;  /* events per packet; 0: 4096 */
	const char *hostname;    /* env.hostname; NULL: gethostname() */
};

struct trace_ctf;

/* Creates @dir (and parents' last level only) and writes the metadata.
 * Returns 0 or a vmk_err. */
int trace_ctf_open(struct trace_ctf **out, const char *dir,
		   const struct trace_ctf_params *p);

/* Appends one record to CPU @cpu's stream.  Records of one CPU must come in
 * ring order (non-decreasing TSC). */
int trace_ctf_event(struct trace_ctf *t, unsigned cpu,
		    const struct trace_record *r);

/* @n events of CPU @cpu were lost at this point of its stream. */
int trace_ctf_lost(struct trace_ctf *t, unsigned cpu, uint64_t n);

/* Moves everything @r can read now into CPU @cpu's stream, losses included.
 * Returns the number of records written, or a vmk_err. */
int64_t trace_ctf_drain(struct trace_ctf *t, unsigned cpu,
			struct trace_reader *r);

/* Flushes every stream, closes the files and frees @t. */
int trace_ctf_close(struct trace_ctf *t);

/* Clock offset such that TSC value v is Unix time
 *   offset_s + (offset_cycles + v) / freq_hz   seconds,
 * from the tightest of a few (CLOCK_REALTIME, TSC, CLOCK_REALTIME) samples. */
int trace_clock_sync(uint64_t freq_hz, struct trace_ctf_clock *out);

/* TSC frequency measured against CLOCK_MONOTONIC_RAW over @ms milliseconds,
 * for hosted use where nobody calibrated it (the vmkernel knows its own). */
uint64_t trace_tsc_freq_measure(unsigned ms);

#endif
