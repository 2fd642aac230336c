// The project's one place that names asio's coroutine vocabulary.
//
// Public cohort APIs are asio C++20 coroutines: a function returning
// `Awaitable<T>` is started by `co_await` from another coroutine, or by
// `asio::co_spawn` on an executor. Cancellation follows asio's per-operation
// cancellation slots: cancelling the awaiting coroutine (for example through
// `asio::experimental::awaitable_operators` or a cancellation signal bound to
// `co_spawn`) cancels the cohort operation in flight, which then completes with
// absl::StatusCode::kCancelled.
//
// Routing the vocabulary through these aliases means that an asio upgrade
// (where `as_tuple` and channels leave `experimental`) touches one file.
#ifndef COHORT_BASE_ASYNC_H_
#define COHORT_BASE_ASYNC_H_

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/use_awaitable.hpp>

namespace cohort {

template <typename T>
using Awaitable = asio::awaitable<T>;

using Executor = asio::any_io_executor;

}  // namespace cohort

#endif  // COHORT_BASE_ASYNC_H_
