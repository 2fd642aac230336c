// LatencyTracker: a window of recent latencies and their percentiles, for
// hedging decisions ("send a spare request once the usual p95 has passed").
#ifndef COHORT_QUORUM_LATENCY_TRACKER_H_
#define COHORT_QUORUM_LATENCY_TRACKER_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cohort::quorum {

// Thread-safe.
class LatencyTracker {
 public:
  // Keeps the last `window` samples (>= 1; 0 is treated as 1) and answers
  // percentiles once it holds at least `min_samples` of them.
  explicit LatencyTracker(std::size_t window = 1000, std::size_t min_samples = 20);

  void Record(absl::Duration latency);

  // The `p`-quantile (nearest rank, p in (0, 1]) of the samples in the
  // window, or nullopt while fewer than min_samples have been recorded.
  std::optional<absl::Duration> Percentile(double p) const;

  std::size_t size() const;

 private:
  const std::size_t window_;
  const std::size_t min_samples_;
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> samples_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cohort::quorum

#endif  // COHORT_QUORUM_LATENCY_TRACKER_H_
