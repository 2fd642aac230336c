// Internal helpers for the call wrappers of the resilience area. Not part of
// the public API; may change at any time.
#ifndef COHORT_RESILIENCE_INTERNAL_CALL_TRAITS_H_
#define COHORT_RESILIENCE_INTERNAL_CALL_TRAITS_H_

#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/base/async.h"
#include "cohort/base/status.h"

namespace cohort::resilience_internal {

using ::cohort::IsStatusLike;
using ::cohort::StatusOf;

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
