// Shared helpers for the resilience tests.
#ifndef COHORT_TESTS_RESILIENCE_RESILIENCE_TEST_UTIL_H_
#define COHORT_TESTS_RESILIENCE_RESILIENCE_TEST_UTIL_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/base/context.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/resilience/circuit_breaker.h"
#include "gtest/gtest.h"

namespace cohort::resilience_test {

// A simulated clock whose blocking waits move time themselves, so that
// blocking code (RetryPolicy::Run) runs deterministically on the test thread.
// Coroutine sleeps behave exactly as SimulatedClock's. Records each blocking
// wait, in order.
class AutoAdvanceClock final : public Clock {
 public:
  absl::Time Now() const override { return sim_.Now(); }
  Awaitable<absl::Status> SleepUntil(absl::Time deadline) override {
    return sim_.SleepUntil(deadline);
  }
  void BlockUntil(absl::Time deadline) override {
    {
      absl::MutexLock lock(&mu_);
      blocks_.push_back(deadline - sim_.Now());
    }
    sim_.SetTime(deadline);
  }

  SimulatedClock& sim() { return sim_; }
  void AdvanceTime(absl::Duration d) { sim_.AdvanceTime(d); }
  std::vector<absl::Duration> blocks() const {
    absl::MutexLock lock(&mu_);
    return blocks_;
  }

 private:
  SimulatedClock sim_;
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> blocks_ ABSL_GUARDED_BY(mu_);
};

inline Context MakeContext(Clock* clock, std::uint64_t seed = 42) {
  Context ctx;
  ctx.clock = clock;
  ctx.seed = seed;
  return ctx;
}

inline absl::Status Fail() { return absl::UnavailableError("downstream down"); }

// Acquires a permit and records `status` at once; returns the acquire status.
inline absl::Status RecordOne(CircuitBreaker& breaker, const absl::Status& status) {
  absl::StatusOr<CircuitBreaker::Permit> permit = breaker.Acquire();
  if (!permit.ok()) return permit.status();
  permit->Record(status);
  return absl::OkStatus();
}

inline void RecordMany(CircuitBreaker& breaker, int n, const absl::Status& status) {
  for (int i = 0; i < n; ++i) (void)RecordOne(breaker, status);
}

// Count-based options that trip at 50% over 10 calls, minimum 10.
inline CircuitBreakerOptions SmallCountOptions() {
  CircuitBreakerOptions o;
  o.name = "test";
  o.sliding_window_size = 10;
  o.minimum_number_of_calls = 10;
  o.failure_rate_threshold = 0.5;
  o.wait_duration_in_open_state = absl::Seconds(30);
  o.permitted_calls_in_half_open_state = 3;
  return o;
}

inline std::unique_ptr<CircuitBreaker> MustCreate(CircuitBreakerOptions o, Clock* clock) {
  auto b = CircuitBreaker::Create(std::move(o), MakeContext(clock));
  if (!b.ok()) {
    ADD_FAILURE() << "CircuitBreaker::Create: " << b.status();
    return nullptr;
  }
  return std::move(*b);
}

}  // namespace cohort::resilience_test

#endif  // COHORT_TESTS_RESILIENCE_RESILIENCE_TEST_UTIL_H_
