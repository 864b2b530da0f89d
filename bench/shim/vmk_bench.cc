// The C shim's implementation: a thin layer over benchmark::State.
#include "vmk_bench.h"

#include <benchmark/benchmark.h>
#include <sched.h>

#include <string>

#include "vmk_ust.h"  // vmk_tool:bench_* events when built with LTTng-UST

struct vmk_bench_state {
  benchmark::State *st;
};

static benchmark::State &S(vmk_bench_state *s) { return *s->st; }

static int nbench;  // registered so far, for bench_begin

// The CPUs the process may use, read once before any thread is pinned.
static cpu_set_t allowed;
static bool allowed_ok;

// The n-th CPU (from 0) of the process's mask, or -1.
static int nth_allowed_cpu(int n) {
  if (!allowed_ok) return -1;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &allowed) && n-- == 0) return c;
  return -1;
}

// Pins the calling thread to @cpu; *saved gets its mask before.
static bool pin_self(int cpu, cpu_set_t *saved) {
  cpu_set_t one;
  if (cpu < 0 || sched_getaffinity(0, sizeof *saved, saved)) return false;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof one, &one) == 0;
}

extern "C" {

void vmk_bench_add(const char *name, vmk_bench_fn fn, void *arg,
                   const struct vmk_bench_opts *o) {
  // The name as Google Benchmark reports it (without /threads:N), and the
  // first two arguments, for the bench_run_* events.
  std::string full(name);
  int64_t a0 = 0, a1 = 0;
  if (o && o->nargs > 0) {
    for (int i = 0; i < o->nargs && i < 4; i++) full += "/" + std::to_string(o->args[i]);
    a0 = o->args[0];
    a1 = o->nargs > 1 ? o->args[1] : 0;
  }
  nbench++;
  const bool pin = o && o->pin;
  const int first_cpu = o ? o->first_cpu : 0;
  auto *b = benchmark::RegisterBenchmark(
      name, [fn, arg, full, a0, a1, pin, first_cpu](benchmark::State &st) {
        vmk_bench_state s{&st};
        cpu_set_t saved;
        if (pin && !pin_self(nth_allowed_cpu(first_cpu + st.thread_index()), &saved)) {
          st.SkipWithError("cannot pin the thread to its CPU");
          while (st.KeepRunning()) {
          }  // meets the other threads at the start and stop barriers
          return;
        }
        VMK_UST(bench_run_begin, full.c_str(), a0, a1, st.thread_index(), st.threads(),
                (int64_t)st.max_iterations);
        fn(&s, arg);
        VMK_UST(bench_run_end, full.c_str(), st.thread_index(), (int64_t)st.iterations(),
                st.error_occurred() ? 1 : 0);
        if (pin) sched_setaffinity(0, sizeof saved, &saved);
      });
  if (!o) return;
  if (o->nargs > 0) b->Args(std::vector<int64_t>(o->args, o->args + o->nargs));
  if (o->threads > 1) b->Threads(o->threads);
  if (o->use_real_time) b->UseRealTime();
}

int vmk_bench_keep_running(vmk_bench_state *s) { return S(s).KeepRunning(); }
void vmk_bench_pause(vmk_bench_state *s) { S(s).PauseTiming(); }
void vmk_bench_resume(vmk_bench_state *s) { S(s).ResumeTiming(); }
int64_t vmk_bench_arg(vmk_bench_state *s, int i) { return S(s).range(i); }
int64_t vmk_bench_iterations(vmk_bench_state *s) { return S(s).iterations(); }
int vmk_bench_thread_index(vmk_bench_state *s) { return S(s).thread_index(); }
int vmk_bench_threads(vmk_bench_state *s) { return S(s).threads(); }
void vmk_bench_set_items(vmk_bench_state *s, int64_t n) { S(s).SetItemsProcessed(n); }
void vmk_bench_set_bytes(vmk_bench_state *s, int64_t n) { S(s).SetBytesProcessed(n); }
void vmk_bench_skip(vmk_bench_state *s, const char *why) { S(s).SkipWithError(why); }

void vmk_bench_counter(vmk_bench_state *s, const char *name, double v, int rate) {
  S(s).counters[name] = benchmark::Counter(
      v, rate ? benchmark::Counter::kIsRate : benchmark::Counter::kAvgThreads);
}

void vmk_bench_escape(const void *p) { benchmark::DoNotOptimize(p); }

int vmk_bench_main(int argc, char **argv, void (*reg)(void)) {
  std::string prog(argv[0]), args;
  prog = prog.substr(prog.find_last_of('/') + 1);
  for (int i = 1; i < argc && args.size() < VMK_UST_ARGS_MAX - 1; i++)
    args += (i > 1 ? " " : "") + std::string(argv[i]);
  args = args.substr(0, VMK_UST_ARGS_MAX - 1);
  allowed_ok = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
  reg();
  VMK_UST(bench_begin, prog.c_str(), nbench, args.c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    VMK_UST(bench_end, prog.c_str(), 2);
    return 2;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  VMK_UST(bench_end, prog.c_str(), 0);
  return 0;
}

}  // extern "C"
