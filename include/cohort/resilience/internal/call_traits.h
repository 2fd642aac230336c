// Internal helpers for the call wrappers of the resilience area. Not part of
// the public API; may change at any time.
#ifndef COHORT_RESILIENCE_INTERNAL_CALL_TRAITS_H_
#define COHORT_RESILIENCE_INTERNAL_CALL_TRAITS_H_

#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/base/async.h"

namespace cohort::resilience_internal {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// True for absl::Status and absl::StatusOr<T>: the results the wrappers accept.
template <typename T>
struct IsStatusLike : std::false_type {};
template <>
struct IsStatusLike<absl::Status> : std::true_type {};
template <typename T>
struct IsStatusLike<absl::StatusOr<T>> : std::true_type {};

// The T of Awaitable<T>.
template <typename A>
struct AwaitableValue {};
template <typename T>
struct AwaitableValue<Awaitable<T>> {
  using type = T;
};

template <typename F>
using SyncResult = std::decay_t<std::invoke_result_t<F&>>;
template <typename F>
using AsyncResult = typename AwaitableValue<std::decay_t<std::invoke_result_t<F&>>>::type;

}  // namespace cohort::resilience_internal

#endif  // COHORT_RESILIENCE_INTERNAL_CALL_TRAITS_H_
