// Closed-state behaviour with a time-based window (one bucket per second).
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MustCreate;
using ::cohort::resilience_test::RecordMany;

CircuitBreakerOptions TimeOptions() {
  CircuitBreakerOptions o;
  o.name = "timed";
  o.sliding_window_type = SlidingWindowType::kTimeBased;
  o.sliding_window_size = 10;  // seconds
  o.minimum_number_of_calls = 4;
  o.failure_rate_threshold = 0.5;
  return o;
}

TEST(TimeWindowTest, AggregatesCallsWithinTheWindow) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  auto b = MustCreate(TimeOptions(), &clock);
  RecordMany(*b, 3, absl::OkStatus());
  clock.AdvanceTime(absl::Seconds(4));
  RecordMany(*b, 2, Fail());
  EXPECT_EQ(b->Metrics().buffered_calls, 5);
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // 2/5 = 40%
  clock.AdvanceTime(absl::Seconds(5));           // t = 1009: all still inside
  RecordMany(*b, 1, Fail());                     // 3/6 = 50%
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(TimeWindowTest, CallsOlderThanTheWindowExpire) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  auto b = MustCreate(TimeOptions(), &clock);
  RecordMany(*b, 3, Fail());  // second 1000
  clock.AdvanceTime(absl::Seconds(9));
  EXPECT_EQ(b->Metrics().buffered_calls, 3);  // second 1009: window (999, 1009]
  clock.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(b->Metrics().buffered_calls, 0);  // second 1010: 1000 left
  RecordMany(*b, 3, absl::OkStatus());
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // 1/4, the old failures are gone
}

TEST(TimeWindowTest, LongIdleGapClearsEverything) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  auto b = MustCreate(TimeOptions(), &clock);
  for (int i = 0; i < 5; ++i) {
    RecordMany(*b, 1, absl::OkStatus());
    clock.AdvanceTime(absl::Seconds(1));
  }
  clock.AdvanceTime(absl::Hours(3));
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
  RecordMany(*b, 2, Fail());
  RecordMany(*b, 2, absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kOpen);  // 2/4 = 50%
}

TEST(TimeWindowTest, MinimumCallsAcrossSeconds) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  auto b = MustCreate(TimeOptions(), &clock);
  for (int i = 0; i < 3; ++i) {
    RecordMany(*b, 1, Fail());
    clock.AdvanceTime(absl::Seconds(2));
  }
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // 3 < minimum 4
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(TimeWindowTest, SubSecondTimesShareABucket) {
  SimulatedClock clock(absl::FromUnixSeconds(1000) + absl::Milliseconds(900));
  CircuitBreakerOptions o = TimeOptions();
  o.sliding_window_size = 1;
  o.minimum_number_of_calls = 1;
  o.failure_rate_threshold = 1.0;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 1, absl::OkStatus());
  clock.AdvanceTime(absl::Milliseconds(50));  // still second 1000
  EXPECT_EQ(b->Metrics().buffered_calls, 1);
  clock.AdvanceTime(absl::Milliseconds(50));  // second 1001: bucket rotated
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
}

TEST(TimeWindowTest, SlowCallsInTimeWindow) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  CircuitBreakerOptions o = TimeOptions();
  o.slow_call_duration_threshold = absl::Milliseconds(500);
  o.slow_call_rate_threshold = 0.5;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 2, absl::OkStatus());
  for (int i = 0; i < 2; ++i) {
    auto permit = b->Acquire();
    clock.AdvanceTime(absl::Milliseconds(600));
    permit->Record(absl::OkStatus());
    if (i == 0) {
      EXPECT_EQ(b->Metrics().slow_calls, 1);
      EXPECT_EQ(b->state(), CircuitState::kClosed);  // 1 of 3
    }
  }
  EXPECT_EQ(b->state(), CircuitState::kOpen);  // 2 of 4 = 50%
}

}  // namespace
}  // namespace cohort
