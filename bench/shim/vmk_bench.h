/* A C face for Google Benchmark, so that benchmarks of vmk's plain-C cores are
 * written in C.  Each benchmark is a function that loops on
 * vmk_bench_keep_running(); the shim registers it with Google Benchmark, which
 * does the timing, the repetitions, the threads and the JSON output.
 *
 *   static void bm_hit(vmk_bench_state *s, void *arg) {
 *       setup...;
 *       while (vmk_bench_keep_running(s))
 *           work();
 *       vmk_bench_set_items(s, vmk_bench_iterations(s));
 *   }
 *   VMK_BENCH_MAIN(register_all)   where register_all() calls vmk_bench_add()
 */
#ifndef VMK_BENCH_H
#define VMK_BENCH_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmk_bench_state vmk_bench_state;
typedef void (*vmk_bench_fn)(vmk_bench_state *s, void *arg);

struct vmk_bench_opts {
	int threads;            /* 0 or 1: single-threaded; N: N threads */
	int64_t args[4];        /* read back with vmk_bench_arg() */
	int nargs;
	int use_real_time;      /* time by wall clock (needed with threads) */
	/* Pin thread i to the (first_cpu + i)-th CPU of the process's affinity
	 * mask for the run (and restore its mask after), so that where each
	 * thread runs is known; the run is skipped with an error if that CPU
	 * does not exist. */
	int pin;
	int first_cpu;
};

/* Register @fn under @name (args are appended to the name as /a/b). */
void vmk_bench_add(const char *name, vmk_bench_fn fn, void *arg,
		   const struct vmk_bench_opts *opts);

int vmk_bench_keep_running(vmk_bench_state *s);
void vmk_bench_pause(vmk_bench_state *s);   /* stop the clock */
void vmk_bench_resume(vmk_bench_state *s);  /* restart it */
int64_t vmk_bench_arg(vmk_bench_state *s, int i);
int64_t vmk_bench_iterations(vmk_bench_state *s);
int vmk_bench_thread_index(vmk_bench_state *s);
int vmk_bench_threads(vmk_bench_state *s);
void vmk_bench_set_items(vmk_bench_state *s, int64_t items);
void vmk_bench_set_bytes(vmk_bench_state *s, int64_t bytes);
/* A named counter; @rate != 0 reports it per second, else as an average per
 * thread.  Appears as its own field in the JSON. */
void vmk_bench_counter(vmk_bench_state *s, const char *name, double value, int rate);
void vmk_bench_skip(vmk_bench_state *s, const char *why);
/* Keep the compiler from discarding @p's computation. */
void vmk_bench_escape(const void *p);

/* Runs Google Benchmark with the process's arguments (--benchmark_out=FILE
 * --benchmark_out_format=json etc.) after @reg has registered everything. */
int vmk_bench_main(int argc, char **argv, void (*reg)(void));
#define VMK_BENCH_MAIN(reg) \
	int main(int argc, char **argv) { return vmk_bench_main(argc, argv, reg); }

#ifdef __cplusplus
}
#endif
#endif
