// Runs blocking work on a thread pool and resumes the awaiting coroutine on
// its own executor.
#ifndef COHORT_SRC_BLOB_OFFLOAD_H_
#define COHORT_SRC_BLOB_OFFLOAD_H_

#include <type_traits>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include "cohort/base/async.h"

namespace cohort::blob::internal {

// Calls `fn()` on one of `pool`'s threads; the awaiting coroutine resumes on
// its own executor with the result (which keeps that executor's work count up
// meanwhile, so its io_context does not run out of work). `fn` runs to
// completion even if the awaiting coroutine is cancelled: blocking system
// calls cannot be interrupted. Whatever `fn` references must stay valid until
// the awaitable completes.
template <typename Fn>
Awaitable<std::invoke_result_t<Fn&>> Offload(asio::thread_pool& pool, Fn fn) {
  using Result = std::invoke_result_t<Fn&>;
  auto initiation = [&pool](auto handler, Fn work) {
    auto home = asio::prefer(asio::get_associated_executor(handler),
                             asio::execution::outstanding_work.tracked);
    asio::post(pool, [handler = std::move(handler), work = std::move(work),
                      home = std::move(home)]() mutable {
      Result result = work();
      // The tracked executor travels with the completion and is released on
      // the caller's thread once the handler has run. Released here instead,
      // the work count could drop after the caller has already moved on (say,
      // restarted its io_context for the next operation) and stop it.
      auto target = asio::prefer(home, asio::execution::outstanding_work.untracked);
      asio::post(target, [handler = std::move(handler), result = std::move(result),
                          home = std::move(home)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result)>(
      std::move(initiation), asio::use_awaitable, std::move(fn));
}

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_OFFLOAD_H_
