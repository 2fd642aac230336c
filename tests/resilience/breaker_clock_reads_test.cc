// The breaker reads the clock only when an option needs it.
#include <atomic>

#include "cohort/resilience/circuit_breaker.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MustCreate;
using ::cohort::resilience_test::RecordMany;

class CountingClock final : public Clock {
 public:
  absl::Time Now() const override {
    reads_.fetch_add(1);
    return sim_.Now();
  }
  Awaitable<absl::Status> SleepUntil(absl::Time deadline) override {
    return sim_.SleepUntil(deadline);
  }
  void BlockUntil(absl::Time deadline) override { sim_.SetTime(deadline); }
  int reads() const { return reads_.load(); }

 private:
  SimulatedClock sim_;
  mutable std::atomic<int> reads_{0};
};

TEST(BreakerClockReadsTest, DefaultCountBasedClosedPathNeverReadsTheClock) {
  CountingClock clock;
  auto b = MustCreate(CircuitBreakerOptions(), &clock);
  RecordMany(*b, 1000, absl::OkStatus());
  RecordMany(*b, 10, Fail());
  (void)b->Metrics();
  EXPECT_EQ(clock.reads(), 0);
}

TEST(BreakerClockReadsTest, SlowCallDetectionReadsTwicePerCall) {
  CountingClock clock;
  CircuitBreakerOptions o;
  o.slow_call_duration_threshold = absl::Seconds(1);
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 50, absl::OkStatus());
  EXPECT_EQ(clock.reads(), 100);  // start and finish
}

TEST(BreakerClockReadsTest, TimeBasedWindowReadsOnceWhenRecording) {
  CountingClock clock;
  CircuitBreakerOptions o;
  o.sliding_window_type = SlidingWindowType::kTimeBased;
  o.sliding_window_size = 10;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 50, absl::OkStatus());
  EXPECT_EQ(clock.reads(), 50);
}

TEST(BreakerClockReadsTest, OpenBreakerReadsToComputeRetryAfter) {
  CountingClock clock;
  CircuitBreakerOptions o;
  o.sliding_window_size = 1;
  o.minimum_number_of_calls = 1;
  auto b = MustCreate(o, &clock);
  RecordMany(*b, 1, Fail());  // trips: one read to stamp the open period
  const int after_trip = clock.reads();
  EXPECT_EQ(after_trip, 1);
  RecordMany(*b, 3, absl::OkStatus());  // rejected: one read each
  EXPECT_EQ(clock.reads(), after_trip + 3);
}

}  // namespace
}  // namespace cohort
