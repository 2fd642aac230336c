// Status hints: small, typed payloads that tell a retrying caller what the
// callee knows about an error.
//
// Two hints travel on an absl::Status as payloads, so that they survive
// cohort::Annotate(), copying and any layer that forwards statuses unchanged:
//
//   retry-after  the callee (a server's pushback, an open circuit breaker, a
//                rate limiter) asks not to be called again for this long.
//                Retry policies wait this long instead of their own backoff.
//   not-sent     the request provably never reached the downstream (a breaker
//                rejected it, the connection could not be opened, ...), so a
//                retry cannot duplicate its effect even if the call is not
//                idempotent.
//
// The helpers are general seams: the circuit breaker sets both when it rejects
// a call; transports set retry-after from server pushback and not-sent on
// connect failures; RetryPolicy reads both.
//
// Thread-safety: pure functions on values.
#ifndef COHORT_RESILIENCE_STATUS_HINTS_H_
#define COHORT_RESILIENCE_STATUS_HINTS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cohort {

// Payload type URLs, for code that inspects payloads directly (e.g. a
// transport serialising them onto the wire).
inline constexpr char kRetryAfterPayloadUrl[] = "type.cohort.dev/cohort.RetryAfter";
inline constexpr char kNotSentPayloadUrl[] = "type.cohort.dev/cohort.NotSent";

// Returns `status` carrying a retry-after hint of `delay`. Negative delays are
// stored as zero (a server asking for "now"); an infinite delay means "do not
// retry". An OK status is returned unchanged (OK carries no payloads).
absl::Status WithRetryAfter(absl::Status status, absl::Duration delay);

// The retry-after hint of `status`, or nullopt when it has none (or the
// payload is malformed).
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// Returns `status` marked as never having reached the downstream. An OK
// status is returned unchanged.
absl::Status MarkNotSent(absl::Status status);

// True if `status` carries the not-sent marker.
bool WasNotSent(const absl::Status& status);

}  // namespace cohort

#endif  // COHORT_RESILIENCE_STATUS_HINTS_H_
