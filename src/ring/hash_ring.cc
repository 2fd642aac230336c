#include "cohort/ring/hash_ring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/ring/hash.h"
#include "ring/point_index.h"

namespace cohort::ring {
namespace {

constexpr int kMaxPointsPerNode = 1 << 16;
constexpr std::int64_t kMaxPointsOfOneNode = std::int64_t{1} << 20;
constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// llround would be UB-adjacent for huge weights; callers check the range.
std::int64_t PointsFor(double weight, int points_per_node) {
  return std::llround(weight * static_cast<double>(points_per_node));
}

absl::Status EmptyRingError() {
  return absl::FailedPreconditionError(
      "HashRing has no nodes; add at least one node before looking up keys");
}

}  // namespace

struct HashRing::Rep {
  HashRingOptions options;
  std::vector<RingNode> nodes;         // sorted by id
  std::vector<std::size_t> points_of;  // parallel to nodes
  internal::PointIndex<std::uint64_t> index;
};

// ---------------------------------------------------------------- builder

absl::StatusOr<HashRingBuilder> HashRingBuilder::Create(const HashRingOptions& options) {
  if (options.points_per_node < 1 || options.points_per_node > kMaxPointsPerNode) {
    return absl::InvalidArgumentError(
        absl::StrCat("HashRingOptions.points_per_node must be in [1, ", kMaxPointsPerNode,
                     "], got ", options.points_per_node));
  }
  return HashRingBuilder(options);
}

absl::Status HashRingBuilder::CheckWeight(std::string_view id, double weight) const {
  if (!std::isfinite(weight) || weight <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight of node '", AbslView(id), "' must be finite and > 0, got ", weight));
  }
  const double points = weight * options_.points_per_node;
  if (points > static_cast<double>(kMaxPointsOfOneNode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "weight of node '", AbslView(id), "' gives ", points, " ring points; weight x ",
        "points_per_node must be <= ", kMaxPointsOfOneNode));
  }
  if (PointsFor(weight, options_.points_per_node) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "weight ", weight, " of node '", AbslView(id), "' gives 0 ring points at ",
        "points_per_node=", options_.points_per_node,
        "; use a weight >= ", 0.5 / options_.points_per_node, " or raise points_per_node"));
  }
  return absl::OkStatus();
}

absl::Status HashRingBuilder::AddNode(std::string_view id, double weight) {
  if (id.empty()) {
    return absl::InvalidArgumentError("node id must be non-empty");
  }
  if (nodes_.find(id) != nodes_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node '", AbslView(id), "' is already in the ring; use SetWeight to change ",
                     "its weight or RemoveNode first"));
  }
  if (absl::Status s = CheckWeight(id, weight); !s.ok()) return s;
  nodes_.emplace(std::string(id), weight);
  return absl::OkStatus();
}

absl::Status HashRingBuilder::RemoveNode(std::string_view id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node '", AbslView(id), "' is not in the ring; nothing to remove"));
  }
  nodes_.erase(it);
  return absl::OkStatus();
}

absl::Status HashRingBuilder::SetWeight(std::string_view id, double weight) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node '", AbslView(id), "' is not in the ring; AddNode it first"));
  }
  if (absl::Status s = CheckWeight(id, weight); !s.ok()) return s;
  it->second = weight;
  return absl::OkStatus();
}

bool HashRingBuilder::Contains(std::string_view id) const {
  return nodes_.find(id) != nodes_.end();
}

absl::StatusOr<HashRing> HashRingBuilder::Build() const {
  auto rep = std::make_shared<HashRing::Rep>();
  rep->options = options_;
  rep->nodes.reserve(nodes_.size());
  rep->points_of.reserve(nodes_.size());
  std::uint64_t total = 0;
  for (const auto& [id, weight] : nodes_) {
    rep->nodes.push_back(RingNode{id, weight});
    const auto points = static_cast<std::size_t>(PointsFor(weight, options_.points_per_node));
    rep->points_of.push_back(points);
    total += points;
  }
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    return absl::ResourceExhaustedError(absl::StrCat("ring would have ", total,
                                                     " points; the limit is 2^32 - 1: lower ",
                                                     "points_per_node or the weights"));
  }
  using Entry = internal::PointIndex<std::uint64_t>::Entry;
  std::vector<Entry> entries;
  entries.reserve(total);
  for (std::size_t n = 0; n < rep->nodes.size(); ++n) {
    std::uint64_t state = Hash64(rep->nodes[n].id, options_.seed);
    for (std::size_t i = 0; i < rep->points_of[n]; ++i) {
      state += kGolden;
      entries.push_back(Entry{Mix64(state), static_cast<std::uint32_t>(n)});
    }
  }
  // Node indexes follow id order, so sorting by (point, index) orders
  // colliding points by node id, independent of insertion order.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.point != b.point ? a.point < b.point : a.node < b.node;
  });
  rep->index = internal::PointIndex<std::uint64_t>(std::move(entries));
  return HashRing(std::move(rep));
}

// ---------------------------------------------------------------- ring

HashRing::HashRing() : rep_(std::make_shared<Rep>()) {}

HashRing::HashRing(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<HashRing> HashRing::Create(const std::vector<RingNode>& nodes,
                                          const HashRingOptions& options) {
  auto builder = HashRingBuilder::Create(options);
  if (!builder.ok()) return builder.status();
  for (const RingNode& node : nodes) {
    if (builder->Contains(node.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("nodes lists '", node.id, "' twice; list each node once"));
    }
    if (absl::Status s = builder->AddNode(node.id, node.weight); !s.ok()) return s;
  }
  return builder->Build();
}

HashRingBuilder HashRing::ToBuilder() const {
  HashRingBuilder builder(rep_->options);
  for (const RingNode& node : rep_->nodes) builder.nodes_.emplace(node.id, node.weight);
  return builder;
}

std::uint64_t HashRing::KeyPosition(std::string_view key) const {
  return Hash64(key, rep_->options.seed);
}

absl::StatusOr<std::size_t> HashRing::OwnerIndexAt(std::uint64_t position) const {
  if (rep_->index.empty()) return EmptyRingError();
  return rep_->index.OwnerAt(position);
}

absl::StatusOr<std::size_t> HashRing::OwnerIndex(std::string_view key) const {
  return OwnerIndexAt(KeyPosition(key));
}

absl::StatusOr<std::string_view> HashRing::Owner(std::string_view key) const {
  if (rep_->index.empty()) return EmptyRingError();
  return std::string_view(rep_->nodes[rep_->index.OwnerAt(KeyPosition(key))].id);
}

absl::Status HashRing::WalkSuccessors(std::string_view key,
                                      absl::FunctionRef<bool(std::size_t)> visit) const {
  const internal::PointIndex<std::uint64_t>& index = rep_->index;
  if (index.empty()) return EmptyRingError();
  const std::size_t node_count = rep_->nodes.size();
  // Replica walks usually stop after a few nodes: remember those in a small
  // inline array and allocate a bitmap only for long walks.
  constexpr std::size_t kInline = 8;
  std::uint32_t first_found[kInline];
  std::vector<bool> seen;
  std::size_t found = 0;
  std::size_t i = index.FirstAtOrAfter(KeyPosition(key));
  // Every node has at least one point, so one lap visits them all.
  for (std::size_t step = 0; step < index.size() && found < node_count; ++step) {
    const std::uint32_t node = index[i].node;
    if (++i == index.size()) i = 0;
    if (seen.empty()) {
      if (std::find(first_found, first_found + found, node) != first_found + found) continue;
      if (found < kInline) {
        first_found[found] = node;
      } else {
        seen.assign(node_count, false);
        for (std::uint32_t n : first_found) seen[n] = true;
        seen[node] = true;
      }
    } else {
      if (seen[node]) continue;
      seen[node] = true;
    }
    ++found;
    if (!visit(node)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string_view>> HashRing::Successors(std::string_view key,
                                                                   int n) const {
  if (n < 1) {
    return absl::InvalidArgumentError(absl::StrCat("Successors: n must be >= 1, got ", n));
  }
  std::vector<std::string_view> out;
  out.reserve(std::min<std::size_t>(static_cast<std::size_t>(n), rep_->nodes.size()));
  absl::Status s = WalkSuccessors(key, [&](std::size_t node) {
    out.emplace_back(rep_->nodes[node].id);
    return out.size() < static_cast<std::size_t>(n);
  });
  if (!s.ok()) return s;
  return out;
}

const std::vector<RingNode>& HashRing::nodes() const { return rep_->nodes; }
std::size_t HashRing::node_count() const { return rep_->nodes.size(); }
std::size_t HashRing::point_count() const { return rep_->index.size(); }
std::size_t HashRing::PointsOf(std::size_t node_index) const { return rep_->points_of[node_index]; }
const HashRingOptions& HashRing::options() const { return rep_->options; }

}  // namespace cohort::ring
