#include <string>

#include "cohort/resilience/circuit_breaker.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::MakeContext;
using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

absl::Status CreateWith(void (*mutate)(CircuitBreakerOptions&)) {
  SimulatedClock clock;
  CircuitBreakerOptions o;
  o.name = "orders";
  mutate(o);
  return CircuitBreaker::Create(o, MakeContext(&clock)).status();
}

TEST(CircuitBreakerOptionsTest, DefaultsAreValid) {
  EXPECT_THAT(CircuitBreakerOptions().Validate(), IsOk());
  EXPECT_THAT(CircuitBreakerOptions::LikeGobreaker().Validate(), IsOk());
}

TEST(CircuitBreakerOptionsTest, DefaultsFollowResilience4j) {
  CircuitBreakerOptions o;
  EXPECT_EQ(o.sliding_window_type, SlidingWindowType::kCountBased);
  EXPECT_EQ(o.sliding_window_size, 100);
  EXPECT_EQ(o.minimum_number_of_calls, 100);
  EXPECT_EQ(o.failure_rate_threshold, 0.5);
  EXPECT_EQ(o.slow_call_rate_threshold, 1.0);
  EXPECT_EQ(o.wait_duration_in_open_state, absl::Seconds(60));
  EXPECT_EQ(o.permitted_calls_in_half_open_state, 10);
}

TEST(CircuitBreakerOptionsTest, FailureRateOutOfRange) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) { o.failure_rate_threshold = 1.5; }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("'orders'"),
                     HasSubstr("failure_rate_threshold must be in (0, 1], got 1.5"))));
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) { o.failure_rate_threshold = 0; }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("failure_rate_threshold")));
}

TEST(CircuitBreakerOptionsTest, SlowRateOutOfRange) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) { o.slow_call_rate_threshold = -0.1; }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("slow_call_rate_threshold must be in (0, 1]")));
}

TEST(CircuitBreakerOptionsTest, ZeroWindow) {
  EXPECT_THAT(CreateWith([](CircuitBreakerOptions& o) { o.sliding_window_size = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sliding_window_size must be >= 1, got 0")));
}

TEST(CircuitBreakerOptionsTest, HugeWindows) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) {
        o.sliding_window_size = 2'000'000;
        o.minimum_number_of_calls = 1;
      }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<= 1000000 calls")));
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) {
        o.sliding_window_type = SlidingWindowType::kTimeBased;
        o.sliding_window_size = 100'000;
      }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<= 86400 seconds")));
}

TEST(CircuitBreakerOptionsTest, MinimumCallsAboveCountWindow) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) {
        o.sliding_window_size = 10;
        o.minimum_number_of_calls = 11;
      }),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("minimum_number_of_calls (11) must be <= sliding_window_size (10)")));
}

TEST(CircuitBreakerOptionsTest, MinimumCallsAboveTimeWindowSecondsIsFine) {
  // A time-based window of 10 s can hold far more than 10 calls.
  EXPECT_THAT(CreateWith([](CircuitBreakerOptions& o) {
                o.sliding_window_type = SlidingWindowType::kTimeBased;
                o.sliding_window_size = 10;
                o.minimum_number_of_calls = 50;
              }),
              IsOk());
}

TEST(CircuitBreakerOptionsTest, ZeroMinimumCalls) {
  EXPECT_THAT(CreateWith([](CircuitBreakerOptions& o) { o.minimum_number_of_calls = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("minimum_number_of_calls must be >= 1")));
}

TEST(CircuitBreakerOptionsTest, ZeroHalfOpenPermits) {
  EXPECT_THAT(
      CreateWith(
          [](CircuitBreakerOptions& o) { o.permitted_calls_in_half_open_state = 0; }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("permitted_calls_in_half_open_state must be >= 1, got 0")));
}

TEST(CircuitBreakerOptionsTest, NegativeDurations) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) {
        o.wait_duration_in_open_state = -absl::Seconds(1);
      }),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("wait_duration_in_open_state must be >= 0 and finite, got -1s")));
  EXPECT_THAT(CreateWith([](CircuitBreakerOptions& o) {
                o.slow_call_duration_threshold = absl::ZeroDuration();
              }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("slow_call_duration_threshold must be > 0")));
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) {
        o.closed_state_interval = -absl::Milliseconds(5);
      }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closed_state_interval")));
}

TEST(CircuitBreakerOptionsTest, ConsecutiveThresholdNegativeOrNothingToTrip) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) { o.consecutive_failures_threshold = -1; }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("consecutive_failures_threshold must be >= 0")));
  EXPECT_THAT(CreateWith([](CircuitBreakerOptions& o) { o.rate_based_tripping = false; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nothing can ever trip the breaker")));
}

TEST(CircuitBreakerOptionsTest, EmptyNameAndMissingClock) {
  EXPECT_THAT(
      CreateWith([](CircuitBreakerOptions& o) { o.name.clear(); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name must not be empty")));
  Context no_clock;
  EXPECT_THAT(CircuitBreaker::Create(CircuitBreakerOptions(), no_clock).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CircuitBreakerOptionsTest, StateNames) {
  EXPECT_EQ(CircuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half-open");
  EXPECT_EQ(CircuitStateName(CircuitState::kForcedOpen), "forced-open");
  EXPECT_EQ(CircuitStateName(CircuitState::kDisabled), "disabled");
}

TEST(CircuitBreakerOptionsTest, DefaultClassification) {
  EXPECT_EQ(DefaultCallOutcome(absl::OkStatus()), CallOutcome::kSuccess);
  EXPECT_EQ(DefaultCallOutcome(absl::CancelledError()), CallOutcome::kIgnored);
  for (auto code : {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
                    absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
                    absl::StatusCode::kResourceExhausted, absl::StatusCode::kDataLoss}) {
    EXPECT_EQ(DefaultCallOutcome(absl::Status(code, "x")), CallOutcome::kFailure) << code;
  }
  for (auto code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                    absl::StatusCode::kAlreadyExists, absl::StatusCode::kPermissionDenied,
                    absl::StatusCode::kAborted, absl::StatusCode::kFailedPrecondition,
                    absl::StatusCode::kOutOfRange, absl::StatusCode::kUnauthenticated,
                    absl::StatusCode::kUnimplemented}) {
    EXPECT_EQ(DefaultCallOutcome(absl::Status(code, "x")), CallOutcome::kSuccess) << code;
  }
}

}  // namespace
}  // namespace cohort
