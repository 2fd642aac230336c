// The messages Raft peers exchange, and the membership change a kConfChange
// entry carries. Plain data; the wire form is in message_codec.h.
#ifndef COHORT_SRC_CONSENSUS_RAFT_MESSAGE_H_
#define COHORT_SRC_CONSENSUS_RAFT_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/raft/types.h"

namespace cohort::consensus::raft {

enum class MessageType : std::uint8_t {
  // Leader -> follower: entries after (index, log_term), and the commit index.
  kAppend = 1,
  // Follower -> leader. Accept: `index` is the follower's last matching index.
  // Reject: `index` is the rejected prev index; (`reject_hint`, `log_term`)
  // is the follower's best guess of where the logs may agree: its last index
  // at or below `index` whose term is <= the leader's prev term.
  kAppendResp = 2,
  // Candidate -> voter: (index, log_term) is the candidate's last entry.
  // `context` == kTransferContext marks an election forced by leadership
  // transfer (it overrides the voter's leader lease).
  kVote = 3,
  // Voter -> candidate. (`index`, `log_term`) is the voter's commit index and
  // its term: a candidate holding that entry learns that it is committed.
  kVoteResp = 4,
  // Like kVote but for the term the sender would campaign in (term + 1);
  // neither side changes its term.
  kPreVote = 5,
  kPreVoteResp = 6,
  // Leader -> follower: keeps followers from campaigning, carries the commit
  // index (capped at the follower's match) and a read-index round id in
  // `context`.
  kHeartbeat = 7,
  kHeartbeatResp = 8,
  // Leader -> follower: install `snapshot` (with `snapshot_data`).
  kSnapshot = 9,
  // Leader -> transfer target: campaign now, ignoring the election timer.
  kTimeoutNow = 10,
  // Follower -> leader: asks for a read index for request `context`;
  // `lease_read` when the requester accepts an answer from the leader's
  // lease (ReadMode::kLease).
  kReadIndex = 11,
  // Leader -> follower: `index` is the read index for request `context`;
  // `reject` when the leader could not serve it.
  kReadIndexResp = 12,
};

inline constexpr MessageType kMaxMessageType = MessageType::kReadIndexResp;

// Context of a kVote/kPreVote sent because of a leadership transfer.
inline constexpr char kTransferContext[] = "transfer";

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Term log_term = 0;
  Index index = 0;
  Index commit = 0;
  bool reject = false;
  Index reject_hint = 0;
  std::vector<Entry> entries{};
  // Set on kSnapshot only.
  std::optional<SnapshotMetadata> snapshot{};
  std::string snapshot_data{};
  std::string context{};
  // Set on kReadIndex only: the read may be served from the leader's lease.
  bool lease_read = false;

  friend bool operator==(const Message&, const Message&) = default;
};

const char* MessageTypeName(MessageType type);

enum class ConfChangeType : std::uint8_t {
  kAddVoter = 0,
  kAddLearner = 1,
  kRemoveNode = 2,
};

struct ConfChangeSingle {
  ConfChangeType type = ConfChangeType::kAddVoter;
  NodeId node = kNoNode;
  // Where peers reach `node` (kAddVoter, kAddLearner), so that every member,
  // and one that restarts from its log, can send to it before hearing from
  // it. Empty: unknown (the core ignores it; the node keeps its address book).
  std::string address{};

  friend bool operator==(const ConfChangeSingle&, const ConfChangeSingle&) = default;
};

enum class ConfTransition : std::uint8_t {
  // One voter changed: apply directly. More: joint consensus, left
  // automatically once the joint configuration commits.
  kAuto = 0,
  // Always joint consensus, left automatically.
  kJointImplicit = 1,
  // Always joint consensus; the application proposes an empty change to
  // leave it.
  kJointExplicit = 2,
};

// The payload of a kConfChange entry. Empty `changes` while joint means
// "leave the joint configuration".
struct ConfChange {
  ConfTransition transition = ConfTransition::kAuto;
  std::vector<ConfChangeSingle> changes{};

  friend bool operator==(const ConfChange&, const ConfChange&) = default;
};

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_MESSAGE_H_
