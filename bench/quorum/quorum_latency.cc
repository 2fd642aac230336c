// Quorum call latency under injected per-replica latency distributions, on
// simulated time (so the numbers are a property of the algorithm, not of the
// machine). Prints JSON: for each scenario, p50/p99 of QuorumCall with and
// without hedging, the requests it sent, and the floor any quorum call can
// reach: the W-th order statistic of the N replica latencies of each round.
//
//   build/bench/quorum/quorum_latency [rounds] [seed]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/random.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/quorum/quorum_call.h"
#include "cohort/testing/simulation.h"

namespace {

using cohort::quorum::HedgingOptions;

// A replica's latency: lognormal-ish body with an occasional slow tail.
struct Distribution {
  const char* name;
  absl::Duration fast_min, fast_max;  // most answers
  double slow_probability;
  absl::Duration slow_min, slow_max;  // a GC pause, a slow disk
};

absl::Duration Draw(cohort::Random& random, const Distribution& d) {
  if (random.Bernoulli(d.slow_probability)) return random.UniformDuration(d.slow_min, d.slow_max);
  return random.UniformDuration(d.fast_min, d.fast_max);
}

struct Summary {
  double p50_ms, p99_ms;
  double requests_per_call;
};

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

Summary Summarise(std::vector<absl::Duration> v, long requests) {
  std::sort(v.begin(), v.end());
  return {Ms(v[v.size() / 2]), Ms(v[v.size() * 99 / 100]),
          static_cast<double>(requests) / static_cast<double>(v.size())};
}

// Runs `rounds` quorum calls; replica i in round r answers after latencies[r][i].
Summary Run(const std::vector<std::vector<absl::Duration>>& latencies, std::size_t w,
            HedgingOptions hedging) {
  asio::io_context io;
  cohort::SimulatedClock clock;
  std::vector<absl::Duration> took;
  long requests = 0;
  for (const auto& round : latencies) {
    const absl::Time start = clock.Now();
    std::function<cohort::Awaitable<absl::StatusOr<int>>(std::size_t)> call =
        [&](std::size_t i) -> cohort::Awaitable<absl::StatusOr<int>> {
      ++requests;
      absl::Status slept = co_await clock.SleepFor(round[i]);
      if (!slept.ok()) co_return slept;
      co_return 1;
    };
    const cohort::quorum::QuorumOptions options{.required = w, .hedging = hedging};
    asio::co_spawn(
        io,
        [&]() -> cohort::Awaitable<void> {
          auto r = co_await cohort::quorum::QuorumCall<int>(clock, round.size(), call, options);
          if (!r.ok()) std::abort();
        },
        asio::detached);
    cohort::testing::RunUntilIdle(io, clock);
    took.push_back(clock.Now() - start);
  }
  return Summarise(std::move(took), requests);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const Distribution distributions[] = {
      {"uniform 5-15ms", absl::Milliseconds(5), absl::Milliseconds(15), 0, {}, {}},
      {"5-15ms, 5% at 100-300ms", absl::Milliseconds(5), absl::Milliseconds(15), 0.05,
       absl::Milliseconds(100), absl::Milliseconds(300)},
      {"5-15ms, 10% at 200-400ms", absl::Milliseconds(5), absl::Milliseconds(15), 0.10,
       absl::Milliseconds(200), absl::Milliseconds(400)},
  };
  struct Shape {
    std::size_t n, w;
  };
  const Shape shapes[] = {{3, 2}, {5, 3}};

  std::printf("{\"rounds\": %d, \"seed\": %llu, \"scenarios\": [\n", rounds,
              static_cast<unsigned long long>(seed));
  bool first = true;
  for (const Shape& shape : shapes) {
    for (const Distribution& d : distributions) {
      cohort::Random random(seed);
      std::vector<std::vector<absl::Duration>> latencies(rounds);
      std::vector<absl::Duration> floor;
      for (auto& round : latencies) {
        for (std::size_t i = 0; i < shape.n; ++i) round.push_back(Draw(random, d));
        std::vector<absl::Duration> sorted = round;
        std::sort(sorted.begin(), sorted.end());
        floor.push_back(sorted[shape.w - 1]);
      }
      const Summary all = Run(latencies, shape.w, {});
      const Summary hedged = Run(latencies, shape.w, {.delay = absl::Milliseconds(20)});
      const Summary best = Summarise(floor, 0);
      std::printf(
          "%s  {\"n\": %zu, \"w\": %zu, \"replica_latency\": \"%s\",\n"
          "   \"wth_order_statistic\": {\"p50_ms\": %.2f, \"p99_ms\": %.2f},\n"
          "   \"all_n_at_once\": {\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"requests_per_call\": %.2f},\n"
          "   \"w_then_hedge_after_20ms\": {\"p50_ms\": %.2f, \"p99_ms\": %.2f, "
          "\"requests_per_call\": %.2f}}",
          first ? "" : ",\n", shape.n, shape.w, d.name, best.p50_ms, best.p99_ms, all.p50_ms,
          all.p99_ms, all.requests_per_call, hedged.p50_ms, hedged.p99_ms,
          hedged.requests_per_call);
      first = false;
    }
  }
  std::printf("\n]}\n");
  return 0;
}
