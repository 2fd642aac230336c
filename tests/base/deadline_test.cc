#include "cohort/base/deadline.h"

#include <optional>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/blocking.h"
#include "cohort/base/status.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

// An operation that takes `d` of simulated time and reports whether it was
// cancelled.
Awaitable<absl::StatusOr<int>> SlowOp(Clock& clock, absl::Duration d, bool* cancelled) {
  absl::Status s = co_await clock.SleepFor(d);
  if (!s.ok()) {
    *cancelled = true;
    co_return s;
  }
  co_return 42;
}

TEST(WithDeadlineTest, OperationFinishingFirstWins) {
  asio::io_context io;
  SimulatedClock clock;
  bool cancelled = false;
  std::optional<absl::StatusOr<int>> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await WithTimeout(clock, absl::Seconds(5),
                                      SlowOp(clock, absl::Seconds(1), &cancelled));
      },
      asio::detached);
  testing::RunUntilIdle(io, clock);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOkAndHolds(42));
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(clock.PendingSleepers(), 0u);
}

TEST(WithDeadlineTest, DeadlineCancelsTheOperation) {
  asio::io_context io;
  SimulatedClock clock;
  const absl::Time start = clock.Now();
  bool cancelled = false;
  std::optional<absl::StatusOr<int>> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await WithTimeout(clock, absl::Seconds(2),
                                      SlowOp(clock, absl::Seconds(60), &cancelled),
                                      "fetching shard 3");
      },
      asio::detached);
  testing::RunUntilIdle(io, clock);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                HasSubstr("fetching shard 3")));
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(clock.Now(), start + absl::Seconds(2));
}

TEST(WithDeadlineTest, CallerCancellationIsReportedAsCancelled) {
  asio::io_context io;
  SimulatedClock clock;
  bool cancelled = false;
  asio::cancellation_signal signal;
  std::optional<absl::StatusOr<int>> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await WithTimeout(clock, absl::Seconds(10),
                                      SlowOp(clock, absl::Seconds(60), &cancelled));
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  testing::RunReady(io);
  signal.emit(asio::cancellation_type::terminal);
  testing::RunReady(io);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(cancelled);
}

TEST(WithDeadlineTest, PlainStatusOperations) {
  asio::io_context io;
  SimulatedClock clock;
  std::optional<absl::Status> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result = co_await WithTimeout(clock, absl::Seconds(1),
                                      clock.SleepFor(absl::Seconds(3)));
      },
      asio::detached);
  testing::RunUntilIdle(io, clock);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(RunBlockingTest, ReturnsTheValue) {
  auto clock = NewRealClock();
  auto op = [&]() -> Awaitable<absl::StatusOr<int>> {
    COHORT_CO_RETURN_IF_ERROR(co_await clock->SleepFor(absl::Milliseconds(1)));
    co_return 7;
  };
  EXPECT_THAT(RunBlocking(op()), IsOkAndHolds(7));
}

}  // namespace
}  // namespace cohort
