#include "cohort/testing/simulation.h"

namespace cohort::testing {

std::size_t RunReady(asio::io_context& io) {
  std::size_t total = 0;
  for (;;) {
    io.restart();
    const std::size_t ran = io.poll();
    if (ran == 0) return total;
    total += ran;
  }
}

std::size_t RunUntilIdle(asio::io_context& io, SimulatedClock& clock,
                         absl::Time until, std::size_t max_advances) {
  std::size_t advances = 0;
  for (;;) {
    RunReady(io);
    auto next = clock.NextWakeup();
    if (!next.has_value() || *next > until || *next == absl::InfiniteFuture() ||
        advances >= max_advances) {
      break;
    }
    clock.SetTime(*next);
    ++advances;
  }
  return advances;
}

}  // namespace cohort::testing
