// RetryBudget: a token bucket that stops retries when failures dominate, with
// the semantics of gRPC's retry throttling (gRFC A6).
//
// The bucket starts full, at max_tokens. Each failed attempt (a status the
// retry policy deems retryable) takes 1 token, each successful attempt gives
// back token_ratio, never beyond max_tokens. Retries are allowed only while
// tokens > max_tokens / 2. Attempts that fail with a non-retryable status
// change nothing. First attempts are never throttled: the budget only limits
// the extra load that retries add.
//
// Thread-safety: thread-safe and lock-free; share one budget (by
// std::shared_ptr) among every RetryPolicy that calls the same downstream.
#ifndef COHORT_RESILIENCE_RETRY_BUDGET_H_
#define COHORT_RESILIENCE_RETRY_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace cohort {

class RetryBudget {
 public:
  // max_tokens in (0, 1000] and token_ratio in (0, 1] (gRPC's limits; the
  // ratio keeps three decimals). InvalidArgument otherwise.
  static absl::StatusOr<std::shared_ptr<RetryBudget>> Create(double max_tokens,
                                                             double token_ratio);

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // An attempt succeeded: adds token_ratio, up to max_tokens.
  void RecordSuccess();
  // An attempt failed with a retryable status: takes 1 token, down to 0.
  void RecordFailure();
  // True while tokens > max_tokens / 2. RetryPolicy asks this after
  // RecordFailure(), before scheduling a retry.
  bool RetryAllowed() const;
  // The current token count, for metrics.
  double tokens() const;

 private:
  // Tokens are kept in thousandths, so that the ratio's three decimals are
  // exact and updates are plain integer CAS loops.
  RetryBudget(std::int64_t max_milli, std::int64_t ratio_milli)
      : max_milli_(max_milli), ratio_milli_(ratio_milli), milli_tokens_(max_milli) {}

  const std::int64_t max_milli_;
  const std::int64_t ratio_milli_;
  std::atomic<std::int64_t> milli_tokens_;
};

}  // namespace cohort

#endif  // COHORT_RESILIENCE_RETRY_BUDGET_H_
