// The linearizability checker on generated linearizable histories (the
// expensive verdict: the whole search space that matters is explored), by
// size, concurrency and share of unknown outcomes; and the history parser.
//
//   ninja lincheck_bench && bench/testing/lincheck_bench
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "cohort/base/random.h"
#include "cohort/testing/history.h"
#include "cohort/testing/history_generator.h"
#include "cohort/testing/linearizability.h"

namespace {

using cohort::testing::CheckLinearizability;
using cohort::testing::CheckOutcome;
using cohort::testing::Operation;

// Args: operations, keys, clients, unknown outcomes per thousand.
std::vector<Operation> Generate(const benchmark::State& state) {
  cohort::Random random(7);
  cohort::testing::RegisterHistoryOptions options;
  options.operations = static_cast<std::size_t>(state.range(0));
  options.keys = static_cast<int>(state.range(1));
  options.clients = static_cast<int>(state.range(2));
  options.unknown_fraction = static_cast<double>(state.range(3)) / 1000.0;
  return *cohort::testing::GenerateRegisterHistory(random, options);
}

void BM_Check(benchmark::State& state) {
  const std::vector<Operation> history = Generate(state);
  const auto model = cohort::testing::NewRegisterModel();
  std::int64_t steps = 0;
  for (auto _ : state) {
    auto result = CheckLinearizability(history, *model);
    if (!result.ok() || result->outcome != CheckOutcome::kLinearizable) {
      state.SkipWithError("generated history not linearizable");
      return;
    }
    steps = result->steps;
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["ops/s"] = benchmark::Counter(
      static_cast<double>(history.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Check)
    ->ArgNames({"ops", "keys", "clients", "unknown_permille"})
    ->Args({1000, 10, 8, 0})
    ->Args({10000, 10, 8, 0})
    ->Args({10000, 10, 8, 10})
    ->Args({10000, 1, 8, 0})
    ->Args({2000, 1, 16, 0})
    ->Unit(benchmark::kMillisecond);

void BM_Parse(benchmark::State& state) {
  const std::string text = cohort::testing::FormatHistory(Generate(state));
  for (auto _ : state) {
    auto history = cohort::testing::ParseHistory(text);
    benchmark::DoNotOptimize(history);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Parse)
    ->ArgNames({"ops", "keys", "clients", "unknown_permille"})
    ->Args({10000, 10, 8, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
