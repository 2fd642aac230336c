// BoundedLoadBalancer: consistent hashing with bounded loads (Mirrokni,
// Thorup and Zadimoghaddam, 2018), on top of a HashRing.
//
// Pick it when keys are work items that occupy a node while active (sessions,
// connections, leases, in-flight requests) and hot keys must not overload a
// node: a key goes to its ring owner unless that node is full, then to the
// next node clockwise that has room. Every assignment respects
//   load(node) <= capacity(node) = ceil((1 + epsilon) * (L + 1) * w / W)
// where L is the total load before the assignment, w the node's weight and W
// the sum of weights (with equal weights: ceil((1 + epsilon) x the average
// load counting the new item)). Such a node always exists, so Assign never
// fails on a non-empty ring. Smaller epsilon = tighter balance but more keys
// displaced from their owner; the paper's analysis (and cohort's tests) use
// 0.25 .. 1.
//
// Releases do not migrate existing assignments: after many releases a node can
// hold more than the (now lower) capacity until its items are released; the
// bound is enforced at assignment time. To change membership, build a new
// balancer from the new ring and re-assign.
//
// Thread-safety: all methods may be called concurrently (one internal mutex).
#ifndef COHORT_RING_BOUNDED_LOAD_H_
#define COHORT_RING_BOUNDED_LOAD_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/ring/hash_ring.h"

namespace cohort::ring {

struct BoundedLoadOptions {
  // Allowed overload over the (weighted) average: capacity is
  // ceil((1 + epsilon) x average). Must be finite and > 0.
  // Default: 0.25.
  double epsilon = 0.25;
};

class BoundedLoadBalancer {
 public:
  virtual ~BoundedLoadBalancer() = default;

  // Picks the node for `key` (its ring owner, or the first successor below
  // capacity), adds one to its load and returns its id. The view points into
  // the balancer's ring and lives as long as the balancer.
  // Never fails on the non-empty ring the balancer was created with.
  virtual absl::StatusOr<std::string_view> Assign(std::string_view key) = 0;

  // Subtracts one from the load of `node` (an id returned by Assign). Returns
  // InvalidArgument for a node not in the ring and FailedPrecondition when
  // its load is already 0 (a Release without a matching Assign).
  virtual absl::Status Release(std::string_view node) = 0;

  // Current load of `node`; InvalidArgument for a node not in the ring.
  virtual absl::StatusOr<std::int64_t> Load(std::string_view node) const = 0;

  // Sum of all loads.
  virtual std::int64_t total_load() const = 0;

  // The capacity `node` would have for the next assignment:
  // ceil((1 + epsilon) * (total_load() + 1) * w / W). InvalidArgument for a
  // node not in the ring.
  virtual absl::StatusOr<std::int64_t> Capacity(std::string_view node) const = 0;

  // The ring the balancer walks (fixed at creation).
  virtual const HashRing& ring() const = 0;
};

// Returns InvalidArgument when epsilon is not finite and > 0, and
// FailedPrecondition when `ring` has no nodes (add nodes first).
absl::StatusOr<std::unique_ptr<BoundedLoadBalancer>> NewBoundedLoadBalancer(
    HashRing ring, const BoundedLoadOptions& options = {});

}  // namespace cohort::ring

#endif  // COHORT_RING_BOUNDED_LOAD_H_
