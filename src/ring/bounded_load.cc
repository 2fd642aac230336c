#include "cohort/ring/bounded_load.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cohort::ring {
namespace {

class BoundedLoadBalancerImpl final : public BoundedLoadBalancer {
 public:
  BoundedLoadBalancerImpl(HashRing ring, const BoundedLoadOptions& options)
      : ring_(std::move(ring)), options_(options), loads_(ring_.node_count(), 0) {
    for (const RingNode& node : ring_.nodes()) total_weight_ += node.weight;
  }

  absl::StatusOr<std::string_view> Assign(std::string_view key) override {
    absl::MutexLock lock(&mu_);
    std::size_t chosen = ring_.node_count();
    absl::Status walked = ring_.WalkSuccessors(key, [&](std::size_t node) {
      if (loads_[node] < CapacityLocked(node)) {
        chosen = node;
        return false;
      }
      return true;
    });
    if (!walked.ok()) return walked;
    if (chosen == ring_.node_count()) {
      // Unreachable: the capacities sum to at least (1 + epsilon)(L + 1) > L.
      return absl::InternalError("BoundedLoadBalancer found no node below capacity");
    }
    ++loads_[chosen];
    ++total_load_;
    return std::string_view(ring_.nodes()[chosen].id);
  }

  absl::Status Release(std::string_view node) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::size_t> index = Find(node);
    if (!index.ok()) return index.status();
    if (loads_[*index] == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("node '", ring_.nodes()[*index].id,
                       "' has load 0; Release must match an earlier Assign"));
    }
    --loads_[*index];
    --total_load_;
    return absl::OkStatus();
  }

  absl::StatusOr<std::int64_t> Load(std::string_view node) const override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::size_t> index = Find(node);
    if (!index.ok()) return index.status();
    return loads_[*index];
  }

  std::int64_t total_load() const override {
    absl::MutexLock lock(&mu_);
    return total_load_;
  }

  absl::StatusOr<std::int64_t> Capacity(std::string_view node) const override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::size_t> index = Find(node);
    if (!index.ok()) return index.status();
    return CapacityLocked(*index);
  }

  const HashRing& ring() const override { return ring_; }

 private:
  std::int64_t CapacityLocked(std::size_t node) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const double share = ring_.nodes()[node].weight / total_weight_;
    return static_cast<std::int64_t>(
        std::ceil((1.0 + options_.epsilon) * static_cast<double>(total_load_ + 1) * share));
  }

  absl::StatusOr<std::size_t> Find(std::string_view id) const {
    const std::vector<RingNode>& nodes = ring_.nodes();
    auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                               [](const RingNode& n, std::string_view v) { return n.id < v; });
    if (it == nodes.end() || it->id != id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node '", absl::string_view(id.data(), id.size()), "' is not in the balancer's ring"));
    }
    return static_cast<std::size_t>(it - nodes.begin());
  }

  const HashRing ring_;
  const BoundedLoadOptions options_;
  double total_weight_ = 0;
  mutable absl::Mutex mu_;
  std::vector<std::int64_t> loads_ ABSL_GUARDED_BY(mu_);
  std::int64_t total_load_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BoundedLoadBalancer>> NewBoundedLoadBalancer(
    HashRing ring, const BoundedLoadOptions& options) {
  if (!std::isfinite(options.epsilon) || options.epsilon <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "BoundedLoadOptions.epsilon must be finite and > 0 (e.g. 0.25), got ", options.epsilon));
  }
  if (ring.node_count() == 0) {
    return absl::FailedPreconditionError("BoundedLoadBalancer needs a ring with at least one node");
  }
  return std::make_unique<BoundedLoadBalancerImpl>(std::move(ring), options);
}

}  // namespace cohort::ring
