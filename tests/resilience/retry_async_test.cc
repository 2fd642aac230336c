// RetryPolicy (coroutine form) on simulated time, including cancellation.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <optional>

#include "cohort/resilience/retry_policy.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MakeContext;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RetryAsyncTest : public ::testing::Test {
 protected:
  RetryAsyncTest() {
    RetryOptions o;
    o.max_attempts = 4;
    o.jitter = Jitter::kNone;
    o.initial_backoff = absl::Seconds(1);
    policy_ = std::move(*RetryPolicy::Create(o, MakeContext(&clock_)));
  }

  template <typename T>
  void Spawn(Awaitable<T> work, std::optional<T>& out) {
    asio::co_spawn(io_, std::move(work),
                   asio::bind_cancellation_slot(signal_.slot(),
                                                [&out](std::exception_ptr e, T value) {
                                                  EXPECT_EQ(e, nullptr);
                                                  out = std::move(value);
                                                }));
  }

  asio::io_context io_;
  SimulatedClock clock_;
  asio::cancellation_signal signal_;
  std::unique_ptr<RetryPolicy> policy_;
};

TEST_F(RetryAsyncTest, RetriesWithBackoffOnSimulatedTime) {
  std::vector<absl::Duration> attempt_times;
  const absl::Time start = clock_.Now();
  std::optional<absl::StatusOr<int>> result;
  Spawn(policy_->AsyncRun(Idempotency::kIdempotent,
                          [&]() -> Awaitable<absl::StatusOr<int>> {
                            attempt_times.push_back(clock_.Now() - start);
                            if (attempt_times.size() < 3) co_return Fail();
                            co_return 5;
                          }),
        result);
  testing::RunUntilIdle(io_, clock_);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOkAndHolds(5));
  EXPECT_THAT(attempt_times,
              ElementsAre(absl::ZeroDuration(), absl::Seconds(1), absl::Seconds(3)));
}

TEST_F(RetryAsyncTest, NonIdempotentGateAppliesToo) {
  int calls = 0;
  std::optional<absl::Status> result;
  Spawn(policy_->AsyncRun(Idempotency::kNonIdempotent,
                          [&]() -> Awaitable<absl::Status> {
                            ++calls;
                            co_return Fail();
                          }),
        result);
  testing::RunUntilIdle(io_, clock_);
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(*result,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not idempotent")));
}

TEST_F(RetryAsyncTest, CancelledWhileWaitingStopsRetrying) {
  int calls = 0;
  std::optional<absl::Status> result;
  Spawn(policy_->AsyncRun(Idempotency::kIdempotent,
                          [&]() -> Awaitable<absl::Status> {
                            ++calls;
                            co_return Fail();
                          }),
        result);
  testing::RunReady(io_);
  ASSERT_EQ(calls, 1);
  ASSERT_EQ(clock_.PendingSleepers(), 1u);  // waiting for the 1 s backoff
  signal_.emit(asio::cancellation_type::terminal);
  testing::RunReady(io_);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result,
              StatusIs(absl::StatusCode::kCancelled,
                       HasSubstr("cancelled while waiting to retry after attempt 1")));
  testing::RunUntilIdle(io_, clock_);
  EXPECT_EQ(calls, 1);  // no attempt after cancellation
}

TEST_F(RetryAsyncTest, CancelledDuringAnAttemptStartsNoOther) {
  int calls = 0;
  std::optional<absl::Status> result;
  Spawn(policy_->AsyncRun(Idempotency::kIdempotent,
                          [&]() -> Awaitable<absl::Status> {
                            ++calls;
                            absl::Status slept =
                                co_await clock_.SleepFor(absl::Seconds(10));
                            if (!slept.ok())
                              co_return absl::UnavailableError("interrupted");
                            co_return Fail();
                          }),
        result);
  testing::RunReady(io_);
  signal_.emit(asio::cancellation_type::terminal);
  testing::RunUntilIdle(io_, clock_);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("interrupted")));
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryAsyncTest, PushbackWaitsTheServersDelay) {
  std::vector<absl::Duration> attempt_times;
  const absl::Time start = clock_.Now();
  std::optional<absl::Status> result;
  Spawn(policy_->AsyncRun(Idempotency::kIdempotent,
                          [&]() -> Awaitable<absl::Status> {
                            attempt_times.push_back(clock_.Now() - start);
                            if (attempt_times.size() == 1) {
                              co_return WithRetryAfter(Fail(), absl::Seconds(9));
                            }
                            co_return absl::OkStatus();
                          }),
        result);
  testing::RunUntilIdle(io_, clock_);
  EXPECT_THAT(attempt_times, ElementsAre(absl::ZeroDuration(), absl::Seconds(9)));
}

}  // namespace
}  // namespace cohort
