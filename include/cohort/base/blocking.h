// Blocking wrappers for callers that do not run an event loop.
#ifndef COHORT_BASE_BLOCKING_H_
#define COHORT_BASE_BLOCKING_H_

#include <exception>
#include <optional>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/async.h"

namespace cohort {

// Runs `op` to completion on a private single-threaded io_context in the
// calling thread and returns its result. For awaitables that need no other
// executor than the one they run on (sleeps on the real clock, work that
// posts to this_coro::executor), or whose I/O objects are served by an
// io_context running in another thread. Never call it from a thread that runs
// an io_context the operation depends on: that thread would deadlock.
template <typename T>
T RunBlocking(Awaitable<T> op) {
  asio::io_context io(1);
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

}  // namespace cohort

#endif  // COHORT_BASE_BLOCKING_H_
