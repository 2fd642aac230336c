// Context: every seam a cohort component depends on, in one struct.
//
// Components take a `const Context&` when created and copy what they need; no
// cohort code reaches for a global. Tests build a Context from a SimulatedClock
// and a fixed seed; production code builds one with RealContext below.
//
// Later areas add their seams here (file system, transport) as
// optional fields with documented defaults, so existing callers keep compiling.
#ifndef COHORT_BASE_CONTEXT_H_
#define COHORT_BASE_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/base/logging.h"
#include "cohort/base/metrics.h"
#include "cohort/base/random.h"

namespace cohort {

struct Context {
  // Where the component runs its coroutines and timers. Required by
  // asynchronous components; synchronous ones (breaker, ring) ignore it.
  Executor executor{};

  // Source of time and of sleeps. Required. Borrowed: must outlive every
  // component created from this Context.
  Clock* clock = nullptr;

  // Root of all randomness. Components derive their own independent streams
  // with NewRandom(purpose), so adding a component does not shift the random
  // choices of another. Default: 0 (tests should pick and print their seed).
  std::uint64_t seed = 0;

  // Where the component logs. Default (null): silent. cohort never uses
  // spdlog's default logger.
  LoggerPtr logger{};

  // Where components report counters, gauges and histograms
  // (cohort/base/metrics.h). Borrowed: must outlive every component created
  // from this Context. Default (null): nothing is reported.
  MetricsSink* metrics = nullptr;

  // A random stream for `purpose` (e.g. "raft/node-3/election"), derived
  // deterministically from `seed`.
  Random NewRandom(std::string_view purpose) const {
    return Random(DeriveSeed(seed, purpose));
  }

  // The logger to use: `logger`, or a silent one when it is null.
  LoggerPtr LoggerOrNull() const;

  // The metrics sink to use: `*metrics`, or one that drops everything.
  MetricsSink& MetricsOrNoop() const;

  // OK if the required fields are set; InvalidArgument naming the missing one
  // otherwise.
  absl::Status Validate() const;
};

// Owns the parts of a production Context that a Context only borrows (the real
// clock), and hands out the Context. Keep it alive as long as the components
// created from its context().
//
//   asio::io_context io;
//   cohort::RealContext real(io.get_executor(), cohort::NewStderrLogger("svc"));
//   auto breaker = cohort::CircuitBreaker::Create(options, real.context());
class RealContext {
 public:
  // `seed` defaults to one drawn from the operating system's entropy source.
  explicit RealContext(Executor executor, LoggerPtr logger = nullptr,
                       std::uint64_t seed = SeedFromEntropy());

  RealContext(const RealContext&) = delete;
  RealContext& operator=(const RealContext&) = delete;

  const Context& context() const { return context_; }

 private:
  std::unique_ptr<Clock> clock_;
  Context context_;
};

}  // namespace cohort

#endif  // COHORT_BASE_CONTEXT_H_
