// Driving coroutines that do real loopback I/O from a test thread, with a
// simulated clock for everything time-related.
#ifndef COHORT_TESTS_BLOB_S3_TEST_UTIL_H_
#define COHORT_TESTS_BLOB_S3_TEST_UTIL_H_

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "cohort/base/async.h"
#include "cohort/base/simulated_clock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3::testing {

// Runs `io` until `done()` holds. Socket events arrive in real time, so this
// waits for them, handler by handler; the bound only keeps a broken test from
// hanging the suite (it is not a timing assertion).
inline bool RunIoUntil(asio::io_context& io, const std::function<bool()>& done) {
  for (int i = 0; i < 6000 && !done(); ++i) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  if (!done()) ADD_FAILURE() << "condition not reached after 60 s of loopback I/O";
  return done();
}

// As RunIoUntil, and whenever a coroutine sleeps on `clock` (a retry
// backoff), jumps the clock to its wake-up time. Only for tests where no
// deadline races real I/O.
inline bool RunIoUntilAdvancing(asio::io_context& io, SimulatedClock& clock,
                                const std::function<bool()>& done) {
  return RunIoUntil(io, [&] {
    if (done()) return true;
    if (std::optional<absl::Time> wakeup = clock.NextWakeup()) clock.SetTime(*wakeup);
    return false;
  });
}

// Starts `op` on `io` and runs `io` until it completes; returns its result.
template <typename T>
T AwaitOn(asio::io_context& io, Awaitable<T> op) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result.emplace(std::move(value));
  });
  RunIoUntil(io, [&] { return result.has_value(); });
  return std::move(result).value();  // throws if the loop gave up
}

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_TEST_UTIL_H_
