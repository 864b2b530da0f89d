/* Clock alignment demo with LTTng: emits the same VM exit twice in a row,
 * once as an LTTng-UST event and once into a vmk ring, 20 times, 5 ms
 * apart; then writes the vmk ring as CTF with the measured TSC frequency and
 * the realtime offset of trace_clock_sync.  align_demo reads both traces
 * together with babeltrace2 and reports how far apart each pair lands.
 *
 *   trace_align OUTDIR      -> OUTDIR/vmk (CTF) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trace_ctf.h"
#include "trace_emit.h"
#include "trace_bench_tp.h"

#define PAIRS 20u
#define SLOTS 256u

static void emit_pairs(struct trace_writer *w)
{
	const struct timespec gap = { 0, 5000000 };

	for (uint32_t i = 0; i < PAIRS; i++) {
		lttng_ust_tracepoint(vmk_bench, vm_exit, i, 0x7b,
				     0xffffffff81000000ull + i, i, ~(uint64_t)i);
		trace_vm_exit(w, i, 0x7b, 0xffffffff81000000ull + i, i,
			      ~(uint64_t)i);
		nanosleep(&gap, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct trace_ring_cons cons;
	struct trace_ctf_params p = { .nr_cpus = 1 };
	struct trace_writer w;
	struct trace_reader r;
	struct trace_ctf *ctf;
	char path[4096];
	void *mem = aligned_alloc(64, trace_ring_bytes(SLOTS));

	if (argc != 2 || !mem ||
	    trace_writer_init(&w, mem, trace_ring_bytes(SLOTS), SLOTS, 0,
			      TRACE_MODE_OVERWRITE, &cons) ||
	    trace_reader_init(&r, mem, trace_ring_bytes(SLOTS), &cons))
		return 2;
	trace_set_enabled(&w, TRACE_EV_ALL);
	/* Sync right before the events: an error in the measured frequency
	 * grows with the distance between the sample and the events. */
	if (trace_clock_sync(trace_tsc_freq_measure(200), &p.clock))
		return 1;
	p.start_tsc = trace_tsc();
	emit_pairs(&w);
	snprintf(path, sizeof(path), "%s/vmk", argv[1]);
	if (trace_ctf_open(&ctf, path, &p) || trace_ctf_drain(ctf, 0, &r) < 0 ||
	    trace_ctf_close(ctf))
		return 1;
	printf("tsc_hz=%llu ust_enabled=%d\n",
	       (unsigned long long)p.clock.freq_hz,
	       lttng_ust_tracepoint_enabled(vmk_bench, vm_exit) ? 1 : 0);
	free(mem);
	return 0;
}
