#include "cohort/base/context.h"

#include <utility>

namespace cohort {

LoggerPtr Context::LoggerOrNull() const {
  return logger != nullptr ? logger : NewNullLogger();
}

MetricsSink& Context::MetricsOrNoop() const {
  return metrics != nullptr ? *metrics : NoopMetrics();
}

absl::Status Context::Validate() const {
  if (clock == nullptr) {
    return absl::InvalidArgumentError(
        "Context.clock is null: set it to a real clock (see RealContext) or a "
        "SimulatedClock");
  }
  return absl::OkStatus();
}

RealContext::RealContext(Executor executor, LoggerPtr logger, std::uint64_t seed)
    : clock_(NewRealClock()) {
  context_.executor = std::move(executor);
  context_.clock = clock_.get();
  context_.seed = seed;
  context_.logger = std::move(logger);
}

}  // namespace cohort
