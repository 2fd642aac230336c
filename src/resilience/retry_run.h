// The decision core of one RetryPolicy run: pure, given statuses and times.
#ifndef COHORT_SRC_RESILIENCE_RETRY_RUN_H_
#define COHORT_SRC_RESILIENCE_RETRY_RUN_H_

#include <functional>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cohort/base/clock.h"
#include "cohort/base/random.h"
#include "cohort/resilience/retry_policy.h"

namespace cohort::resilience_internal {

struct RetryDecision {
  bool done = false;
  absl::Status result;   // when done
  absl::Duration delay;  // when not done: wait this long, then attempt again
};

class RetryRun {
 public:
  // Reads `clock` only when the timeout is finite or a retry is considered,
  // so the success path of an untimed policy never does.
  RetryRun(const RetryOptions& options, Idempotency idempotency, Clock* clock,
           absl::FunctionRef<Random()> fork_random);

  // Judges the result of the attempt just made.
  RetryDecision Decide(absl::Status status);

  int attempts() const { return last_.attempt; }
  const RetryAttempt& last_attempt() const { return last_; }

 private:
  absl::Duration Backoff();
  RetryDecision Stop(absl::Status status);

  const RetryOptions& options_;
  const Idempotency idempotency_;
  Clock* const clock_;
  const absl::Time deadline_;
  absl::FunctionRef<Random()> fork_random_;
  std::optional<Random> random_;
  absl::Duration previous_backoff_;
  RetryAttempt last_;
};

}  // namespace cohort::resilience_internal

#endif  // COHORT_SRC_RESILIENCE_RETRY_RUN_H_
