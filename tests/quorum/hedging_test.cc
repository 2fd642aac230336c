// Hedging under injected slow replicas: with a spare request after a short
// delay, the p95 of quorum latency falls to about delay + a normal answer,
// at the cost of a few extra requests. Simulated time, seeded latencies.
#include <algorithm>
#include <optional>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/random.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/quorum/quorum_call.h"
#include "cohort/testing/simulation.h"
#include "gtest/gtest.h"

namespace cohort::quorum {
namespace {

struct TailStats {
  absl::Duration p50, p95, p99;
  int requests = 0;
};

// 2-of-3 quorum calls where each replica answers in 5-15 ms, except with
// probability 10% in 200-400 ms (a GC pause, a slow disk).
TailStats Measure(std::uint64_t seed, HedgingOptions hedging) {
  constexpr int kCalls = 400;
  asio::io_context io;
  SimulatedClock clock;
  Random random(seed);
  std::vector<absl::Duration> latencies;
  int requests = 0;
  for (int n = 0; n < kCalls; ++n) {
    const absl::Time start = clock.Now();
    std::optional<absl::StatusOr<QuorumResult<int>>> result;
    auto call = [&](std::size_t) -> Awaitable<absl::StatusOr<int>> {
      ++requests;
      const absl::Duration latency =
          random.Bernoulli(0.1)
              ? random.UniformDuration(absl::Milliseconds(200), absl::Milliseconds(400))
              : random.UniformDuration(absl::Milliseconds(5), absl::Milliseconds(15));
      absl::Status slept = co_await clock.SleepFor(latency);
      if (!slept.ok()) co_return slept;
      co_return 1;
    };
    asio::co_spawn(
        io,
        [&]() -> Awaitable<void> {
          result = co_await QuorumCall<int>(clock, 3, call, {.required = 2, .hedging = hedging});
        },
        asio::detached);
    testing::RunUntilIdle(io, clock);
    EXPECT_TRUE(result.has_value() && result->ok());
    latencies.push_back(clock.Now() - start);
  }
  std::sort(latencies.begin(), latencies.end());
  return {latencies[kCalls / 2], latencies[kCalls * 95 / 100], latencies[kCalls * 99 / 100],
          requests};
}

TEST(HedgingTest, SpareRequestsCutTheTail) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    // Only W requests and a spare so late it never helps: the plain W-of-W tail.
    const TailStats plain = Measure(seed, {.delay = absl::Hours(1)});
    const TailStats hedged = Measure(seed, {.delay = absl::Milliseconds(20)});
    // Without a spare, every call that drew a slow replica (about 19%) is slow.
    EXPECT_GE(plain.p95, absl::Milliseconds(200));
    // With one, only calls that drew two slow replicas out of three (about
    // 3%) are: the p95 falls to the delay plus a normal answer.
    EXPECT_LE(hedged.p95, absl::Milliseconds(40));
    EXPECT_LE(hedged.p99, plain.p99);
    EXPECT_LE(hedged.p50, plain.p50 + absl::Milliseconds(1));
    // About one call in five needs a spare (two draws, 10% slow each).
    EXPECT_LE(hedged.requests, 800 + 800 / 3);
    std::printf("seed %llu: plain p50 %s p95 %s (%d requests); hedged p50 %s p95 %s (%d)\n",
                static_cast<unsigned long long>(seed), absl::FormatDuration(plain.p50).c_str(),
                absl::FormatDuration(plain.p95).c_str(), plain.requests,
                absl::FormatDuration(hedged.p50).c_str(),
                absl::FormatDuration(hedged.p95).c_str(), hedged.requests);
  }
}

}  // namespace
}  // namespace cohort::quorum
