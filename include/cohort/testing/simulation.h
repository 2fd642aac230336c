// Helpers for driving coroutines on simulated time in tests.
#ifndef COHORT_TESTING_SIMULATION_H_
#define COHORT_TESTING_SIMULATION_H_

#include <cstddef>

#include <asio/io_context.hpp>

#include "absl/time/time.h"
#include "cohort/base/simulated_clock.h"

namespace cohort::testing {

// Runs every handler of `io` that is ready, including those they make ready,
// without blocking and without moving simulated time. Returns how many ran.
std::size_t RunReady(asio::io_context& io);

// Runs `io` until it has nothing ready, then advances `clock` to the next
// sleeper's deadline, and repeats, until nothing is ready and either no
// sleeper is left or the next one lies beyond `until`. Single-threaded and
// deterministic. Returns the number of clock advances made; stops early (and
// returns) after `max_advances` of them, a guard against livelock.
std::size_t RunUntilIdle(asio::io_context& io, SimulatedClock& clock,
                         absl::Time until = absl::InfiniteFuture(),
                         std::size_t max_advances = 1'000'000);

}  // namespace cohort::testing

#endif  // COHORT_TESTING_SIMULATION_H_
