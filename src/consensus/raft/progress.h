// The leader's view of each peer (Raft thesis §3.5, etcd's Progress) and the
// quorum arithmetic over single and joint configurations.
#ifndef COHORT_SRC_CONSENSUS_RAFT_PROGRESS_H_
#define COHORT_SRC_CONSENSUS_RAFT_PROGRESS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "consensus/raft/types.h"

namespace cohort::consensus::raft {

enum class ProgressState : std::uint8_t {
  // The next index is a guess: one append per heartbeat until one is accepted.
  kProbe,
  // The peer keeps up: appends are pipelined up to the in-flight limits.
  kReplicate,
  // The peer needs the snapshot sent to it; nothing else until it reports.
  kSnapshot,
};

// Appends sent but not yet acknowledged, for flow control.
class Inflights {
 public:
  void Add(Index last_index, std::uint64_t bytes);
  // Frees everything up to and including `index`.
  void FreeTo(Index index);
  void Reset();
  // Frees the oldest; lets a full window make progress when its appends
  // were lost (the next append then exposes the gap and triggers a probe).
  void FreeFirst();
  bool Full(std::uint64_t max_count, std::uint64_t max_bytes) const;
  std::size_t count() const { return items_.size(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::deque<std::pair<Index, std::uint64_t>> items_;
  std::uint64_t bytes_ = 0;
};

struct Progress {
  Index match = 0;
  Index next = 1;
  ProgressState state = ProgressState::kProbe;
  // In kProbe: an append is outstanding; wait for its answer or a heartbeat.
  bool probe_sent = false;
  // In kSnapshot: the index of the snapshot sent.
  Index pending_snapshot = 0;
  // Heard from since the last CheckQuorum round.
  bool recent_active = false;
  // Highest heartbeat round acknowledged (read index and lease rounds).
  std::uint64_t acked_round = 0;
  bool learner = false;
  Inflights inflights;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(Index snapshot_index);
  // An acknowledgement of `index`; false if it is stale.
  bool MaybeUpdate(Index index);
  // A rejection of the append after `rejected` with a hint; false if stale.
  bool MaybeDecrease(Index rejected, Index hint);
  bool IsPaused(std::uint64_t max_count, std::uint64_t max_bytes) const;
};

enum class VoteResult { kPending, kLost, kWon };

// Voters of a configuration: `incoming` always, `outgoing` during a joint
// change. Decisions need a majority of each non-empty set.
struct QuorumConfig {
  std::vector<NodeId> incoming;
  std::vector<NodeId> outgoing;

  bool IsVoter(NodeId id) const;
  // The highest index acknowledged by a quorum, given each voter's index.
  Index Committed(const std::function<Index(NodeId)>& acked) const;
  VoteResult Tally(const std::map<NodeId, bool>& votes) const;
  // Whether a quorum of voters satisfies `pred`.
  bool QuorumSatisfies(const std::function<bool(NodeId)>& pred) const;
};

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_PROGRESS_H_
