// The documented semantics of gobreaker and resilience4j, expressed as tests.
#include <vector>

#include "cohort/resilience/circuit_breaker.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MustCreate;
using ::cohort::resilience_test::RecordMany;
using ::cohort::resilience_test::RecordOne;
using ::cohort::testing::IsOk;

// gobreaker: "ReadyToTrip ... If ReadyToTrip is nil, default ReadyToTrip is
// used. Default ReadyToTrip returns true when the number of consecutive
// failures is more than 5."
TEST(GobreakerSemanticsTest, DefaultTripsAfterMoreThanFiveConsecutiveFailures) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions::LikeGobreaker(), &clock);
  RecordMany(*b, 5, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(GobreakerSemanticsTest, ASuccessBreaksTheRun) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions::LikeGobreaker(), &clock);
  for (int round = 0; round < 20; ++round) {
    RecordMany(*b, 5, Fail());
    RecordMany(*b, 1, absl::OkStatus());
  }
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // 77% failures, never 6 in a row
}

// gobreaker: "Timeout is the period of the open state, after which the state
// of CircuitBreaker becomes half-open. If Timeout is 0, the timeout value of
// CircuitBreaker is set to 60 seconds."
TEST(GobreakerSemanticsTest, TimeoutOfSixtySecondsThenHalfOpen) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions::LikeGobreaker(), &clock);
  RecordMany(*b, 6, Fail());
  clock.AdvanceTime(absl::Seconds(59));
  EXPECT_FALSE(b->Acquire().ok());
  clock.AdvanceTime(absl::Seconds(1));
  EXPECT_THAT(b->Acquire(), IsOk());
  EXPECT_EQ(b->state(), CircuitState::kHalfOpen);
}

// gobreaker: "MaxRequests is the maximum number of requests allowed to pass
// through when the CircuitBreaker is half-open. If MaxRequests is 0, the
// CircuitBreaker allows only 1 request."
TEST(GobreakerSemanticsTest, MaxRequestsOneInHalfOpen) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions::LikeGobreaker(), &clock);
  RecordMany(*b, 6, Fail());
  clock.AdvanceTime(absl::Seconds(60));
  auto first = b->Acquire();
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(b->Acquire().status().code(),
            absl::StatusCode::kUnavailable);  // ErrTooManyRequests
  first->Record(absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
}

// gobreaker half-open: closes after MaxRequests consecutive successes; any
// failure reopens at once.
TEST(GobreakerSemanticsTest, HalfOpenClosesAfterMaxRequestsSuccessesReopensOnFailure) {
  SimulatedClock clock;
  CircuitBreakerOptions o = CircuitBreakerOptions::LikeGobreaker();
  o.permitted_calls_in_half_open_state = 3;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 6, Fail());
  clock.AdvanceTime(absl::Seconds(60));
  RecordMany(*b, 2, absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kHalfOpen);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
  clock.AdvanceTime(absl::Seconds(60));
  RecordMany(*b, 3, absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
}

// gobreaker: "Interval is the cyclic period of the closed state for the
// CircuitBreaker to clear the internal Counts. If Interval is less than or
// equal to 0, the CircuitBreaker doesn't clear internal Counts during the
// closed state."
TEST(GobreakerSemanticsTest, ZeroIntervalNeverClears) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions::LikeGobreaker(), &clock);
  RecordMany(*b, 5, Fail());
  clock.AdvanceTime(absl::Hours(24 * 365));
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

// resilience4j: "The failure rate and slow call rate can only be calculated
// if a minimum number of calls were recorded. For example, if the minimum
// number of required calls is 10, then at least 10 calls must be recorded,
// before the failure rate can be calculated. If only 9 calls have been
// evaluated the CircuitBreaker will not trip open even if all 9 calls have
// failed."
TEST(Resilience4jSemanticsTest, MinimumNumberOfCallsExample) {
  SimulatedClock clock;
  CircuitBreakerOptions o;
  o.minimum_number_of_calls = 10;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 9, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().failure_rate, -1);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

// resilience4j: "The state of the CircuitBreaker changes from CLOSED to OPEN
// when the failure rate is equal or greater than a configurable threshold."
TEST(Resilience4jSemanticsTest, DefaultFiftyPercentOverHundredCalls) {
  SimulatedClock clock;
  auto b = MustCreate(CircuitBreakerOptions(), &clock);
  RecordMany(*b, 50, absl::OkStatus());
  RecordMany(*b, 49, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

// resilience4j: "permittedNumberOfCallsInHalfOpenState: number of permitted
// calls when the CircuitBreaker is half open" (default 10); further calls get
// CallNotPermittedException until all trials completed; "If the failure rate
// or slow call rate is then equal or greater than the configured threshold,
// the state changes back to OPEN. If the failure rate and slow call rate is
// below the threshold, the state changes back to CLOSED."
TEST(Resilience4jSemanticsTest, HalfOpenEvaluatesTheTenPermittedCalls) {
  SimulatedClock clock;
  CircuitBreakerOptions o;
  o.minimum_number_of_calls = 10;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 10, Fail());
  clock.AdvanceTime(absl::Seconds(60));
  std::vector<CircuitBreaker::Permit> trials;
  for (int i = 0; i < 10; ++i) trials.push_back(std::move(*b->Acquire()));
  EXPECT_FALSE(b->Acquire().ok());
  for (int i = 0; i < 10; ++i) trials[i].Record(i < 4 ? Fail() : absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // 40% < 50%
}

// resilience4j: "The CircuitBreaker rejects calls with a
// CallNotPermittedException when it is OPEN." Here: Unavailable, not sent.
TEST(Resilience4jSemanticsTest, OpenRejectsWithoutCallingDownstream) {
  SimulatedClock clock;
  CircuitBreakerOptions o;
  o.minimum_number_of_calls = 1;
  o.sliding_window_size = 1;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 1, Fail());
  int calls = 0;
  absl::Status s = b->Call([&] {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cohort
