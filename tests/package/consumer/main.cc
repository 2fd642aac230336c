// A program outside the cohort tree, built against the package: it must
// compile and link with nothing but find_package(cohort) / add_subdirectory.
#include <cstdio>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/context.h"
#include "cohort/base/deadline.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/base/status.h"
#include "cohort/consensus/consensus_log.h"
#include "cohort/quorum/quorum_call.h"
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/retry_policy.h"
#include "cohort/ring/hash_ring.h"
#include "cohort/ring/ketama.h"
#include "cohort/transport/simulated_network.h"

namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  COHORT_ASSIGN_OR_RETURN(int half, Half(n));
  return Half(half);
}

}  // namespace

int main() {
  asio::io_context io;
  cohort::SimulatedClock clock;
  cohort::Context ctx{.executor = io.get_executor(), .clock = &clock, .seed = 1};
  if (!ctx.Validate().ok()) return 1;

  absl::Status slept = absl::UnknownError("not run");
  asio::co_spawn(
      io,
      [&]() -> cohort::Awaitable<void> {
        slept = co_await cohort::WithTimeout(clock, absl::Seconds(1),
                                             clock.SleepFor(absl::Seconds(5)));
      },
      asio::detached);
  io.poll();
  clock.AdvanceTime(absl::Seconds(1));
  io.restart();
  io.poll();
  if (slept.code() != absl::StatusCode::kDeadlineExceeded) return 2;

  if (!Quarter(8).ok() || Quarter(6).ok()) return 3;
  auto hint = cohort::consensus::LeaderHintOf(cohort::consensus::WithLeaderHint(
      absl::UnavailableError("follower"), {.id = 2, .address = "127.0.0.1:7002"}));
  if (!hint.has_value() || hint->id != 2) return 4;
  // Resilience: a breaker that trips after two failures out of two calls.
  cohort::CircuitBreakerOptions breaker_options;
  breaker_options.sliding_window_size = 2;
  breaker_options.minimum_number_of_calls = 2;
  auto breaker = cohort::CircuitBreaker::Create(breaker_options, ctx);
  if (!breaker.ok()) return 5;
  for (int i = 0; i < 2; ++i) {
    (void)(*breaker)->Call([] { return absl::UnavailableError("down"); });
  }
  if ((*breaker)->state() != cohort::CircuitState::kOpen) return 6;
  auto retry = cohort::RetryPolicy::Create({}, ctx);
  if (!retry.ok()) return 7;

  // Placement.
  auto ring = cohort::ring::HashRing::Create({{"a", 1.0}, {"b", 1.0}, {"c", 2.0}});
  if (!ring.ok() || !ring->Owner("user:1").ok()) return 8;
  auto ketama = cohort::ring::KetamaRing::Create({{"10.0.0.1", 11211, 1}});
  if (!ketama.ok() || *ketama->OwnerIndex("k") != 0) return 9;

  // A simulated network endpoint.
  cohort::transport::SimulatedNetwork net(clock, io.get_executor(), 1);
  if (!net.NewEndpoint("node-1").ok()) return 10;

  std::printf("consumer ok: random %llu\n",
              static_cast<unsigned long long>(ctx.NewRandom("demo").Uniform(100)));
  return 0;
}
