// Options, states and value types of cohort::CircuitBreaker.
//
// The defaults follow resilience4j (count-based window of 100 calls, trips at
// a 50% failure rate once 100 calls were seen, waits 60 s open, admits 10
// trial calls half-open), except that slow-call detection is off unless a
// slow_call_duration_threshold is set, so that a default breaker never reads
// the clock on its fast path. CircuitBreakerOptions::LikeGobreaker() gives
// gobreaker's defaults instead. docs/resilience.md compares the two.
#ifndef COHORT_RESILIENCE_CIRCUIT_BREAKER_OPTIONS_H_
#define COHORT_RESILIENCE_CIRCUIT_BREAKER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cohort {

enum class CircuitState {
  kClosed,      // calls flow; outcomes are recorded in the sliding window
  kOpen,        // calls are rejected until wait_duration_in_open_state passed
  kHalfOpen,    // a limited number of trial calls decide: close or reopen
  kForcedOpen,  // ForceOpen(): every call is rejected until Reset()
  kDisabled,    // Disable(): every call is admitted, nothing is recorded
};

// "closed", "open", "half-open", "forced-open", "disabled".
std::string_view CircuitStateName(CircuitState state);

// How the breaker judges a finished call.
enum class CallOutcome {
  kSuccess,  // the downstream is healthy (even if the call itself failed)
  kFailure,  // the downstream is unhealthy; counts towards tripping
  kIgnored,  // says nothing about the downstream; not recorded at all
};

// The default classification:
//   OK                                         -> kSuccess
//   kCancelled                                 -> kIgnored (the caller gave up)
//   kUnavailable, kDeadlineExceeded, kInternal,
//   kUnknown, kResourceExhausted, kDataLoss    -> kFailure
//   anything else (kInvalidArgument, kNotFound,
//   kAlreadyExists, kPermissionDenied, kAborted,
//   kFailedPrecondition, ...)                  -> kSuccess: the downstream
//                                                 answered, so it is up.
// kResourceExhausted counts as a failure because an overloaded downstream is
// exactly what a breaker should shed load from.
CallOutcome DefaultCallOutcome(const absl::Status& status);

enum class SlidingWindowType {
  // The last `sliding_window_size` recorded calls.
  kCountBased,
  // The calls recorded in the last `sliding_window_size` seconds, aggregated in
  // one bucket per second (so the window moves in one-second steps).
  kTimeBased,
};

// One state change, as given to the listener.
struct CircuitStateChange {
  std::string_view name;  // CircuitBreakerOptions::name
  CircuitState from;
  CircuitState to;
  std::uint64_t generation;  // the generation that `to` starts
};

struct CircuitBreakerOptions {
  // Names the breaker in error messages, logs and state-change events.
  // Default: "circuit-breaker".
  std::string name = "circuit-breaker";

  // Default: kCountBased.
  SlidingWindowType sliding_window_type = SlidingWindowType::kCountBased;

  // Calls (count-based) or seconds (time-based) in the closed-state window.
  // Must be >= 1; at most 1'000'000 calls or 86'400 seconds. Default: 100.
  int sliding_window_size = 100;

  // Failure and slow-call rates are not evaluated (and cannot trip the
  // breaker) before the window holds this many calls. Must be >= 1 and, for a
  // count-based window, <= sliding_window_size (else the rate could never be
  // evaluated). Default: 100.
  int minimum_number_of_calls = 100;

  // Whether the failure and slow-call rates of the window can trip the
  // breaker, and decide the half-open trials (resilience4j). When false only
  // consecutive_failures_threshold trips it, and half-open follows gobreaker:
  // one failed trial reopens, all trials succeeding closes. Default: true.
  bool rate_based_tripping = true;

  // Trip when failures / calls in the window is >= this. In (0, 1].
  // Default: 0.5.
  double failure_rate_threshold = 0.5;

  // Trip when slow calls / calls in the window is >= this. In (0, 1].
  // Only meaningful with a finite slow_call_duration_threshold. Default: 1.0.
  double slow_call_rate_threshold = 1.0;

  // A call that takes at least this long is slow (successful or not).
  // InfiniteDuration() turns slow-call detection off, and with it the clock
  // reads of a count-based breaker. Must be > 0. Default: InfiniteDuration().
  absl::Duration slow_call_duration_threshold = absl::InfiniteDuration();

  // Trip after this many consecutive failures in the closed state (gobreaker's
  // ReadyToTrip; its default is "more than 5", i.e. 6 here). 0 disables it.
  // Must be >= 0. Default: 0.
  int consecutive_failures_threshold = 0;

  // How long the breaker stays open before admitting trial calls. Must be
  // >= 0 and finite. Default: 60 s.
  absl::Duration wait_duration_in_open_state = absl::Seconds(60);

  // Trial calls admitted in the half-open state; further calls are rejected
  // until these are recorded. Must be >= 1. Default: 10.
  int permitted_calls_in_half_open_state = 10;

  // gobreaker's Interval: in the closed state, the window and the
  // consecutive-failure count are cleared (and a new generation starts) every
  // `closed_state_interval`. Zero never clears. Must be >= 0. Setting it
  // makes the closed fast path read the clock. Default: ZeroDuration().
  absl::Duration closed_state_interval = absl::ZeroDuration();

  // Classifies finished calls. Called on the recording thread, without locks
  // held; must be thread-safe and cheap. Default (empty): DefaultCallOutcome.
  std::function<CallOutcome(const absl::Status&)> classify_outcome{};

  // Called after each state change, outside the breaker's locks, in the order
  // of the changes and never concurrently with itself; it may run on any
  // thread that calls into the breaker. It may call back into the breaker.
  // Default: none.
  std::function<void(const CircuitStateChange&)> on_state_change{};

  // gobreaker's defaults: trips after 6 consecutive failures (its ReadyToTrip
  // is "ConsecutiveFailures > 5"), waits 60 s open (Timeout), admits 1 trial
  // call half-open (MaxRequests), never clears closed counts (Interval 0).
  static CircuitBreakerOptions LikeGobreaker();

  // OK, or InvalidArgument naming the first bad field and the valid range.
  absl::Status Validate() const;
};

// A point-in-time view of a breaker, for metrics and debugging.
struct CircuitBreakerMetrics {
  CircuitState state = CircuitState::kClosed;
  std::uint64_t generation = 0;
  // failed / buffered, or -1 while fewer than minimum_number_of_calls (closed)
  // or fewer than the permitted trials (half-open) were recorded.
  double failure_rate = -1;
  double slow_call_rate = -1;  // likewise
  int buffered_calls = 0;      // calls in the current window (or trials)
  int failed_calls = 0;
  int slow_calls = 0;
  int consecutive_failures = 0;  // closed state only
  // Calls rejected since the breaker was created (never reset).
  std::uint64_t not_permitted_calls = 0;
};

}  // namespace cohort

#endif  // COHORT_RESILIENCE_CIRCUIT_BREAKER_OPTIONS_H_
