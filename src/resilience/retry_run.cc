#include "resilience/retry_run.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::resilience_internal {

RetryRun::RetryRun(const RetryOptions& options, Idempotency idempotency, Clock* clock,
                   absl::FunctionRef<Random()> fork_random)
    : options_(options),
      idempotency_(idempotency),
      clock_(clock),
      deadline_(options.timeout == absl::InfiniteDuration()
                    ? absl::InfiniteFuture()
                    : clock->Now() + options.timeout),
      fork_random_(fork_random),
      previous_backoff_(options.initial_backoff) {}

absl::Duration RetryRun::Backoff() {
  // `attempt` failed attempts so far; this is the wait before retry number
  // `attempt`.
  const int retry = last_.attempt;
  if (options_.jitter != Jitter::kNone && !random_.has_value()) random_ = fork_random_();
  if (options_.jitter == Jitter::kDecorrelated) {
    const absl::Duration hi = std::max(options_.initial_backoff, previous_backoff_ * 3);
    previous_backoff_ = std::min(options_.max_backoff,
                                 random_->UniformDuration(options_.initial_backoff, hi));
    return previous_backoff_;
  }
  // initial * multiplier^(retry-1), capped; computed in double seconds so that
  // large exponents saturate at the cap instead of overflowing.
  const double scaled = absl::ToDoubleSeconds(options_.initial_backoff) *
                        std::pow(options_.backoff_multiplier, retry - 1);
  const absl::Duration base = scaled >= absl::ToDoubleSeconds(options_.max_backoff)
                                  ? options_.max_backoff
                                  : std::min(options_.max_backoff, absl::Seconds(scaled));
  if (options_.jitter == Jitter::kNone) return base;
  return random_->UniformDuration(absl::ZeroDuration(), base);
}

RetryDecision RetryRun::Stop(absl::Status status) {
  last_.next_delay.reset();
  RetryDecision d;
  d.done = true;
  d.result = std::move(status);
  return d;
}

RetryDecision RetryRun::Decide(absl::Status status) {
  ++last_.attempt;
  last_.status = status;
  last_.next_delay.reset();
  const int attempt = last_.attempt;
  if (status.ok()) {
    if (options_.budget) options_.budget->RecordSuccess();
    return Stop(std::move(status));
  }
  const bool retryable = options_.retryable
                             ? options_.retryable(status)
                             : status.code() == absl::StatusCode::kUnavailable;
  if (!retryable) return Stop(std::move(status));
  if (options_.budget) options_.budget->RecordFailure();
  if (idempotency_ == Idempotency::kNonIdempotent && !WasNotSent(status)) {
    return Stop(Annotate(status,
                         "not retried: the call is not idempotent and may have "
                         "reached the server"));
  }
  if (attempt >= options_.max_attempts) {
    return Stop(Annotate(status, absl::StrCat("gave up after ", attempt, " attempt",
                                              attempt == 1 ? "" : "s")));
  }
  if (options_.budget && !options_.budget->RetryAllowed()) {
    return Stop(
        Annotate(status, absl::StrCat("not retried: retry budget exhausted (",
                                      options_.budget->tokens(), " tokens left)")));
  }
  const std::optional<absl::Duration> pushback = RetryAfter(status);
  if (pushback == absl::InfiniteDuration()) {
    return Stop(Annotate(status, "not retried: the server asked not to retry"));
  }
  const absl::Duration delay = pushback.has_value() ? *pushback : Backoff();
  const absl::Time now = clock_->Now();
  if (now + delay >= deadline_) {
    return Stop(absl::DeadlineExceededError(absl::StrCat(
        "retry timeout of ", absl::FormatDuration(options_.timeout),
        " would pass before attempt ", attempt + 1, " (",
        pushback.has_value() ? "server asked to wait " : "backoff ",
        absl::FormatDuration(delay), ", ",
        absl::FormatDuration(std::max(absl::ZeroDuration(), deadline_ - now)),
        " left); last error: ", StatusSummary(status))));
  }
  last_.next_delay = delay;
  RetryDecision d;
  d.delay = delay;
  return d;
}

}  // namespace cohort::resilience_internal

namespace cohort {

absl::Status RetryOptions::Validate() const {
  auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("retry options: ", parts...));
  };
  if (max_attempts < 1) {
    return bad("max_attempts must be >= 1 (1 means no retries), got ", max_attempts);
  }
  if (initial_backoff < absl::ZeroDuration() ||
      initial_backoff == absl::InfiniteDuration()) {
    return bad("initial_backoff must be >= 0 and finite, got ",
               absl::FormatDuration(initial_backoff));
  }
  if (!std::isfinite(backoff_multiplier) || backoff_multiplier < 1.0) {
    return bad("backoff_multiplier must be >= 1 and finite, got ", backoff_multiplier);
  }
  if (max_backoff < initial_backoff || max_backoff == absl::InfiniteDuration()) {
    return bad("max_backoff must be finite and >= initial_backoff (",
               absl::FormatDuration(initial_backoff), "), got ",
               absl::FormatDuration(max_backoff));
  }
  if (timeout <= absl::ZeroDuration()) {
    return bad("timeout must be > 0 (InfiniteDuration() for none), got ",
               absl::FormatDuration(timeout));
  }
  return absl::OkStatus();
}

}  // namespace cohort
