// Test seam of the RaftNode: the file system under its log and snapshots.
#ifndef COHORT_SRC_CONSENSUS_NODE_RAFT_NODE_INTERNAL_H_
#define COHORT_SRC_CONSENSUS_NODE_RAFT_NODE_INTERNAL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cohort/consensus/raft_node.h"
#include "consensus/wal/file_system.h"

namespace cohort::consensus::node {

// As NewRaftNode, with the log and snapshots on `fs` (borrowed; must outlive
// the node), e.g. a wal::FaultFileSystem that simulates crashes.
absl::StatusOr<std::unique_ptr<RaftNode>> NewRaftNodeOnFileSystem(
    const Context& ctx, RaftNodeOptions options, transport::Transport& transport,
    StateMachine& state_machine, wal::FileSystem* fs);

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_RAFT_NODE_INTERNAL_H_
