// RendezvousHash: highest-random-weight hashing (Thaler and Ravishankar),
// unweighted or weighted with the logarithmic method.
//
// Pick RendezvousHash for small node sets (up to a few hundred) when you want
// no per-node point tables, exact weight proportionality without tuning
// virtual nodes, and a natural ranked replica list (TopN). A lookup costs
// O(nodes), so prefer HashRing for large clusters.
//
// Placement contract (pinned by tests; stable across platforms and versions):
//   * node `id` has the seed h_n = Hash64(id, options.seed ^ 0x5bd1e995);
//   * key k has h_k = Hash64(k, options.seed); the pair scores
//     s = Mix64(h_k ^ h_n);
//   * unweighted (all weights equal): highest s wins;
//   * weighted: highest -weight / ln(u) wins, where u = ((s >> 11) + 0.5) / 2^53
//     lies in (0, 1) (Schindelhauer and Schomaker's logarithmic method), so a
//     node's share of keys is weight / total weight;
//   * ties are broken by s, then by node id (lower id wins), so equal
//     weights rank exactly as the unweighted mode.
// Adding a node moves only keys that the new node wins; removing a node moves
// only the keys it owned; changing one node's weight moves keys only to
// (raised) or from (lowered) that node.
//
// Thread-safety: immutable after Create; copies share state; all const
// methods may be called concurrently.
#ifndef COHORT_RING_RENDEZVOUS_H_
#define COHORT_RING_RENDEZVOUS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cohort/ring/hash_ring.h"

namespace cohort::ring {

struct RendezvousOptions {
  // Seed of every hash; all clients that must agree need the same seed.
  // Default: 0.
  std::uint64_t seed = 0;
};

class RendezvousHash {
 public:
  // An empty node set is allowed (lookups return FailedPrecondition).
  // Returns InvalidArgument for an empty id, a weight that is not finite and
  // > 0, or an id listed twice. RingNode::weight defaults to 1.
  static absl::StatusOr<RendezvousHash> Create(const std::vector<RingNode>& nodes,
                                               const RendezvousOptions& options = {});

  // The node with the highest score for `key`. The view points into shared
  // state and lives as long as any copy of this object.
  // Returns FailedPrecondition when there are no nodes.
  absl::StatusOr<std::string_view> Owner(std::string_view key) const;

  // Index into nodes() of Owner(key); same errors.
  absl::StatusOr<std::size_t> OwnerIndex(std::string_view key) const;

  // The `n` highest-scoring nodes for `key`, best first (a replica set; the
  // first is Owner(key)). n > node count returns all nodes. Returns
  // InvalidArgument when n < 1, FailedPrecondition when there are no nodes.
  absl::StatusOr<std::vector<std::string_view>> TopN(std::string_view key, int n) const;

  // Members sorted by id.
  const std::vector<RingNode>& nodes() const;
  // True when weights differ and the logarithmic method is in use.
  bool weighted() const;

 private:
  struct Rep;
  explicit RendezvousHash(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

}  // namespace cohort::ring

#endif  // COHORT_RING_RENDEZVOUS_H_
