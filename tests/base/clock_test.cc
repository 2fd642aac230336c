#include "cohort/base/clock.h"

#include <thread>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/simulated_clock.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;

TEST(SimulatedClockTest, TimeMovesOnlyWhenTold) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  SimulatedClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  clock.AdvanceTime(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(5));
  clock.AdvanceTime(-absl::Seconds(3));  // ignored
  clock.SetTime(start);                  // earlier: ignored
  EXPECT_EQ(clock.Now(), start + absl::Seconds(5));
  clock.SetTime(start + absl::Seconds(9));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(9));
}

TEST(SimulatedClockTest, SleepersWakeInDeadlineThenArrivalOrder) {
  asio::io_context io;
  SimulatedClock clock;
  std::vector<int> order;
  auto sleeper = [&](int id, absl::Duration d) -> Awaitable<void> {
    absl::Status s = co_await clock.SleepFor(d);
    EXPECT_THAT(s, IsOk());
    order.push_back(id);
  };
  asio::co_spawn(io, sleeper(1, absl::Seconds(3)), asio::detached);
  asio::co_spawn(io, sleeper(2, absl::Seconds(1)), asio::detached);
  asio::co_spawn(io, sleeper(3, absl::Seconds(3)), asio::detached);
  asio::co_spawn(io, sleeper(4, absl::Seconds(2)), asio::detached);
  testing::RunReady(io);
  EXPECT_EQ(clock.PendingSleepers(), 4u);
  EXPECT_TRUE(order.empty());

  clock.AdvanceTime(absl::Milliseconds(1999));
  testing::RunReady(io);
  EXPECT_THAT(order, ElementsAre(2));

  clock.AdvanceTime(absl::Seconds(10));
  testing::RunReady(io);
  EXPECT_THAT(order, ElementsAre(2, 4, 1, 3));
  EXPECT_EQ(clock.PendingSleepers(), 0u);
  EXPECT_FALSE(clock.NextWakeup().has_value());
}

TEST(SimulatedClockTest, PastDeadlineCompletesThroughExecutor) {
  asio::io_context io;
  SimulatedClock clock;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        EXPECT_THAT(co_await clock.SleepUntil(clock.Now() - absl::Seconds(1)), IsOk());
        EXPECT_THAT(co_await clock.SleepFor(absl::ZeroDuration()), IsOk());
        done = true;
      },
      asio::detached);
  EXPECT_FALSE(done);
  testing::RunReady(io);
  EXPECT_TRUE(done);
}

TEST(SimulatedClockTest, SleepIsCancellable) {
  asio::io_context io;
  SimulatedClock clock;
  asio::cancellation_signal signal;
  std::optional<absl::Status> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> { result = co_await clock.SleepFor(absl::Hours(1)); },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  testing::RunReady(io);
  EXPECT_EQ(clock.PendingSleepers(), 1u);
  signal.emit(asio::cancellation_type::terminal);
  testing::RunReady(io);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(clock.PendingSleepers(), 0u);
  // A later advance does not resume it twice.
  clock.AdvanceTime(absl::Hours(2));
  testing::RunReady(io);
}

TEST(SimulatedClockTest, AwaitableOperatorRaceCancelsTheLoser) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  SimulatedClock clock;
  std::optional<std::size_t> winner;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        auto r = co_await (clock.SleepFor(absl::Seconds(1)) ||
                           clock.SleepFor(absl::Seconds(5)));
        winner = r.index();
      },
      asio::detached);
  testing::RunUntilIdle(io, clock);
  ASSERT_TRUE(winner.has_value());
  EXPECT_EQ(*winner, 0u);
  EXPECT_EQ(clock.PendingSleepers(), 0u);  // the 5 s sleep was cancelled
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Hours(24) + absl::Seconds(1));
}

TEST(SimulatedClockTest, RunUntilIdleStopsAtHorizon) {
  asio::io_context io;
  SimulatedClock clock;
  int ticks = 0;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        for (;;) {
          if (!(co_await clock.SleepFor(absl::Seconds(1))).ok()) co_return;
          ++ticks;
        }
      },
      asio::detached);
  const absl::Time start = clock.Now();
  EXPECT_EQ(testing::RunUntilIdle(io, clock, start + absl::Seconds(10)), 10u);
  EXPECT_EQ(ticks, 10);
  EXPECT_EQ(clock.Now(), start + absl::Seconds(10));
}

TEST(SimulatedClockTest, DestructionCancelsPendingSleepers) {
  asio::io_context io;
  std::optional<absl::Status> result;
  {
    SimulatedClock clock;
    asio::co_spawn(
        io,
        [&]() -> Awaitable<void> { result = co_await clock.SleepFor(absl::Hours(1)); },
        asio::detached);
    testing::RunReady(io);
  }
  testing::RunReady(io);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
}

TEST(SimulatedClockTest, BlockUntilWakesWhenAnotherThreadAdvances) {
  SimulatedClock clock;
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  std::thread waiter([&] { clock.BlockUntil(deadline); });
  // Advance in steps; the waiter returns only once the deadline is reached.
  for (int i = 0; i < 3; ++i) clock.AdvanceTime(absl::Seconds(10));
  waiter.join();
  EXPECT_GE(clock.Now(), deadline);
}

TEST(RealClockTest, NowIsMonotonicAndSleepCompletes) {
  auto clock = NewRealClock();
  absl::Time prev = clock->Now();
  for (int i = 0; i < 1000; ++i) {
    absl::Time t = clock->Now();
    ASSERT_GE(t, prev);
    prev = t;
  }
  asio::io_context io;
  std::optional<absl::Status> result;
  const absl::Time before = clock->Now();
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> { result = co_await clock->SleepFor(absl::Milliseconds(5)); },
      asio::detached);
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOk());
  EXPECT_GE(clock->Now() - before, absl::Milliseconds(5));
}

TEST(RealClockTest, SleepIsCancellable) {
  auto clock = NewRealClock();
  asio::io_context io;
  asio::cancellation_signal signal;
  std::optional<absl::Status> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> { result = co_await clock->SleepFor(absl::Hours(1)); },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
}

TEST(RealClockTest, BlockForWaitsAtLeastTheDuration) {
  auto clock = NewRealClock();
  const absl::Time before = clock->Now();
  clock->BlockFor(absl::Milliseconds(3));
  EXPECT_GE(clock->Now() - before, absl::Milliseconds(3));
}

}  // namespace
}  // namespace cohort
