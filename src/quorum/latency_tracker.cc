#include "cohort/quorum/latency_tracker.h"

#include <algorithm>
#include <cmath>

namespace cohort::quorum {

LatencyTracker::LatencyTracker(std::size_t window, std::size_t min_samples)
    : window_(std::max<std::size_t>(window, 1)), min_samples_(min_samples) {}

void LatencyTracker::Record(absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  if (samples_.size() < window_) {
    samples_.push_back(latency);
  } else {
    samples_[next_] = latency;
    next_ = (next_ + 1) % window_;
  }
}

std::optional<absl::Duration> LatencyTracker::Percentile(double p) const {
  std::vector<absl::Duration> copy;
  {
    absl::MutexLock lock(&mu_);
    if (samples_.empty() || samples_.size() < min_samples_) return std::nullopt;
    copy = samples_;
  }
  p = std::clamp(p, 0.0, 1.0);
  // Nearest rank: the smallest sample with at least p of the samples <= it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(copy.size())));
  rank = std::clamp<std::size_t>(rank, 1, copy.size());
  std::nth_element(copy.begin(), copy.begin() + static_cast<long>(rank - 1), copy.end());
  return copy[rank - 1];
}

std::size_t LatencyTracker::size() const {
  absl::MutexLock lock(&mu_);
  return samples_.size();
}

}  // namespace cohort::quorum
