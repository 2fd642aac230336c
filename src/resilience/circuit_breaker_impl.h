// The private implementation of CircuitBreaker, shared by
// circuit_breaker.cc (admission and recording) and circuit_breaker_state.cc
// (state changes, events, metrics).
#ifndef COHORT_SRC_RESILIENCE_CIRCUIT_BREAKER_IMPL_H_
#define COHORT_SRC_RESILIENCE_CIRCUIT_BREAKER_IMPL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/base/context.h"
#include "cohort/resilience/circuit_breaker.h"
#include "resilience/sliding_window.h"

namespace cohort {
namespace resilience_internal {

// The state and generation share one atomic word, so that a recorder can tell
// with a single load whether its permit still belongs to the current phase.
inline constexpr int kStateBits = 3;
inline constexpr std::uint64_t kStateMask = (1u << kStateBits) - 1;

inline std::uint64_t MakeWord(std::uint64_t generation, CircuitState state) {
  return (generation << kStateBits) | static_cast<std::uint64_t>(state);
}
inline CircuitState StateOf(std::uint64_t word) {
  return static_cast<CircuitState>(word & kStateMask);
}
inline std::uint64_t GenerationOf(std::uint64_t word) { return word >> kStateBits; }

// Permit kinds: which bookkeeping its outcome goes to.
inline constexpr std::uint8_t kClosedPermit = 1;
inline constexpr std::uint8_t kHalfOpenPermit = 2;
inline constexpr std::uint8_t kDisabledPermit = 3;

inline bool RateReached(std::int64_t part, std::int64_t total, double threshold) {
  return total > 0 && static_cast<double>(part) >= threshold * static_cast<double>(total);
}

}  // namespace resilience_internal

class CircuitBreaker::Impl {
 public:
  Impl(CircuitBreakerOptions options, const Context& ctx)
      : options_(std::move(options)),
        clock_(ctx.clock),
        logger_(ctx.LoggerOrNull()),
        slow_detection_(options_.slow_call_duration_threshold !=
                        absl::InfiniteDuration()),
        time_based_(options_.sliding_window_type == SlidingWindowType::kTimeBased),
        interval_(options_.closed_state_interval > absl::ZeroDuration()),
        custom_classifier_(static_cast<bool>(options_.classify_outcome)) {
    if (time_based_) {
      time_window_ =
          std::make_unique<resilience_internal::TimeWindow>(options_.sliding_window_size);
    } else {
      count_window_ = std::make_unique<resilience_internal::CountWindow>(
          options_.sliding_window_size);
    }
    if (interval_) {
      interval_end_nanos_.store(
          absl::ToUnixNanos(clock_->Now() + options_.closed_state_interval),
          std::memory_order_relaxed);
    }
  }

  absl::StatusOr<Permit> Acquire();
  void Complete(const Permit& permit, const absl::Status& status);
  void Abandon(const Permit& permit);
  CircuitBreakerMetrics Metrics() const;
  void MoveTo(CircuitState to);

  CircuitState state() const {
    return resilience_internal::StateOf(word_.load(std::memory_order_acquire));
  }
  const std::string& name() const { return options_.name; }

 private:
  CallOutcome Classify(const absl::Status& status) const {
    if (custom_classifier_) return options_.classify_outcome(status);
    // ok() is inline; code() is an out-of-line call into abseil.
    if (ABSL_PREDICT_TRUE(status.ok())) return CallOutcome::kSuccess;
    return DefaultCallOutcome(status);
  }

  // Whether the closed window's counts (or the consecutive count) trip.
  bool ShouldTrip(const resilience_internal::WindowCounts& counts,
                  std::int64_t consecutive) const {
    if (options_.consecutive_failures_threshold > 0 &&
        consecutive >= options_.consecutive_failures_threshold) {
      return true;
    }
    if (!options_.rate_based_tripping ||
        counts.calls < options_.minimum_number_of_calls) {
      return false;
    }
    return resilience_internal::RateReached(counts.failures, counts.calls,
                                            options_.failure_rate_threshold) ||
           (slow_detection_ &&
            resilience_internal::RateReached(counts.slow, counts.calls,
                                             options_.slow_call_rate_threshold));
  }

  absl::Status Rejection(CircuitState state, absl::Duration until_trial) const;
  void RecordClosed(const Permit& permit, bool failed, bool slow);
  void RecordHalfOpen(const Permit& permit, bool failed, bool slow);

  // Starts `to` as a new generation. Requires mu_. Queues the listener event.
  void TransitionLocked(CircuitState to, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Calls the listener for queued events, outside mu_, in order, one thread at
  // a time.
  void DeliverEvents() ABSL_LOCKS_EXCLUDED(mu_);

  const CircuitBreakerOptions options_;
  Clock* const clock_;
  const LoggerPtr logger_;
  const bool slow_detection_;
  const bool time_based_;
  const bool interval_;
  const bool custom_classifier_;

  std::atomic<std::uint64_t> word_{
      resilience_internal::MakeWord(0, CircuitState::kClosed)};
  std::unique_ptr<resilience_internal::CountWindow> count_window_;
  std::unique_ptr<resilience_internal::TimeWindow> time_window_;
  std::atomic<std::int64_t> consecutive_failures_{0};
  std::atomic<std::int64_t> open_until_nanos_{0};
  std::atomic<std::int64_t> interval_end_nanos_{0};
  mutable std::atomic<std::uint64_t> not_permitted_{0};

  mutable absl::Mutex mu_;
  int trials_admitted_ ABSL_GUARDED_BY(mu_) = 0;
  int trials_recorded_ ABSL_GUARDED_BY(mu_) = 0;
  int trial_failures_ ABSL_GUARDED_BY(mu_) = 0;
  int trial_slow_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<CircuitStateChange> events_ ABSL_GUARDED_BY(mu_);
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cohort

#endif  // COHORT_SRC_RESILIENCE_CIRCUIT_BREAKER_IMPL_H_
