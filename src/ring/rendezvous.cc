#include "cohort/ring/rendezvous.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cohort/ring/hash.h"

namespace cohort::ring {
namespace {

constexpr std::uint64_t kNodeSeedSalt = 0x5bd1e995;

absl::Status NoNodesError() {
  return absl::FailedPreconditionError(
      "RendezvousHash has no nodes; create it with at least one node");
}

}  // namespace

struct RendezvousHash::Rep {
  RendezvousOptions options;
  std::vector<RingNode> nodes;  // sorted by id
  std::vector<std::uint64_t> node_seeds;
  bool weighted = false;

  // `raw` is the 64-bit pair score; `weighted` its logarithmic-method value
  // (only computed when weights differ, because log() dominates the cost).
  struct Score {
    double weighted;
    std::uint64_t raw;
  };

  Score ScoreOf(std::uint64_t key_hash, std::size_t node) const {
    const std::uint64_t s = Mix64(key_hash ^ node_seeds[node]);
    if (!weighted) return {0.0, s};
    const double u = (static_cast<double>(s >> 11) + 0.5) * 0x1.0p-53;
    return {-nodes[node].weight / std::log(u), s};
  }

  // True when node a (with score sa) ranks above node b. Weighted ties fall
  // back to the raw score, so equal weights rank exactly as the unweighted
  // mode does; the lower index (id) breaks the remaining ties.
  bool Better(const Score& sa, std::size_t a, const Score& sb, std::size_t b) const {
    if (weighted && sa.weighted != sb.weighted) return sa.weighted > sb.weighted;
    if (sa.raw != sb.raw) return sa.raw > sb.raw;
    return a < b;
  }
};

RendezvousHash::RendezvousHash(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<RendezvousHash> RendezvousHash::Create(const std::vector<RingNode>& nodes,
                                                      const RendezvousOptions& options) {
  auto rep = std::make_shared<Rep>();
  rep->options = options;
  rep->nodes = nodes;
  std::sort(rep->nodes.begin(), rep->nodes.end(),
            [](const RingNode& a, const RingNode& b) { return a.id < b.id; });
  for (std::size_t i = 0; i < rep->nodes.size(); ++i) {
    const RingNode& node = rep->nodes[i];
    if (node.id.empty()) return absl::InvalidArgumentError("node id must be non-empty");
    if (!std::isfinite(node.weight) || node.weight <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight of node '", node.id, "' must be finite and > 0, got ", node.weight));
    }
    if (i > 0 && rep->nodes[i - 1].id == node.id) {
      return absl::InvalidArgumentError(
          absl::StrCat("node '", node.id, "' is listed twice; list each node once"));
    }
    if (node.weight != rep->nodes[0].weight) rep->weighted = true;
    rep->node_seeds.push_back(Hash64(node.id, options.seed ^ kNodeSeedSalt));
  }
  return RendezvousHash(std::move(rep));
}

absl::StatusOr<std::size_t> RendezvousHash::OwnerIndex(std::string_view key) const {
  const Rep& rep = *rep_;
  if (rep.nodes.empty()) return NoNodesError();
  const std::uint64_t key_hash = Hash64(key, rep.options.seed);
  std::size_t best = 0;
  Rep::Score best_score = rep.ScoreOf(key_hash, 0);
  for (std::size_t i = 1; i < rep.nodes.size(); ++i) {
    const Rep::Score score = rep.ScoreOf(key_hash, i);
    if (rep.Better(score, i, best_score, best)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

absl::StatusOr<std::string_view> RendezvousHash::Owner(std::string_view key) const {
  absl::StatusOr<std::size_t> index = OwnerIndex(key);
  if (!index.ok()) return index.status();
  return std::string_view(rep_->nodes[*index].id);
}

absl::StatusOr<std::vector<std::string_view>> RendezvousHash::TopN(std::string_view key,
                                                                   int n) const {
  const Rep& rep = *rep_;
  if (n < 1) {
    return absl::InvalidArgumentError(absl::StrCat("TopN: n must be >= 1, got ", n));
  }
  if (rep.nodes.empty()) return NoNodesError();
  const std::uint64_t key_hash = Hash64(key, rep.options.seed);
  std::vector<std::pair<Rep::Score, std::size_t>> scored;
  scored.reserve(rep.nodes.size());
  for (std::size_t i = 0; i < rep.nodes.size(); ++i) {
    scored.emplace_back(rep.ScoreOf(key_hash, i), i);
  }
  const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(n), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(count),
                    scored.end(), [&rep](const auto& a, const auto& b) {
                      return rep.Better(a.first, a.second, b.first, b.second);
                    });
  std::vector<std::string_view> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.emplace_back(rep.nodes[scored[i].second].id);
  return out;
}

const std::vector<RingNode>& RendezvousHash::nodes() const { return rep_->nodes; }
bool RendezvousHash::weighted() const { return rep_->weighted; }

}  // namespace cohort::ring
