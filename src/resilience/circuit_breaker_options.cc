#include "cohort/resilience/circuit_breaker_options.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace cohort {
namespace {

constexpr int kMaxCountWindow = 1'000'000;
constexpr int kMaxTimeWindowSeconds = 86'400;

bool InRateRange(double v) { return std::isfinite(v) && v > 0.0 && v <= 1.0; }

}  // namespace

std::string_view CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half-open";
    case CircuitState::kForcedOpen:
      return "forced-open";
    case CircuitState::kDisabled:
      return "disabled";
  }
  return "unknown";
}

CallOutcome DefaultCallOutcome(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return CallOutcome::kSuccess;
    case absl::StatusCode::kCancelled:
      return CallOutcome::kIgnored;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDataLoss:
      return CallOutcome::kFailure;
    default:
      return CallOutcome::kSuccess;
  }
}

CircuitBreakerOptions CircuitBreakerOptions::LikeGobreaker() {
  CircuitBreakerOptions o;
  o.rate_based_tripping = false;
  o.consecutive_failures_threshold = 6;
  o.wait_duration_in_open_state = absl::Seconds(60);
  o.permitted_calls_in_half_open_state = 1;
  o.closed_state_interval = absl::ZeroDuration();
  return o;
}

absl::Status CircuitBreakerOptions::Validate() const {
  auto bad = [this](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("circuit breaker '", name, "': ", parts...));
  };
  if (name.empty()) {
    return absl::InvalidArgumentError("circuit breaker name must not be empty");
  }
  if (sliding_window_size < 1) {
    return bad("sliding_window_size must be >= 1, got ", sliding_window_size);
  }
  if (sliding_window_type == SlidingWindowType::kCountBased &&
      sliding_window_size > kMaxCountWindow) {
    return bad("sliding_window_size must be <= ", kMaxCountWindow,
               " calls for a count-based window, got ", sliding_window_size);
  }
  if (sliding_window_type == SlidingWindowType::kTimeBased &&
      sliding_window_size > kMaxTimeWindowSeconds) {
    return bad("sliding_window_size must be <= ", kMaxTimeWindowSeconds,
               " seconds for a time-based window, got ", sliding_window_size);
  }
  if (minimum_number_of_calls < 1) {
    return bad("minimum_number_of_calls must be >= 1, got ", minimum_number_of_calls);
  }
  if (sliding_window_type == SlidingWindowType::kCountBased &&
      minimum_number_of_calls > sliding_window_size) {
    return bad("minimum_number_of_calls (", minimum_number_of_calls,
               ") must be <= sliding_window_size (", sliding_window_size,
               ") for a count-based window, or the rates are never evaluated");
  }
  if (!InRateRange(failure_rate_threshold)) {
    return bad("failure_rate_threshold must be in (0, 1], got ", failure_rate_threshold);
  }
  if (!InRateRange(slow_call_rate_threshold)) {
    return bad("slow_call_rate_threshold must be in (0, 1], got ",
               slow_call_rate_threshold);
  }
  if (slow_call_duration_threshold <= absl::ZeroDuration()) {
    return bad(
        "slow_call_duration_threshold must be > 0 (InfiniteDuration() turns "
        "slow-call detection off), got ",
        absl::FormatDuration(slow_call_duration_threshold));
  }
  if (consecutive_failures_threshold < 0) {
    return bad("consecutive_failures_threshold must be >= 0 (0 disables it), got ",
               consecutive_failures_threshold);
  }
  if (!rate_based_tripping && consecutive_failures_threshold == 0) {
    return bad(
        "with rate_based_tripping = false, set consecutive_failures_threshold "
        ">= 1, or nothing can ever trip the breaker");
  }
  if (wait_duration_in_open_state < absl::ZeroDuration() ||
      wait_duration_in_open_state == absl::InfiniteDuration()) {
    return bad("wait_duration_in_open_state must be >= 0 and finite, got ",
               absl::FormatDuration(wait_duration_in_open_state));
  }
  if (permitted_calls_in_half_open_state < 1) {
    return bad("permitted_calls_in_half_open_state must be >= 1, got ",
               permitted_calls_in_half_open_state);
  }
  if (closed_state_interval < absl::ZeroDuration() ||
      closed_state_interval == absl::InfiniteDuration()) {
    return bad("closed_state_interval must be >= 0 and finite (0 never clears), got ",
               absl::FormatDuration(closed_state_interval));
  }
  return absl::OkStatus();
}

}  // namespace cohort
