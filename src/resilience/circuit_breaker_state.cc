// State changes, listener delivery, rejections and metrics of CircuitBreaker.
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "resilience/circuit_breaker_impl.h"

namespace cohort {

using resilience_internal::GenerationOf;
using resilience_internal::MakeWord;
using resilience_internal::StateOf;
using resilience_internal::WindowCounts;

absl::Status CircuitBreaker::Impl::Rejection(CircuitState state,
                                             absl::Duration until_trial) const {
  not_permitted_.fetch_add(1, std::memory_order_relaxed);
  switch (state) {
    case CircuitState::kOpen:
      return MarkNotSent(WithRetryAfter(
          absl::UnavailableError(absl::StrCat("circuit breaker '", options_.name,
                                              "' is open; it admits trial calls in ",
                                              absl::FormatDuration(until_trial))),
          until_trial));
    case CircuitState::kForcedOpen:
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("circuit breaker '", options_.name,
                       "' is forced open; it admits calls after Reset()")));
    default:
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("circuit breaker '", options_.name, "' is half-open and all ",
                       options_.permitted_calls_in_half_open_state,
                       " trial calls are in flight; retry after they finish")));
  }
}

void CircuitBreaker::Impl::TransitionLocked(CircuitState to, absl::Time now) {
  const std::uint64_t old_word = word_.load(std::memory_order_relaxed);
  const CircuitState from = StateOf(old_word);
  const std::uint64_t generation = GenerationOf(old_word) + 1;
  // Prepare the new phase before publishing the word, so that whoever sees the
  // new state also sees its bookkeeping.
  switch (to) {
    case CircuitState::kClosed:
      if (time_based_) {
        time_window_->Clear();
      } else {
        count_window_->Clear();
      }
      consecutive_failures_.store(0, std::memory_order_relaxed);
      if (interval_) {
        interval_end_nanos_.store(absl::ToUnixNanos(now + options_.closed_state_interval),
                                  std::memory_order_relaxed);
      }
      break;
    case CircuitState::kOpen:
      open_until_nanos_.store(
          absl::ToUnixNanos(now + options_.wait_duration_in_open_state),
          std::memory_order_relaxed);
      break;
    case CircuitState::kHalfOpen:
      trials_admitted_ = trials_recorded_ = trial_failures_ = trial_slow_ = 0;
      break;
    case CircuitState::kForcedOpen:
    case CircuitState::kDisabled:
      break;
  }
  word_.store(MakeWord(generation, to), std::memory_order_release);
  if (from != to) {
    events_.push_back(CircuitStateChange{options_.name, from, to, generation});
  }
}

void CircuitBreaker::Impl::DeliverEvents() {
  absl::MutexLock lock(&mu_);
  if (delivering_) return;  // the thread delivering will see our events too
  delivering_ = true;
  while (!events_.empty()) {
    CircuitStateChange event = events_.front();
    events_.pop_front();
    mu_.Unlock();
    logger_->info("circuit breaker '{}': {} -> {} (generation {})", options_.name,
                  CircuitStateName(event.from), CircuitStateName(event.to),
                  event.generation);
    if (options_.on_state_change) options_.on_state_change(event);
    mu_.Lock();
  }
  delivering_ = false;
}

void CircuitBreaker::Impl::MoveTo(CircuitState to) {
  {
    absl::MutexLock lock(&mu_);
    TransitionLocked(to, clock_->Now());
  }
  DeliverEvents();
}

CircuitBreakerMetrics CircuitBreaker::Impl::Metrics() const {
  CircuitBreakerMetrics m;
  m.not_permitted_calls = not_permitted_.load(std::memory_order_relaxed);
  const std::uint64_t word = word_.load(std::memory_order_acquire);
  m.state = StateOf(word);
  m.generation = GenerationOf(word);
  int minimum = options_.minimum_number_of_calls;
  if (m.state == CircuitState::kClosed) {
    const WindowCounts counts =
        time_based_ ? time_window_->Counts(absl::ToUnixSeconds(clock_->Now()))
                    : count_window_->Counts();
    m.buffered_calls = static_cast<int>(counts.calls);
    m.failed_calls = static_cast<int>(counts.failures);
    m.slow_calls = static_cast<int>(counts.slow);
    m.consecutive_failures =
        static_cast<int>(consecutive_failures_.load(std::memory_order_relaxed));
  } else if (m.state == CircuitState::kHalfOpen) {
    absl::MutexLock lock(&mu_);
    if (word_.load(std::memory_order_relaxed) == word) {
      m.buffered_calls = trials_recorded_;
      m.failed_calls = trial_failures_;
      m.slow_calls = trial_slow_;
    }
    minimum = options_.permitted_calls_in_half_open_state;
  }
  if (m.buffered_calls >= minimum && m.buffered_calls > 0) {
    m.failure_rate = static_cast<double>(m.failed_calls) / m.buffered_calls;
    m.slow_call_rate = static_cast<double>(m.slow_calls) / m.buffered_calls;
  }
  return m;
}

}  // namespace cohort
