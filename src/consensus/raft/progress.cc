#include "consensus/raft/progress.h"

#include <algorithm>
#include <limits>

namespace cohort::consensus::raft {
namespace {

Index MajorityCommitted(const std::vector<NodeId>& voters,
                        const std::function<Index(NodeId)>& acked) {
  // An empty set does not constrain a joint decision.
  if (voters.empty()) return std::numeric_limits<Index>::max();
  std::vector<Index> indexes;
  indexes.reserve(voters.size());
  for (NodeId id : voters) indexes.push_back(acked(id));
  std::sort(indexes.begin(), indexes.end(), std::greater<>());
  return indexes[voters.size() / 2];
}

VoteResult MajorityTally(const std::vector<NodeId>& voters, const std::map<NodeId, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;
  std::size_t yes = 0;
  std::size_t missing = 0;
  for (NodeId id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  const std::size_t quorum = voters.size() / 2 + 1;
  if (yes >= quorum) return VoteResult::kWon;
  if (yes + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

bool Majority(const std::vector<NodeId>& voters, const std::function<bool(NodeId)>& pred) {
  if (voters.empty()) return true;
  std::size_t yes = 0;
  for (NodeId id : voters) yes += pred(id) ? 1 : 0;
  return yes >= voters.size() / 2 + 1;
}

}  // namespace

void Inflights::Add(Index last_index, std::uint64_t bytes) {
  items_.emplace_back(last_index, bytes);
  bytes_ += bytes;
}

void Inflights::FreeTo(Index index) {
  while (!items_.empty() && items_.front().first <= index) {
    bytes_ -= items_.front().second;
    items_.pop_front();
  }
}

void Inflights::FreeFirst() {
  if (items_.empty()) return;
  bytes_ -= items_.front().second;
  items_.pop_front();
}

void Inflights::Reset() {
  items_.clear();
  bytes_ = 0;
}

bool Inflights::Full(std::uint64_t max_count, std::uint64_t max_bytes) const {
  return items_.size() >= max_count || (max_bytes != 0 && bytes_ >= max_bytes);
}

void Progress::BecomeProbe() {
  // After a snapshot the peer has at least the snapshot; otherwise restart
  // just after what it is known to have.
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(Index snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(Index index) {
  bool updated = false;
  if (match < index) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::MaybeDecrease(Index rejected, Index hint) {
  if (state == ProgressState::kReplicate) {
    // A rejection at or below what the peer already acknowledged is stale.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probing: only the answer to the probe that is outstanding counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, hint + 1), Index{1});
  probe_sent = false;
  return true;
}

bool Progress::IsPaused(std::uint64_t max_count, std::uint64_t max_bytes) const {
  switch (state) {
    case ProgressState::kProbe: return probe_sent;
    case ProgressState::kReplicate: return inflights.Full(max_count, max_bytes);
    case ProgressState::kSnapshot: return true;
  }
  return true;
}

bool QuorumConfig::IsVoter(NodeId id) const {
  return std::find(incoming.begin(), incoming.end(), id) != incoming.end() ||
         std::find(outgoing.begin(), outgoing.end(), id) != outgoing.end();
}

Index QuorumConfig::Committed(const std::function<Index(NodeId)>& acked) const {
  if (incoming.empty() && outgoing.empty()) return 0;
  return std::min(MajorityCommitted(incoming, acked), MajorityCommitted(outgoing, acked));
}

VoteResult QuorumConfig::Tally(const std::map<NodeId, bool>& votes) const {
  const VoteResult a = MajorityTally(incoming, votes);
  const VoteResult b = MajorityTally(outgoing, votes);
  if (a == b) return a;
  if (a == VoteResult::kLost || b == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

bool QuorumConfig::QuorumSatisfies(const std::function<bool(NodeId)>& pred) const {
  if (incoming.empty() && outgoing.empty()) return false;
  return Majority(incoming, pred) && Majority(outgoing, pred);
}

}  // namespace cohort::consensus::raft
