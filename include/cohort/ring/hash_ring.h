// HashRing: a weighted consistent-hash ring with virtual nodes.
//
// Pick HashRing when nodes have names (host:port, pod ids), join and leave in
// any order, may carry weights, and you want replica sets (the next n distinct
// nodes clockwise). Use KetamaRing instead when you must agree with existing
// memcached clients, JumpHash for numbered shards, RendezvousHash for small
// node sets where you want no virtual-node memory at all.
//
// Placement contract. A ring is a pure function of (options, set of
// (node id, weight)): insertion order does not matter, and the placement is
// fixed across platforms and cohort versions (tests pin it):
//   * node `id` of weight w gets P = llround(w * points_per_node) points;
//     point i (0-based) is Mix64(s + (i + 1) * 0x9E3779B97F4A7C15), where
//     s = Hash64(id, options.seed) (that is the SplitMix64 sequence from s);
//   * key k sits at Hash64(k, options.seed); its owner is the node of the
//     first point >= that position, wrapping to the lowest point; points that
//     collide are ordered by node id.
// Because point i of a node never depends on other nodes or on its own point
// count, adding or removing a node moves keys only to or from that node, and
// raising (lowering) a weight moves keys only to (from) that node.
//
// Thread-safety: HashRing is an immutable snapshot; copies share state and
// every const method may be called concurrently. HashRingBuilder is a plain
// value: not thread-safe, build a new snapshot and publish it (for example
// through an atomic shared_ptr or under a mutex) to change membership.
#ifndef COHORT_RING_HASH_RING_H_
#define COHORT_RING_HASH_RING_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::ring {

struct HashRingOptions {
  // Ring points for a node of weight 1.0 (virtual nodes). More points give a
  // more even split (standard deviation of load about 1/sqrt(points) of the
  // mean) at the cost of memory (16 bytes per point) and build time.
  // Must be in [1, 65536].
  // Default: 160.
  int points_per_node = 160;

  // Seed of every hash the ring computes. Rings with different seeds place
  // keys independently; all clients that must agree need the same seed.
  // Default: 0.
  std::uint64_t seed = 0;
};

// A member of a ring.
struct RingNode {
  // Identifies the node; must be non-empty and unique within a ring.
  // Default: empty (must be set).
  std::string id{};
  // Relative capacity; the node gets llround(weight * points_per_node) points.
  // Must be finite and > 0, and give at least one point.
  // Default: 1.0.
  double weight = 1.0;
};

class HashRing;

// Collects membership and produces immutable HashRing snapshots. Building is
// O(P log P) in the total number of points P (about 11 ms for 1000 nodes x
// 160 points); a builder can be kept and edited to produce the next snapshot.
class HashRingBuilder {
 public:
  // Returns InvalidArgument when an option is out of range.
  static absl::StatusOr<HashRingBuilder> Create(const HashRingOptions& options = {});

  // Adds node `id` with `weight`. Returns InvalidArgument for an empty id, a
  // weight that is not finite and > 0 or gives zero or more than 2^20 points,
  // and FailedPrecondition when `id` is already a member (use SetWeight to
  // change it). The builder is unchanged on error.
  absl::Status AddNode(std::string_view id, double weight = 1.0);

  // Removes node `id`. Returns FailedPrecondition when it is not a member.
  absl::Status RemoveNode(std::string_view id);

  // Changes the weight of member `id`. Returns FailedPrecondition when it is
  // not a member and InvalidArgument for a bad weight (as AddNode).
  absl::Status SetWeight(std::string_view id, double weight);

  bool Contains(std::string_view id) const;
  std::size_t node_count() const { return nodes_.size(); }
  const HashRingOptions& options() const { return options_; }

  // A snapshot of the current membership. An empty ring is allowed (lookups
  // on it return FailedPrecondition). Returns ResourceExhausted when the ring
  // would exceed 2^32 - 1 points.
  absl::StatusOr<HashRing> Build() const;

 private:
  friend class HashRing;
  explicit HashRingBuilder(const HashRingOptions& options) : options_(options) {}
  absl::Status CheckWeight(std::string_view id, double weight) const;

  HashRingOptions options_;
  std::map<std::string, double, std::less<>> nodes_{};
};

class HashRing {
 public:
  // An empty ring with default options.
  HashRing();

  // Shorthand for a builder fed with `nodes`. Same errors as
  // HashRingBuilder::Create/AddNode/Build, except that an id listed twice is
  // InvalidArgument.
  static absl::StatusOr<HashRing> Create(const std::vector<RingNode>& nodes,
                                         const HashRingOptions& options = {});

  // A builder holding this ring's options and membership.
  HashRingBuilder ToBuilder() const;

  // The node owning `key`. The view points into this ring's shared state and
  // stays valid while any copy of this HashRing is alive.
  // Returns FailedPrecondition when the ring has no nodes (add one first).
  absl::StatusOr<std::string_view> Owner(std::string_view key) const;

  // Index into nodes() of the owner of `key`; same errors as Owner.
  absl::StatusOr<std::size_t> OwnerIndex(std::string_view key) const;

  // Index into nodes() of the owner of ring position `position` (for callers
  // that hash keys themselves with KeyPosition). Same errors as Owner.
  absl::StatusOr<std::size_t> OwnerIndexAt(std::uint64_t position) const;

  // The first `n` distinct nodes met walking clockwise from `key`'s position,
  // owner first: a replica set. When n exceeds node_count() all nodes are
  // returned (in walk order) rather than an error, so a replication factor
  // larger than a shrinking cluster degrades gracefully. Views live as long as
  // for Owner. Returns InvalidArgument when n < 1, FailedPrecondition when the
  // ring is empty.
  absl::StatusOr<std::vector<std::string_view>> Successors(std::string_view key, int n) const;

  // Calls `visit(node_index)` for each distinct node clockwise from `key`,
  // owner first, until `visit` returns false or every node was visited. For
  // "first healthy replica" or bounded-load walks without allocating a list.
  // Returns FailedPrecondition when the ring is empty.
  absl::Status WalkSuccessors(std::string_view key,
                              absl::FunctionRef<bool(std::size_t)> visit) const;

  // Position of `key` on the ring: Hash64(key, options().seed).
  std::uint64_t KeyPosition(std::string_view key) const;

  // Members sorted by id; indexes used by OwnerIndex and WalkSuccessors.
  const std::vector<RingNode>& nodes() const;
  std::size_t node_count() const;
  // Total ring points.
  std::size_t point_count() const;
  // Ring points held by nodes()[node_index]; requires node_index < node_count().
  std::size_t PointsOf(std::size_t node_index) const;
  const HashRingOptions& options() const;

 private:
  friend class HashRingBuilder;
  struct Rep;
  explicit HashRing(std::shared_ptr<const Rep> rep);

  // Shared and immutable: copies are cheap and lookups need no locking.
  std::shared_ptr<const Rep> rep_;
};

}  // namespace cohort::ring

#endif  // COHORT_RING_HASH_RING_H_
