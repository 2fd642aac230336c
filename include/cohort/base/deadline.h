// Deadlines for awaitable operations.
//
// Every network wait in cohort has a deadline. Components take an absl::Time
// deadline in their options or per call; WithDeadline() is the building block
// they (and users) apply to any cancellable awaitable.
#ifndef COHORT_BASE_DEADLINE_H_
#define COHORT_BASE_DEADLINE_H_

#include <utility>
#include <variant>

#include <asio/experimental/awaitable_operators.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/base/status.h"

namespace cohort {

// Runs `op` until it completes or `clock` reaches `deadline`, whichever comes
// first. If the deadline wins, `op` is cancelled (through its cancellation
// slot; it must honour cancellation promptly) and the result is
// kDeadlineExceeded naming `what`. If the awaiting coroutine itself is
// cancelled, the result is kCancelled. Otherwise `op`'s own result.
//
// `T` is absl::Status or absl::StatusOr<U>. `clock` must outlive the call.
template <StatusLike T>
Awaitable<T> WithDeadline(Clock& clock, absl::Time deadline, Awaitable<T> op,
                          std::string_view what = "operation") {
  using namespace asio::experimental::awaitable_operators;  // NOLINT
  std::variant<T, absl::Status> result =
      co_await (std::move(op) || clock.SleepUntil(deadline));
  if (result.index() == 0) co_return std::get<0>(std::move(result));
  absl::Status sleep = std::get<1>(std::move(result));
  if (!sleep.ok()) co_return sleep;  // the caller was cancelled
  co_return absl::DeadlineExceededError(
      absl::StrCat(absl::string_view(what.data(), what.size()),
                   " did not complete before its deadline"));
}

// As above, with a deadline `timeout` from now.
template <StatusLike T>
Awaitable<T> WithTimeout(Clock& clock, absl::Duration timeout, Awaitable<T> op,
                         std::string_view what = "operation") {
  return WithDeadline(clock, clock.Now() + timeout, std::move(op), what);
}

}  // namespace cohort

#endif  // COHORT_BASE_DEADLINE_H_
