// SimulatedClock: deterministic time for tests and simulation.
//
// Time starts where the test says and moves only through AdvanceTime() or
// SetTime(). Sleepers whose deadline is reached are woken in (deadline, order
// of sleeping) order: each is posted to its coroutine's executor, so a test
// driving a single io_context sees them resume in exactly that order on every
// run.
//
// Drive a simulation with `io.poll()`, not `io.run()`: a suspended coroutine
// started by co_spawn counts as outstanding work, so run() would wait forever
// for time that only the test can move. The loop is: poll until nothing is
// ready, advance to NextWakeup(), repeat (cohort::testing::RunUntilIdle).
//
// Lifetime: destroy the SimulatedClock while the executors of its pending
// sleepers are still alive (declare it after the io_context); its destructor
// completes pending sleeps with kCancelled.
#ifndef COHORT_BASE_SIMULATED_CLOCK_H_
#define COHORT_BASE_SIMULATED_CLOCK_H_

#include <cstddef>
#include <memory>
#include <optional>

#include "cohort/base/clock.h"

namespace cohort {

// Thread-safe.
class SimulatedClock final : public Clock {
 public:
  // Starts at `start`. Default: the Unix epoch plus one day (so that
  // timestamps in logs are obviously simulated yet positive).
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24));
  ~SimulatedClock() override;

  SimulatedClock(const SimulatedClock&) = delete;
  SimulatedClock& operator=(const SimulatedClock&) = delete;

  absl::Time Now() const override;
  Awaitable<absl::Status> SleepUntil(absl::Time deadline) override;
  void BlockUntil(absl::Time deadline) override;

  // Moves time forward by `duration` (negative durations are ignored: time
  // never goes back) and wakes every sleeper whose deadline is now reached.
  void AdvanceTime(absl::Duration duration);

  // Moves time to `time` if it is later than Now(); wakes sleepers likewise.
  void SetTime(absl::Time time);

  // The earliest deadline among pending coroutine sleepers, if any. A
  // simulation loop runs its io_context until idle, then advances to this.
  std::optional<absl::Time> NextWakeup() const;

  // Number of coroutine sleepers not yet woken.
  std::size_t PendingSleepers() const;

 private:
  struct State;
  struct SleepOp;
  std::shared_ptr<State> state_;
};

}  // namespace cohort

#endif  // COHORT_BASE_SIMULATED_CLOCK_H_
