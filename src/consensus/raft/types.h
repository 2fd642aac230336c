// Value types shared by the Raft protocol core, the write-ahead log and the
// node that drives them. Plain data: no behaviour, no I/O.
#ifndef COHORT_SRC_CONSENSUS_RAFT_TYPES_H_
#define COHORT_SRC_CONSENSUS_RAFT_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace cohort::consensus::raft {

// Members are named by non-zero ids; 0 means "nobody" (no vote, no leader).
using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;

inline constexpr NodeId kNoNode = 0;

enum class EntryType : std::uint8_t {
  // A command for the state machine; empty data is the leader's no-op that
  // commits entries of earlier terms.
  kNormal = 0,
  // A membership change; data is an encoded configuration change.
  kConfChange = 1,
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data{};

  friend bool operator==(const Entry&, const Entry&) = default;
};

// What must be durable before a node answers a message that depends on it.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;

  friend bool operator==(const HardState&, const HardState&) = default;
};

// A configuration. Outside a joint change only `voters` and `learners` are
// set; during joint consensus decisions need a majority of `voters` and of
// `voters_outgoing` each.
struct ConfState {
  std::vector<NodeId> voters{};
  std::vector<NodeId> learners{};
  std::vector<NodeId> voters_outgoing{};
  // Learners that become learners when the joint change ends (voters being
  // demoted).
  std::vector<NodeId> learners_next{};
  // Leave the joint configuration automatically once it is committed.
  bool auto_leave = false;

  friend bool operator==(const ConfState&, const ConfState&) = default;
};

// Identifies the state a snapshot captures: the state machine after applying
// every entry up to and including `index`.
struct SnapshotMetadata {
  Index index = 0;
  Term term = 0;
  ConfState conf_state{};

  friend bool operator==(const SnapshotMetadata&, const SnapshotMetadata&) = default;
};

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_TYPES_H_
