// Test support for real-socket transport tests: an io_context running on its
// own threads, a blocking way to run a coroutine on it with a generous
// limit, and condition waits (never fixed sleeps).
#ifndef COHORT_TESTS_TRANSPORT_LOOPBACK_H_
#define COHORT_TESTS_TRANSPORT_LOOPBACK_H_

#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"
#include "cohort/base/logging.h"
#include "gtest/gtest.h"

namespace cohort::testing {

// Generous: these machines are shared and slow at times. Only a hang waits
// this long.
inline constexpr absl::Duration kPatience = absl::Seconds(60);

class IoThreads {
 public:
  explicit IoThreads(int threads = 2, std::uint64_t seed = 1)
      : guard_(asio::make_work_guard(io_)), real_(io_.get_executor(), nullptr, seed) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~IoThreads() { Stop(); }

  void Stop() {
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  asio::io_context& io() { return io_; }
  const Context& context() const { return real_.context(); }

  // Runs `op` on the io_context and waits for its result.
  template <typename T>
  T Run(Awaitable<T> op) {
    std::future<T> result = asio::co_spawn(io_, std::move(op), asio::use_future);
    if (result.wait_for(absl::ToChronoSeconds(kPatience)) != std::future_status::ready) {
      ADD_FAILURE() << "operation did not finish within " << kPatience;
      std::abort();  // the coroutine still refers to this test's state
    }
    return result.get();
  }

  // Starts `op` without waiting.
  template <typename T>
  std::future<T> Start(Awaitable<T> op) {
    return asio::co_spawn(io_, std::move(op), asio::use_future);
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  RealContext real_;
  std::vector<std::thread> threads_;
};

// Polls `condition` until it holds; false if it did not within kPatience.
inline bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time limit = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > limit) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

template <typename T>
bool WaitReady(std::future<T>& f) {
  return f.wait_for(absl::ToChronoSeconds(kPatience)) == std::future_status::ready;
}

}  // namespace cohort::testing

#endif  // COHORT_TESTS_TRANSPORT_LOOPBACK_H_
