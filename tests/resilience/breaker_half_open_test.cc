// Open -> half-open -> closed/open, trial permits, and generations.
#include <optional>
#include <vector>

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
using ::testing::HasSubstr;

using Permit = CircuitBreaker::Permit;

void Trip(CircuitBreaker& b) {
  RecordMany(b, 10, Fail());
  ASSERT_EQ(b.state(), CircuitState::kOpen);
}

std::vector<Permit> AcquireTrials(CircuitBreaker& b, int n) {
  std::vector<Permit> permits;
  for (int i = 0; i < n; ++i) {
    auto p = b.Acquire();
    EXPECT_THAT(p, IsOk());
    if (p.ok()) permits.push_back(std::move(*p));
  }
  return permits;
}

TEST(HalfOpenTest, OpenUntilWaitElapsesThenHalfOpenOnNextAcquire) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30) - absl::Nanoseconds(1));
  EXPECT_FALSE(b->Acquire().ok());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
  clock.AdvanceTime(absl::Nanoseconds(1));
  EXPECT_EQ(b->state(), CircuitState::kOpen);  // lazily, on the next Acquire
  auto permit = b->Acquire();
  EXPECT_THAT(permit, IsOk());
  EXPECT_EQ(b->state(), CircuitState::kHalfOpen);
}

TEST(HalfOpenTest, AdmitsExactlyThePermittedTrialsAndRejectsTheRest) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  absl::StatusOr<Permit> extra = b->Acquire();
  EXPECT_THAT(extra,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("half-open and all 3 trial calls are in flight")));
  EXPECT_TRUE(WasNotSent(extra.status()));
}

TEST(HalfOpenTest, ClosesWhenTrialRateIsBelowThreshold) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  trials[0].Record(Fail());
  trials[1].Record(absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kHalfOpen);  // waits for all 3
  EXPECT_EQ(b->Metrics().failure_rate, -1);
  trials[2].Record(absl::OkStatus());  // 1/3 < 50%
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().buffered_calls, 0);  // a fresh window
}

TEST(HalfOpenTest, ReopensWhenTrialRateReachesThreshold) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  trials[0].Record(Fail());
  trials[1].Record(Fail());
  trials[2].Record(absl::OkStatus());  // 2/3 >= 50%
  EXPECT_EQ(b->state(), CircuitState::kOpen);
  // A fresh open period from the moment of reopening.
  absl::Status rejected = RecordOne(*b, absl::OkStatus());
  EXPECT_EQ(*RetryAfter(rejected), absl::Seconds(30));
}

TEST(HalfOpenTest, IgnoredOrDroppedTrialFreesItsSlot) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  trials[0].Record(absl::CancelledError("caller left"));
  trials.erase(trials.begin() + 1);  // dropped without Record
  std::vector<Permit> more = AcquireTrials(*b, 2);
  EXPECT_FALSE(b->Acquire().ok());
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
}

TEST(HalfOpenTest, SlowTrialsCanReopen) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.slow_call_duration_threshold = absl::Seconds(1);
  o.slow_call_rate_threshold = 0.5;
  auto b = MustCreate(o, &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  clock.AdvanceTime(absl::Seconds(2));
  for (Permit& p : trials) p.Record(absl::OkStatus());
  EXPECT_EQ(b->state(), CircuitState::kOpen);
}

TEST(HalfOpenTest, ZeroWaitGoesHalfOpenAtOnce) {
  SimulatedClock clock;
  CircuitBreakerOptions o = SmallCountOptions();
  o.wait_duration_in_open_state = absl::ZeroDuration();
  auto b = MustCreate(o, &clock);
  Trip(*b);
  EXPECT_THAT(b->Acquire(), IsOk());
  EXPECT_EQ(b->state(), CircuitState::kHalfOpen);
}

TEST(GenerationTest, EveryStateChangeStartsAGeneration) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  EXPECT_EQ(b->Metrics().generation, 0u);
  Trip(*b);
  EXPECT_EQ(b->Metrics().generation, 1u);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  EXPECT_EQ(b->Metrics().generation, 2u);
  EXPECT_EQ(trials[0].generation(), 2u);
  for (Permit& p : trials) p.Record(absl::OkStatus());
  EXPECT_EQ(b->Metrics().generation, 3u);
}

TEST(GenerationTest, LateClosedOutcomeAfterTripIsIgnored) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  absl::StatusOr<Permit> slowpoke = b->Acquire();  // generation 0
  ASSERT_THAT(slowpoke, IsOk());
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  for (Permit& p : trials) p.Record(absl::OkStatus());
  ASSERT_EQ(b->state(), CircuitState::kClosed);
  slowpoke->Record(Fail());  // from generation 0: ignored
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
  EXPECT_EQ(b->Metrics().consecutive_failures, 0);
}

TEST(GenerationTest, LateTrialOutcomeAfterReopenIsIgnored) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  b->ForceOpen();
  b->Reset();
  trials[0].Record(Fail());
  trials[1].Record(Fail());
  trials[2].Record(Fail());
  EXPECT_EQ(b->state(), CircuitState::kClosed);
  EXPECT_EQ(b->Metrics().buffered_calls, 0);
}

TEST(GenerationTest, PermitRecordsOnlyOnce) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  auto permit = b->Acquire();
  permit->Record(Fail());
  permit->Record(Fail());
  EXPECT_EQ(b->Metrics().buffered_calls, 1);
  Permit moved = std::move(*permit);
  moved.Record(Fail());  // moved-from state carries no owner either way
  EXPECT_EQ(b->Metrics().buffered_calls, 1);
}

TEST(GenerationTest, MoveAssignReleasesTheOverwrittenTrial) {
  SimulatedClock clock;
  auto b = MustCreate(SmallCountOptions(), &clock);
  Trip(*b);
  clock.AdvanceTime(absl::Seconds(30));
  std::vector<Permit> trials = AcquireTrials(*b, 3);
  trials[0] = std::move(trials[1]);  // trial 0 is dropped unrecorded
  EXPECT_THAT(b->Acquire(), IsOk());
}

}  // namespace
}  // namespace cohort
