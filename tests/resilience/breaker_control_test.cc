// Listener, operator controls (force-open, disable, reset), metrics, interval.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Describe(const CircuitStateChange& c) {
  return absl::StrCat(std::string(c.name), ":", std::string(CircuitStateName(c.from)),
                      "->", std::string(CircuitStateName(c.to)), "@", c.generation);
}

TEST(ListenerTest, SeesEveryTransitionInOrder) {
  SimulatedClock clock;
  std::vector<std::string> events;
  CircuitBreakerOptions o = SmallCountOptions();
  o.on_state_change = [&](const CircuitStateChange& c) { events.push_back(Describe(c)); };
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 10, Fail());
  clock.AdvanceTime(absl::Seconds(30));
  RecordMany(*b, 3, Fail());  // half-open trials fail: reopen
  clock.AdvanceTime(absl::Seconds(30));
  RecordMany(*b, 3, absl::OkStatus());
  b->ForceOpen();
  b->Disable();
  b->Reset();
  EXPECT_THAT(events,
              ElementsAre("test:closed->open@1", "test:open->half-open@2",
                          "test:half-open->open@3", "test:open->half-open@4",
                          "test:half-open->closed@5", "test:closed->forced-open@6",
                          "test:forced-open->disabled@7", "test:disabled->closed@8"));
}

TEST(ListenerTest, CalledOutsideLocksSoItMayCallBack) {
  SimulatedClock clock;
  std::vector<CircuitState> seen;
  std::unique_ptr<CircuitBreaker> b;
  CircuitBreakerOptions o = SmallCountOptions();
  o.on_state_change = [&](const CircuitStateChange& c) {
    seen.push_back(b->Metrics().state);           // would deadlock if a lock were held
    if (c.to == CircuitState::kOpen) b->Reset();  // nested change: queued, delivered next
  };
  b = MustCreate(o, &clock);
  RecordMany(*b, 10, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_THAT(seen, ElementsAre(CircuitState::kOpen, CircuitState::kClosed));
}

TEST(ControlTest, ForceOpenRejectsWithoutRetryAfterUntilReset) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  b->ForceOpen();
  clock.AdvanceTime(absl::Hours(10));
  absl::Status s = RecordOne(*b, absl::OkStatus());
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kUnavailable,
                  HasSubstr("'test' is forced open; it admits calls after Reset()")));
  EXPECT_TRUE(WasNotSent(s));
  EXPECT_FALSE(RetryAfter(s).has_value());
  EXPECT_EQ(b->state(), CircuitState::kForcedOpen);
  b->Reset();
  EXPECT_THAT(RecordOne(*b, absl::OkStatus()), IsOk());
}

TEST(ControlTest, DisabledAdmitsEverythingAndRecordsNothing) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  b->Disable();
  for (int i = 0; i < 100; ++i) EXPECT_THAT(RecordOne(*b, Fail()), IsOk());
  EXPECT_EQ(b->state(), CircuitState::kDisabled);
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
  b->Reset();
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
}

TEST(ControlTest, ResetFromOpenClosesWithAFreshWindow) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  RecordMany(*b, 10, Fail());
  b->Reset();
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  RecordMany(*b, 9, Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);  // minimum counts from the reset
}

TEST(ControlTest, ResetWhileClosedClearsCountsAndStartsAGeneration) {
  SimulatedClock clock;
  int events = 0;
  CircuitBreakerOptions o = SmallCountOptions();
  o.on_state_change = [&](const CircuitStateChange&) { ++events; };
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 5, Fail());
  b->Reset();
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
  EXPECT_EQ(b->Metrics().generation, 1u);
  EXPECT_EQ(events, 0);  // no state change, no event
}

TEST(MetricsTest, SnapshotInClosedOpenAndHalfOpen) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.consecutive_failures_threshold = 50;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 7, absl::OkStatus());
  RecordMany(*b, 3, Fail());
  CircuitBreakerMetrics m = b->Metrics();
  EXPECT_EQ(m.state, CircuitState::kClosed);
  EXPECT_EQ(m.buffered_calls, 10);
  EXPECT_EQ(m.failed_calls, 3);
  EXPECT_DOUBLE_EQ(m.failure_rate, 0.3);
  EXPECT_DOUBLE_EQ(m.slow_call_rate, 0.0);
  EXPECT_EQ(m.consecutive_failures, 3);
  RecordMany(*b, 2, Fail());  // 5/10
  ASSERT_EQ(b->state(), CircuitState::kOpen);
  RecordMany(*b, 4, absl::OkStatus());  // all rejected
  m = b->Metrics();
  EXPECT_EQ(m.state, CircuitState::kOpen);
  EXPECT_EQ(m.buffered_calls, 0);
  EXPECT_EQ(m.failure_rate, -1);
  EXPECT_EQ(m.not_permitted_calls, 4u);
  clock.AdvanceTime(absl::Seconds(30));
  RecordMany(*b, 1, Fail());
  m = b->Metrics();
  EXPECT_EQ(m.state, CircuitState::kHalfOpen);
  EXPECT_EQ(m.buffered_calls, 1);
  EXPECT_EQ(m.failed_calls, 1);
  EXPECT_EQ(m.failure_rate, -1);  // until all 3 trials are in
}

TEST(IntervalTest, ClosedCountsClearEveryInterval) {
  SimulatedClock clock;
  CircuitBreakerOptions o = CircuitBreakerOptions::LikeGobreaker();
  o.name = "interval";
  o.consecutive_failures_threshold = 3;
  o.closed_state_interval = absl::Seconds(10);
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 2, Fail());
  clock.AdvanceTime(absl::Seconds(10));
  RecordMany(*b, 2, Fail());  // the first two were cleared at t=10
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().consecutive_failures, 2);
  EXPECT_EQ(b->Metrics().generation, 1u);
  RecordMany(*b, 1, Fail());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(IntervalTest, OutcomeFromBeforeTheClearingIsIgnored) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.closed_state_interval = absl::Seconds(10);
  auto b = MustCreate(o, &clock);
  auto permit = b->Acquire();
  clock.AdvanceTime(absl::Seconds(11));
  RecordMany(*b, 1, absl::OkStatus());  // clears, generation 1
  permit->Record(Fail());               // generation 0: ignored
  EXPECT_EQ(b->Metrics().failed_calls, 0);
  EXPECT_EQ(b->Metrics().buffered_calls, 1);
}

}  // namespace
}  // namespace cohort
