// Status conventions shared by every cohort API.
//
// cohort reports errors as absl::Status / absl::StatusOr<T>; no exception
// escapes the public API. The code tells the caller what to do next:
//
//   kUnavailable        transient; retry the same call (with backoff). An
//                       open circuit breaker answers this too, with a
//                       retry-after hint and a "not sent" marker (see
//                       cohort/resilience/status_hints.h).
//   kDeadlineExceeded   the caller's deadline passed; the effect is unknown.
//   kAborted            a conflict or a lost lease; retry the whole
//                       transaction or read-modify-write from the start.
//   kFailedPrecondition the system is not in a state that allows the call
//                       (a lock held by another owner, a membership change
//                       in progress, ...); fix state first.
//                       The message carries a hint where one exists.
//   kInvalidArgument    the input is wrong; retrying cannot help. The message
//                       says which argument and what a valid one looks like.
//   kNotFound, kAlreadyExists, kPermissionDenied, kResourceExhausted,
//   kDataLoss, kCancelled, kInternal keep their usual abseil meaning.
//
// abseil 20220623 has no RETURN_IF_ERROR family; these macros fill the gap.
// The COHORT_CO_* twins are for asio coroutines, which must `co_return`.
#ifndef COHORT_BASE_STATUS_H_
#define COHORT_BASE_STATUS_H_

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort {

// Returns `status` with `context` prepended to its message ("context: message"),
// keeping the code and payloads. Returns OK unchanged.
absl::Status Annotate(const absl::Status& status, std::string_view context);

// "CODE: message" for quoting one status inside another's message, without
// the binary payloads that absl::Status::ToString() appends.
std::string StatusSummary(const absl::Status& status);

// The status of an absl::Status (itself) or of an absl::StatusOr<T>.
inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// True for absl::Status and absl::StatusOr<T>, the result types that cohort's
// generic wrappers (retries, breakers, deadlines) accept.
template <typename T>
struct IsStatusLike : std::false_type {};
template <>
struct IsStatusLike<absl::Status> : std::true_type {};
template <typename T>
struct IsStatusLike<absl::StatusOr<T>> : std::true_type {};
template <typename T>
concept StatusLike = IsStatusLike<T>::value;

}  // namespace cohort

#define COHORT_STATUS_CONCAT_INNER_(a, b) a##b
#define COHORT_STATUS_CONCAT_(a, b) COHORT_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status or absl::StatusOr<T>) once; returns its
// status from the enclosing function if it is not OK.
#define COHORT_RETURN_IF_ERROR(expr)                                        \
  do {                                                                      \
    const auto& cohort_status_ref_ = (expr);                                \
    if (ABSL_PREDICT_FALSE(!cohort_status_ref_.ok())) {                     \
      return ::cohort::StatusOf(cohort_status_ref_);       \
    }                                                                       \
  } while (false)

// Coroutine twin of COHORT_RETURN_IF_ERROR: `co_return`s the status.
#define COHORT_CO_RETURN_IF_ERROR(expr)                                     \
  do {                                                                      \
    const auto& cohort_status_ref_ = (expr);                                \
    if (ABSL_PREDICT_FALSE(!cohort_status_ref_.ok())) {                     \
      co_return ::cohort::StatusOf(cohort_status_ref_);    \
    }                                                                       \
  } while (false)

#define COHORT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                       \
  if (ABSL_PREDICT_FALSE(!tmp.ok())) ret std::move(tmp).status(); \
  lhs = std::move(tmp).value()

// Evaluates `expr` (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`auto x`) or an existing lvalue. Expands to several statements:
// do not use it as the sole body of an unbraced `if`.
#define COHORT_ASSIGN_OR_RETURN(lhs, expr)                                   \
  COHORT_ASSIGN_OR_RETURN_IMPL_(                                             \
      COHORT_STATUS_CONCAT_(cohort_statusor_, __LINE__), lhs, expr, return)

// Coroutine twin of COHORT_ASSIGN_OR_RETURN. `expr` may contain `co_await`.
#define COHORT_CO_ASSIGN_OR_RETURN(lhs, expr)                                \
  COHORT_ASSIGN_OR_RETURN_IMPL_(                                             \
      COHORT_STATUS_CONCAT_(cohort_statusor_, __LINE__), lhs, expr, co_return)

#endif  // COHORT_BASE_STATUS_H_
