// Clock: the only way cohort code learns the time or waits for it.
//
// Protocol code never reads std::chrono clocks directly; it is handed a Clock.
// Production uses the real clock; tests use SimulatedClock
// ("cohort/base/simulated_clock.h"), whose time moves only when the test moves
// it, so that a run replays exactly.
#ifndef COHORT_BASE_CLOCK_H_
#define COHORT_BASE_CLOCK_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort {

// Thread-safety: every method may be called concurrently from any thread.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current time. Never decreases for a given Clock object (the real clock
  // is anchored to the wall clock when created and then advances with the
  // monotonic clock, so a wall-clock step does not move it backwards).
  virtual absl::Time Now() const = 0;

  // Suspends the calling coroutine until Now() >= `deadline`. A deadline in
  // the past completes at once (still asynchronously, through the executor).
  //
  // Returns OK when the deadline is reached, or kCancelled when the awaiting
  // coroutine's cancellation slot is emitted first. Resumes on the awaiting
  // coroutine's executor.
  virtual Awaitable<absl::Status> SleepUntil(absl::Time deadline) = 0;

  // Same as SleepUntil(Now() + duration). A non-positive duration completes
  // at once.
  Awaitable<absl::Status> SleepFor(absl::Duration duration);

  // Blocks the calling thread until Now() >= `deadline`, for callers that do
  // not run an event loop. Must not be called from an executor thread whose
  // progress the wait depends on (for SimulatedClock: from the thread that
  // advances it).
  virtual void BlockUntil(absl::Time deadline) = 0;

  void BlockFor(absl::Duration duration) { BlockUntil(Now() + duration); }
};

// Returns a new real clock. Sleeping uses the awaiting coroutine's executor's
// steady timer.
std::unique_ptr<Clock> NewRealClock();

}  // namespace cohort

#endif  // COHORT_BASE_CLOCK_H_
