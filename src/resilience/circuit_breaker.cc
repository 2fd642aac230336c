#include "cohort/resilience/circuit_breaker.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "resilience/circuit_breaker_impl.h"

namespace cohort {

using resilience_internal::GenerationOf;
using resilience_internal::kClosedPermit;
using resilience_internal::kDisabledPermit;
using resilience_internal::kHalfOpenPermit;
using resilience_internal::MakeWord;
using resilience_internal::RateReached;
using resilience_internal::StateOf;
using resilience_internal::WindowCounts;

absl::StatusOr<CircuitBreaker::Permit> CircuitBreaker::Impl::Acquire() {
  for (;;) {
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    switch (StateOf(word)) {
      case CircuitState::kClosed: {
        absl::Time start = absl::InfinitePast();
        if (ABSL_PREDICT_FALSE(slow_detection_ || interval_)) start = clock_->Now();
        if (ABSL_PREDICT_FALSE(interval_) &&
            absl::ToUnixNanos(start) >=
                interval_end_nanos_.load(std::memory_order_relaxed)) {
          absl::MutexLock lock(&mu_);
          if (word_.load(std::memory_order_relaxed) == word) {
            TransitionLocked(CircuitState::kClosed, start);
          }
          continue;
        }
        return Permit(this, GenerationOf(word), kClosedPermit, start);
      }
      case CircuitState::kDisabled:
        return Permit(this, GenerationOf(word), kDisabledPermit, absl::InfinitePast());
      case CircuitState::kForcedOpen:
        return Rejection(CircuitState::kForcedOpen, absl::ZeroDuration());
      case CircuitState::kOpen: {
        const absl::Time now = clock_->Now();
        const absl::Time until =
            absl::FromUnixNanos(open_until_nanos_.load(std::memory_order_relaxed));
        if (now < until) return Rejection(CircuitState::kOpen, until - now);
        {
          absl::MutexLock lock(&mu_);
          if (word_.load(std::memory_order_relaxed) == word) {
            TransitionLocked(CircuitState::kHalfOpen, now);
          }
        }
        DeliverEvents();
        continue;
      }
      case CircuitState::kHalfOpen: {
        absl::MutexLock lock(&mu_);
        const std::uint64_t current = word_.load(std::memory_order_relaxed);
        if (current != word) continue;
        if (trials_admitted_ >= options_.permitted_calls_in_half_open_state) {
          return Rejection(CircuitState::kHalfOpen, absl::ZeroDuration());
        }
        ++trials_admitted_;
        const absl::Time start = slow_detection_ ? clock_->Now() : absl::InfinitePast();
        return Permit(this, GenerationOf(word), kHalfOpenPermit, start);
      }
    }
  }
}

void CircuitBreaker::Impl::Complete(const Permit& permit, const absl::Status& status) {
  if (permit.kind_ == kDisabledPermit) return;
  const CallOutcome outcome = Classify(status);
  if (outcome == CallOutcome::kIgnored) {
    Abandon(permit);
    return;
  }
  const bool failed = outcome == CallOutcome::kFailure;
  bool slow = false;
  if (ABSL_PREDICT_FALSE(slow_detection_)) {
    slow = clock_->Now() - permit.start_ >= options_.slow_call_duration_threshold;
  }
  if (permit.kind_ == kClosedPermit) {
    RecordClosed(permit, failed, slow);
  } else {
    RecordHalfOpen(permit, failed, slow);
  }
}

void CircuitBreaker::Impl::RecordClosed(const Permit& permit, bool failed, bool slow) {
  const std::uint64_t word = MakeWord(permit.generation_, CircuitState::kClosed);
  if (word_.load(std::memory_order_acquire) != word) return;  // a late outcome
  std::int64_t consecutive = 0;
  if (failed) {
    consecutive = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  } else if (consecutive_failures_.load(std::memory_order_relaxed) != 0) {
    consecutive_failures_.store(0, std::memory_order_relaxed);
  }
  absl::Time now = absl::InfinitePast();
  WindowCounts counts;
  if (time_based_) {
    now = clock_->Now();
    counts = time_window_->Record(absl::ToUnixSeconds(now), failed, slow);
  } else {
    counts = count_window_->Record(failed, slow);
  }
  if (ABSL_PREDICT_TRUE(!ShouldTrip(counts, consecutive))) return;
  {
    absl::MutexLock lock(&mu_);
    if (word_.load(std::memory_order_relaxed) != word) return;  // someone else moved it
    if (now == absl::InfinitePast()) now = clock_->Now();
    TransitionLocked(CircuitState::kOpen, now);
  }
  DeliverEvents();
}

void CircuitBreaker::Impl::RecordHalfOpen(const Permit& permit, bool failed, bool slow) {
  {
    absl::MutexLock lock(&mu_);
    if (word_.load(std::memory_order_relaxed) !=
        MakeWord(permit.generation_, CircuitState::kHalfOpen)) {
      return;
    }
    ++trials_recorded_;
    trial_failures_ += failed;
    trial_slow_ += slow;
    const int permitted = options_.permitted_calls_in_half_open_state;
    std::optional<CircuitState> next;
    if (!options_.rate_based_tripping) {
      // gobreaker: any failed trial reopens; all trials succeeding closes.
      if (failed) {
        next = CircuitState::kOpen;
      } else if (trials_recorded_ >= permitted) {
        next = CircuitState::kClosed;
      }
    } else if (trials_recorded_ >= permitted) {
      // resilience4j: the rates over the trials decide.
      const bool trip =
          RateReached(trial_failures_, trials_recorded_,
                      options_.failure_rate_threshold) ||
          (slow_detection_ &&
           RateReached(trial_slow_, trials_recorded_, options_.slow_call_rate_threshold));
      next = trip ? CircuitState::kOpen : CircuitState::kClosed;
    }
    if (!next.has_value()) return;
    TransitionLocked(*next, clock_->Now());
  }
  DeliverEvents();
}

void CircuitBreaker::Impl::Abandon(const Permit& permit) {
  if (permit.kind_ != kHalfOpenPermit) return;
  absl::MutexLock lock(&mu_);
  if (word_.load(std::memory_order_relaxed) ==
          MakeWord(permit.generation_, CircuitState::kHalfOpen) &&
      trials_admitted_ > trials_recorded_) {
    --trials_admitted_;
  }
}

// --- Permit ------------------------------------------------------------------

CircuitBreaker::Permit& CircuitBreaker::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Abandon(*this);
    owner_ = std::exchange(other.owner_, nullptr);
    generation_ = other.generation_;
    kind_ = other.kind_;
    start_ = other.start_;
  }
  return *this;
}

void CircuitBreaker::Permit::Abandon() { std::exchange(owner_, nullptr)->Abandon(*this); }

void CircuitBreaker::Permit::Complete(const absl::Status& status) {
  std::exchange(owner_, nullptr)->Complete(*this, status);
}

// --- CircuitBreaker ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<CircuitBreaker>> CircuitBreaker::Create(
    CircuitBreakerOptions options, const Context& ctx) {
  if (absl::Status s = ctx.Validate(); !s.ok()) return s;
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  return std::unique_ptr<CircuitBreaker>(
      new CircuitBreaker(std::make_unique<Impl>(std::move(options), ctx)));
}

CircuitBreaker::CircuitBreaker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CircuitBreaker::~CircuitBreaker() = default;

absl::StatusOr<CircuitBreaker::Permit> CircuitBreaker::Acquire() {
  return impl_->Acquire();
}
CircuitState CircuitBreaker::state() const { return impl_->state(); }
std::string_view CircuitBreaker::name() const { return impl_->name(); }
CircuitBreakerMetrics CircuitBreaker::Metrics() const { return impl_->Metrics(); }
void CircuitBreaker::ForceOpen() { impl_->MoveTo(CircuitState::kForcedOpen); }
void CircuitBreaker::Disable() { impl_->MoveTo(CircuitState::kDisabled); }
void CircuitBreaker::Reset() { impl_->MoveTo(CircuitState::kClosed); }

}  // namespace cohort
