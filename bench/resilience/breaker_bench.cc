// Cost of guarding a call with a CircuitBreaker (acquire + record success),
// beside the cheapest alternative a user would write: a std::mutex-guarded
// counter. Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
#include <benchmark/benchmark.h>

#include <asio/io_context.hpp>
#include <memory>
#include <mutex>

#include "cohort/base/context.h"
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/retry_policy.h"

namespace {

// Shared by all benchmark threads; built once with the real clock.
struct Fixture {
  asio::io_context io;
  cohort::RealContext real{io.get_executor(), nullptr, 1};
  std::unique_ptr<cohort::CircuitBreaker> breaker = std::move(
      *cohort::CircuitBreaker::Create(cohort::CircuitBreakerOptions(), real.context()));
  std::unique_ptr<cohort::RetryPolicy> retry =
      std::move(*cohort::RetryPolicy::Create(cohort::RetryOptions(), real.context()));
  std::mutex mu;
  long counter = 0;
};

Fixture& Shared() {
  static Fixture* fixture =
      new Fixture();  // never destroyed: threads may outlive main's statics
  return *fixture;
}

void BM_BreakerGuardedCall(benchmark::State& state) {
  cohort::CircuitBreaker& breaker = *Shared().breaker;
  for (auto _ : state) {
    absl::StatusOr<cohort::CircuitBreaker::Permit> permit = breaker.Acquire();
    permit->Record(absl::OkStatus());
  }
}
BENCHMARK(BM_BreakerGuardedCall);
BENCHMARK(BM_BreakerGuardedCall)->Threads(2);

void BM_BreakerCallWrapper(benchmark::State& state) {
  cohort::CircuitBreaker& breaker = *Shared().breaker;
  int x = 0;
  for (auto _ : state) {
    absl::Status s = breaker.Call([&x] {
      benchmark::DoNotOptimize(++x);
      return absl::OkStatus();
    });
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_BreakerCallWrapper);

void BM_MutexCounter(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) {
    std::lock_guard<std::mutex> lock(f.mu);
    benchmark::DoNotOptimize(++f.counter);
  }
}
BENCHMARK(BM_MutexCounter);
BENCHMARK(BM_MutexCounter)->Threads(2);

void BM_RetrySuccessPath(benchmark::State& state) {
  cohort::RetryPolicy& retry = *Shared().retry;
  int x = 0;
  for (auto _ : state) {
    absl::Status s = retry.Run(cohort::Idempotency::kIdempotent, [&x] {
      benchmark::DoNotOptimize(++x);
      return absl::OkStatus();
    });
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_RetrySuccessPath);

}  // namespace

BENCHMARK_MAIN();
