#include "cohort/base/simulated_clock.h"

#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/post.hpp>

#include "absl/synchronization/mutex.h"

namespace cohort {
namespace {

// A suspended sleeper, type-erased so that the clock can hold any handler.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Posts the handler to its executor with `status`. Called at most once.
  virtual void Complete(absl::Status status) = 0;
};

template <typename Handler>
class SleeperFor final : public Sleeper {
 public:
  explicit SleeperFor(Handler handler) : handler_(std::move(handler)) {}

  void Complete(absl::Status status) override {
    auto executor = asio::get_associated_executor(handler_);
    asio::post(executor, [handler = std::move(handler_),
                          status = std::move(status)]() mutable {
      asio::get_associated_cancellation_slot(handler).clear();
      std::move(handler)(std::move(status));
    });
  }

 private:
  Handler handler_;
};

// Orders sleepers by deadline, then by the order in which they went to sleep,
// which makes wake-up order a pure function of the test's actions.
using SleeperKey = std::pair<absl::Time, std::uint64_t>;

}  // namespace

struct SimulatedClock::State {
  mutable absl::Mutex mu;
  absl::Time now ABSL_GUARDED_BY(mu);
  std::uint64_t next_seq ABSL_GUARDED_BY(mu) = 0;
  std::map<SleeperKey, std::unique_ptr<Sleeper>> sleepers ABSL_GUARDED_BY(mu);

  explicit State(absl::Time start) : now(start) {}

  // Moves time to `t` (if later), or forward by `by`, and wakes every due
  // sleeper, in order.
  void Advance(absl::Time t, absl::Duration by) ABSL_LOCKS_EXCLUDED(mu) {
    std::vector<std::unique_ptr<Sleeper>> due;
    {
      absl::MutexLock lock(&mu);
      if (by > absl::ZeroDuration()) t = now + by;
      if (t > now) now = t;
      auto end = sleepers.upper_bound(
          SleeperKey(now, std::numeric_limits<std::uint64_t>::max()));
      for (auto it = sleepers.begin(); it != end; ++it) {
        due.push_back(std::move(it->second));
      }
      sleepers.erase(sleepers.begin(), end);
    }
    for (auto& sleeper : due) sleeper->Complete(absl::OkStatus());
  }

  void Cancel(const SleeperKey& key) ABSL_LOCKS_EXCLUDED(mu) {
    std::unique_ptr<Sleeper> sleeper;
    {
      absl::MutexLock lock(&mu);
      auto it = sleepers.find(key);
      if (it == sleepers.end()) return;  // already woken
      sleeper = std::move(it->second);
      sleepers.erase(it);
    }
    sleeper->Complete(absl::CancelledError("sleep cancelled"));
  }
};

struct SimulatedClock::SleepOp {
  std::shared_ptr<SimulatedClock::State> state;
  absl::Time deadline;

  template <typename Handler>
  void operator()(Handler&& handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto sleeper =
        std::make_unique<SleeperFor<std::decay_t<Handler>>>(std::forward<Handler>(handler));
    SleeperKey key;
    {
      absl::MutexLock lock(&state->mu);
      if (deadline > state->now) {
        key = SleeperKey(deadline, state->next_seq++);
        state->sleepers.emplace(key, std::move(sleeper));
      }
    }
    if (sleeper != nullptr) {
      // Already due: complete now, but through the executor as always.
      sleeper->Complete(absl::OkStatus());
      return;
    }
    if (slot.is_connected()) {
      slot.assign([weak = std::weak_ptr<SimulatedClock::State>(state),
                   key](asio::cancellation_type) {
        if (auto s = weak.lock()) s->Cancel(key);
      });
    }
  }
};

SimulatedClock::SimulatedClock(absl::Time start)
    : state_(std::make_shared<State>(start)) {}

SimulatedClock::~SimulatedClock() {
  std::map<SleeperKey, std::unique_ptr<Sleeper>> pending;
  {
    absl::MutexLock lock(&state_->mu);
    pending.swap(state_->sleepers);
  }
  for (auto& [key, sleeper] : pending) {
    sleeper->Complete(absl::CancelledError("simulated clock destroyed"));
  }
}

absl::Time SimulatedClock::Now() const {
  absl::MutexLock lock(&state_->mu);
  return state_->now;
}

Awaitable<absl::Status> SimulatedClock::SleepUntil(absl::Time deadline) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(absl::Status)>(
      SleepOp{state_, deadline}, asio::use_awaitable);
}

void SimulatedClock::BlockUntil(absl::Time deadline) {
  struct Wait {
    State* state;
    absl::Time deadline;
    bool Reached() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return state->now >= deadline;  // mu is held by Await
    }
  } wait{state_.get(), deadline};
  absl::MutexLock lock(&state_->mu);
  state_->mu.Await(absl::Condition(&wait, &Wait::Reached));
}

void SimulatedClock::AdvanceTime(absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return;
  state_->Advance(absl::InfinitePast(), duration);
}

void SimulatedClock::SetTime(absl::Time time) { state_->Advance(time, absl::ZeroDuration()); }

std::optional<absl::Time> SimulatedClock::NextWakeup() const {
  absl::MutexLock lock(&state_->mu);
  if (state_->sleepers.empty()) return std::nullopt;
  return state_->sleepers.begin()->first.first;
}

std::size_t SimulatedClock::PendingSleepers() const {
  absl::MutexLock lock(&state_->mu);
  return state_->sleepers.size();
}

}  // namespace cohort
