#include "cohort/quorum/quorum_call.h"

#include <optional>
#include <string>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/simulated_clock.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::quorum {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A replica that answers after `latency` with its value, or with `error`.
struct FakeReplica {
  absl::Duration latency;
  absl::Status error = absl::OkStatus();
  int value = 0;
  bool started = false;
  bool saw_cancellation = false;
};

class QuorumCallTest : public ::testing::Test {
 protected:
  using Result = absl::StatusOr<QuorumResult<int>>;

  std::function<Awaitable<absl::StatusOr<int>>(std::size_t)> Caller() {
    return [this](std::size_t i) -> Awaitable<absl::StatusOr<int>> {
      FakeReplica& r = replicas_[i];
      r.started = true;
      absl::Status slept = co_await clock_.SleepFor(r.latency);
      if (!slept.ok()) {
        r.saw_cancellation = true;
        co_return slept;
      }
      if (!r.error.ok()) co_return r.error;
      co_return r.value;
    };
  }

  // Runs one quorum call to completion on simulated time.
  Result Run(QuorumOptions options) {
    std::optional<Result> result;
    asio::co_spawn(
        io_,
        [&]() -> Awaitable<void> {
          result = co_await QuorumCall<int>(clock_, replicas_.size(), Caller(), options);
          finished_at_ = clock_.Now();
        },
        asio::detached);
    testing::RunUntilIdle(io_, clock_);
    EXPECT_TRUE(result.has_value());
    return result.value_or(absl::InternalError("did not finish"));
  }

  absl::Duration Elapsed() const { return finished_at_ - start_; }

  asio::io_context io_;
  SimulatedClock clock_;
  absl::Time start_ = clock_.Now();
  absl::Time finished_at_;
  std::vector<FakeReplica> replicas_;
};

TEST_F(QuorumCallTest, CompletesAtTheWthAnswerAndCancelsTheRest) {
  replicas_ = {{absl::Milliseconds(30), {}, 1}, {absl::Milliseconds(10), {}, 2},
               {absl::Milliseconds(20), {}, 3}};
  Result r = Run({.required = 2});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Elapsed(), absl::Milliseconds(20));
  EXPECT_THAT(r->values, ElementsAre(Pair(1, 2), Pair(2, 3)));
  EXPECT_EQ(r->replicas[0].state, ReplicaState::kCancelled);
  EXPECT_EQ(r->replicas[1].state, ReplicaState::kSucceeded);
  EXPECT_EQ(r->replicas[1].latency, absl::Milliseconds(10));
  EXPECT_TRUE(replicas_[0].saw_cancellation);  // the slow replica observed it
  EXPECT_EQ(clock_.PendingSleepers(), 0u);
}

TEST_F(QuorumCallTest, FailsFastOnceQuorumIsImpossible) {
  replicas_ = {{absl::Milliseconds(5), absl::UnavailableError("disk full")},
               {absl::Milliseconds(6), absl::UnavailableError("refused")},
               {absl::Seconds(10), {}, 3}};
  Result r = Run({.required = 2});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("quorum of 2 out of 3"), HasSubstr("disk full"),
                                HasSubstr("refused"))));
  EXPECT_EQ(Elapsed(), absl::Milliseconds(6));
  EXPECT_TRUE(replicas_[2].saw_cancellation);
}

TEST_F(QuorumCallTest, DeadlineCancelsEverything) {
  replicas_ = {{absl::Seconds(5)}, {absl::Seconds(6)}, {absl::Milliseconds(1), {}, 7}};
  Result r = Run({.required = 2, .deadline = start_ + absl::Seconds(1)});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded,
                          HasSubstr("1 succeeded, 2 still in flight")));
  EXPECT_EQ(Elapsed(), absl::Seconds(1));
  EXPECT_TRUE(replicas_[0].saw_cancellation);
  EXPECT_TRUE(replicas_[1].saw_cancellation);
}

TEST_F(QuorumCallTest, CallerCancellationPropagates) {
  replicas_ = {{absl::Seconds(5)}, {absl::Seconds(6)}};
  asio::cancellation_signal signal;
  std::optional<Result> result;
  asio::co_spawn(
      io_,
      [&]() -> Awaitable<void> {
        result = co_await QuorumCall<int>(clock_, 2, Caller(), {.required = 1});
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  testing::RunReady(io_);
  signal.emit(asio::cancellation_type::terminal);
  testing::RunUntilIdle(io_, clock_);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(replicas_[0].saw_cancellation);
  EXPECT_TRUE(replicas_[1].saw_cancellation);
}

TEST_F(QuorumCallTest, HedgingSendsASpareAfterTheDelay) {
  replicas_ = {{absl::Milliseconds(100), {}, 1}, {absl::Milliseconds(5), {}, 2},
               {absl::Milliseconds(5), {}, 3}};
  Result r = Run({.required = 1, .hedging = {.delay = absl::Milliseconds(10)}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Elapsed(), absl::Milliseconds(15));  // spare at 10 ms answers at 15 ms
  EXPECT_THAT(r->values, ElementsAre(Pair(1, 2)));
  EXPECT_EQ(r->replicas[0].state, ReplicaState::kCancelled);
  EXPECT_EQ(r->replicas[2].state, ReplicaState::kNotContacted);
  EXPECT_FALSE(replicas_[2].started);
}

TEST_F(QuorumCallTest, HedgingReplacesAFailedReplicaAtOnce) {
  replicas_ = {{absl::Milliseconds(1), absl::UnavailableError("down")},
               {absl::Milliseconds(5), {}, 9}};
  Result r = Run({.required = 1, .hedging = {.delay = absl::Seconds(1)}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Elapsed(), absl::Milliseconds(6));
  EXPECT_EQ(r->replicas[0].state, ReplicaState::kFailed);
}

TEST_F(QuorumCallTest, HedgingDelayFollowsTheTrackedPercentile) {
  LatencyTracker tracker(100, 10);
  for (int i = 1; i <= 100; ++i) tracker.Record(absl::Milliseconds(i));  // p50 = 50 ms
  replicas_ = {{absl::Seconds(1), {}, 1}, {absl::Milliseconds(1), {}, 2}};
  Result r = Run({.required = 1,
                  .hedging = {.delay = absl::Seconds(9), .tracker = &tracker, .percentile = 0.5}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Elapsed(), absl::Milliseconds(51));
}

TEST_F(QuorumCallTest, RejectsImpossibleOptions) {
  replicas_ = {{absl::Milliseconds(1)}, {absl::Milliseconds(1)}};
  EXPECT_THAT(Run({.required = 0}), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("between 1 and the number")));
  EXPECT_THAT(Run({.required = 3}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Run({.required = 1, .hedging = {.percentile = 1.5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("percentile")));
  replicas_.clear();
  EXPECT_THAT(Run({.required = 1}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LatencyTrackerTest, NearestRankPercentilesOverAWindow) {
  LatencyTracker tracker(/*window=*/4, /*min_samples=*/2);
  tracker.Record(absl::Milliseconds(40));
  EXPECT_FALSE(tracker.Percentile(0.5).has_value());
  tracker.Record(absl::Milliseconds(10));
  tracker.Record(absl::Milliseconds(30));
  tracker.Record(absl::Milliseconds(20));
  EXPECT_EQ(tracker.Percentile(0.5), absl::Milliseconds(20));
  EXPECT_EQ(tracker.Percentile(1.0), absl::Milliseconds(40));
  tracker.Record(absl::Milliseconds(1));  // evicts the oldest (40 ms)
  EXPECT_EQ(tracker.size(), 4u);
  EXPECT_EQ(tracker.Percentile(1.0), absl::Milliseconds(30));
}

}  // namespace
}  // namespace cohort::quorum
