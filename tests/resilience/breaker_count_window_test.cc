// Closed-state behaviour with a count-based window.
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MustCreate;
using ::cohort::resilience_test::RecordMany;
using ::cohort::resilience_test::RecordOne;
using ::cohort::resilience_test::SmallCountOptions;
using ::cohort::testing::IsOk;

TEST(CountWindowTest, StaysClosedBelowMinimumCallsEvenIfAllFail) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 9, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().failure_rate, -1);  // not evaluated yet
  EXPECT_EQ(b->Metrics().failed_calls, 9);
}

TEST(CountWindowTest, TripsWhenRateReachesThresholdExactly) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 5, absl::OkStatus());
  RecordMany(*b, 4, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  RecordMany(*b, 1, Fail());  // 5 of 10 = 50% >= 50%
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, BelowThresholdStaysClosed) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 6, absl::OkStatus());
  RecordMany(*b, 4, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_DOUBLE_EQ(b->Metrics().failure_rate, 0.4);
}

TEST(CountWindowTest, SuccessReachingMinimumCallsCanTrip) {
  // The rate is first evaluated when the minimum is reached, whatever the
  // outcome that reached it.
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 9, Fail());
  RecordMany(*b, 1, absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, OldOutcomesSlideOut) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 4, Fail());
  RecordMany(*b, 16, absl::OkStatus());  // the 4 failures have left the window
  EXPECT_EQ(b->Metrics().buffered_calls, 10);
  EXPECT_EQ(b->Metrics().failed_calls, 0);
  RecordMany(*b, 4, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().failed_calls, 4);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, NonFailureErrorsCountAsSuccess) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 10, absl::NotFoundError("no such key"));
  RecordMany(*b, 10, absl::InvalidArgumentError("bad"));
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().failed_calls, 0);
  EXPECT_EQ(b->Metrics().buffered_calls, 10);
}

TEST(CountWindowTest, CancelledIsIgnoredEntirely) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 20, absl::CancelledError("caller gave up"));
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
}

TEST(CountWindowTest, CustomClassifier) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.classify_outcome = [](const absl::Status& s) {
    if (s.code() == absl::StatusCode::kNotFound) return CallOutcome::kFailure;
    if (s.code() == absl::StatusCode::kUnavailable) return CallOutcome::kIgnored;
    return CallOutcome::kSuccess;
  };
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 10, Fail());
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
  RecordMany(*b, 10, absl::NotFoundError("x"));
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, SlowCallsTripOnSlowRate) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.slow_call_duration_threshold = absl::Seconds(2);
  o.slow_call_rate_threshold = 0.3;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 7, absl::OkStatus());
  for (int i = 0; i < 3; ++i) {
    auto permit = b->Acquire();
    ASSERT_THAT(permit, IsOk());
    clock.AdvanceTime(i < 2 ? absl::Seconds(2) : absl::Milliseconds(1999));
    permit->Record(absl::OkStatus());
  }
  // Two slow calls (exactly at the threshold counts as slow), one just under.
  EXPECT_EQ(b->Metrics().slow_calls, 2);
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  auto permit = b->Acquire();
  clock.AdvanceTime(absl::Seconds(5));
  permit->Record(absl::OkStatus());  // evicts a fast call: 3 slow of 10
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, SlowFailuresCountAsBothSlowAndFailed) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.slow_call_duration_threshold = absl::Seconds(1);
  o.failure_rate_threshold = 1.0;
  o.slow_call_rate_threshold = 1.0;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 9, absl::OkStatus());
  auto permit = b->Acquire();
  clock.AdvanceTime(absl::Seconds(3));
  permit->Record(Fail());
  CircuitBreakerMetrics m = b->Metrics();
  EXPECT_EQ(m.failed_calls, 1);
  EXPECT_EQ(m.slow_calls, 1);
  EXPECT_DOUBLE_EQ(m.slow_call_rate, 0.1);
}

TEST(CountWindowTest, ConsecutiveFailuresTripIndependentlyOfRate) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.sliding_window_size = 100;
  o.minimum_number_of_calls = 100;
  o.consecutive_failures_threshold = 3;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 2, Fail());
  RecordMany(*b, 1, absl::OkStatus());  // resets the run
  RecordMany(*b, 2, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().consecutive_failures, 2);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(CountWindowTest, OpenRejectsWithHints) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 10, Fail());
  ASSERT_EQ(b->state(), CircuitState::kOpen);
  clock.AdvanceTime(absl::Seconds(12));
  absl::Status rejected = RecordOne(*b, absl::OkStatus());
  EXPECT_EQ(rejected.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(rejected.message()),
              ::testing::HasSubstr(
                  "circuit breaker 'test' is open; it admits trial calls in 18s"));
  EXPECT_TRUE(WasNotSent(rejected));
  ASSERT_TRUE(RetryAfter(rejected).has_value());
  EXPECT_EQ(*RetryAfter(rejected), absl::Seconds(18));
  EXPECT_EQ(b->Metrics().not_permitted_calls, 1u);
}

}  // namespace
}  // namespace cohort
