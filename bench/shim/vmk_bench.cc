// The C shim's implementation: a thin layer over benchmark::State.
#include "vmk_bench.h"

#include <benchmark/benchmark.h>

#include <string>

struct vmk_bench_state {
  benchmark::State *st;
};

static benchmark::State &S(vmk_bench_state *s) { return *s->st; }

extern "C" {

void vmk_bench_add(const char *name, vmk_bench_fn fn, void *arg,
                   const struct vmk_bench_opts *o) {
  auto *b = benchmark::RegisterBenchmark(
      name, [fn, arg](benchmark::State &st) {
        vmk_bench_state s{&st};
        fn(&s, arg);
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
  reg();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // extern "C"
