#include "cohort/resilience/retry_budget.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace cohort {

absl::StatusOr<std::shared_ptr<RetryBudget>> RetryBudget::Create(double max_tokens,
                                                                 double token_ratio) {
  if (!std::isfinite(max_tokens) || max_tokens <= 0 || max_tokens > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry budget max_tokens must be in (0, 1000], got ", max_tokens));
  }
  if (!std::isfinite(token_ratio) || token_ratio <= 0 || token_ratio > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry budget token_ratio must be in (0, 1], got ", token_ratio));
  }
  const auto ratio_milli = static_cast<std::int64_t>(std::llround(token_ratio * 1000));
  if (ratio_milli == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retry budget token_ratio must be at least 0.001 (three decimals), got ",
        token_ratio));
  }
  const auto max_milli = static_cast<std::int64_t>(std::llround(max_tokens * 1000));
  return std::shared_ptr<RetryBudget>(new RetryBudget(max_milli, ratio_milli));
}

void RetryBudget::RecordSuccess() {
  std::int64_t cur = milli_tokens_.load(std::memory_order_relaxed);
  while (cur < max_milli_ &&
         !milli_tokens_.compare_exchange_weak(
             cur, std::min(max_milli_, cur + ratio_milli_), std::memory_order_relaxed)) {
  }
}

void RetryBudget::RecordFailure() {
  std::int64_t cur = milli_tokens_.load(std::memory_order_relaxed);
  while (cur > 0 &&
         !milli_tokens_.compare_exchange_weak(cur, std::max<std::int64_t>(0, cur - 1000),
                                              std::memory_order_relaxed)) {
  }
}

bool RetryBudget::RetryAllowed() const {
  // tokens > max / 2, in integers: 2 * tokens > max.
  return 2 * milli_tokens_.load(std::memory_order_relaxed) > max_milli_;
}

double RetryBudget::tokens() const {
  return static_cast<double>(milli_tokens_.load(std::memory_order_relaxed)) / 1000.0;
}

}  // namespace cohort
