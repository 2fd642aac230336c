#include "cohort/base/clock.h"

#include <algorithm>
#include <chrono>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace cohort {
namespace {

// Anchored at the wall clock when created, then driven by the monotonic clock:
// Now() never goes backwards even if the wall clock is stepped.
class RealClock final : public Clock {
 public:
  RealClock()
      : anchor_wall_(absl::Now()),
        anchor_steady_(std::chrono::steady_clock::now()) {}

  absl::Time Now() const override {
    return anchor_wall_ +
           absl::FromChrono(std::chrono::steady_clock::now() - anchor_steady_);
  }

  Awaitable<absl::Status> SleepUntil(absl::Time deadline) override {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(ToSteadyDuration(deadline - Now()));
    auto [ec] =
        co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return absl::CancelledError("sleep cancelled");
    }
    co_return absl::OkStatus();
  }

  void BlockUntil(absl::Time deadline) override {
    // absl::Mutex::AwaitWithDeadline would use the wall clock; sleep in
    // monotonic slices instead so that a wall-clock step cannot stretch it.
    for (absl::Duration left = deadline - Now(); left > absl::ZeroDuration();
         left = deadline - Now()) {
      absl::SleepFor(std::min(left, absl::Seconds(1)));
    }
  }

 private:
  static std::chrono::steady_clock::duration ToSteadyDuration(absl::Duration d) {
    // Cap "forever" at about a century; steady_timer arithmetic must not
    // overflow.
    constexpr absl::Duration kMax = absl::Hours(24 * 365 * 100);
    d = std::clamp(d, absl::ZeroDuration(), kMax);
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        absl::ToChronoNanoseconds(d));
  }

  const absl::Time anchor_wall_;
  const std::chrono::steady_clock::time_point anchor_steady_;
};

}  // namespace

Awaitable<absl::Status> Clock::SleepFor(absl::Duration duration) {
  return SleepUntil(Now() + duration);
}

std::unique_ptr<Clock> NewRealClock() { return std::make_unique<RealClock>(); }

}  // namespace cohort
