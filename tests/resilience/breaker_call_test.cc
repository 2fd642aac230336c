// The Call / AsyncCall wrappers.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MustCreate;
using ::cohort::resilience_test::SmallCountOptions;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;

TEST(BreakerCallTest, ReturnsValueAndRecords) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  absl::StatusOr<int> v = b->Call([]() -> absl::StatusOr<int> { return 7; });
  EXPECT_THAT(v, IsOkAndHolds(7));
  EXPECT_EQ(b->Metrics().buffered_calls, 1);
}

TEST(BreakerCallTest, RejectionConvertsToTheResultType) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  for (int i = 0; i < 10; ++i) (void)b->Call([] { return Fail(); });
  absl::StatusOr<int> v = b->Call([]() -> absl::StatusOr<int> { return 7; });
  EXPECT_THAT(v, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(v.status()));
}

TEST(BreakerCallTest, AsyncCallMeasuresSlowCallsOnSimulatedTime) {
  asio::io_context io;
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.slow_call_duration_threshold = absl::Seconds(1);
  auto b = MustCreate(o, &clock);
  std::optional<absl::StatusOr<std::string>> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await b->AsyncCall([&]() -> Awaitable<absl::StatusOr<std::string>> {
          absl::Status slept = co_await clock.SleepFor(absl::Seconds(2));
          if (!slept.ok()) co_return slept;
          co_return std::string("done");
        });
      },
      asio::detached);
  testing::RunUntilIdle(io, clock);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOkAndHolds(std::string("done")));
  EXPECT_EQ(b->Metrics().slow_calls, 1);
}

TEST(BreakerCallTest, AsyncCallRejectedWhenOpen) {
  asio::io_context io;
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  b->ForceOpen();
  std::optional<absl::Status> result;
  bool called = false;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await b->AsyncCall([&]() -> Awaitable<absl::Status> {
          called = true;
          co_return absl::OkStatus();
        });
      },
      asio::detached);
  testing::RunReady(io);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace cohort
