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
  std::printf("consumer ok: random %llu\n",
              static_cast<unsigned long long>(ctx.NewRandom("demo").Uniform(100)));
  return 0;
}
