// Membership change arithmetic: what configuration a ConfChange produces.
#ifndef COHORT_SRC_CONSENSUS_RAFT_CONF_CHANGE_H_
#define COHORT_SRC_CONSENSUS_RAFT_CONF_CHANGE_H_

#include "absl/status/statusor.h"
#include "consensus/raft/message.h"
#include "consensus/raft/types.h"

namespace cohort::consensus::raft {

// The configuration after applying `change` to `conf`.
//   - No changes: leave the joint configuration (FailedPrecondition if not
//     joint).
//   - Otherwise FailedPrecondition while joint (leave first).
//   - kAuto with one voter changed, or any change to a configuration with no
//     voters yet (bootstrap): applied directly. Otherwise joint consensus:
//     the old voters become `voters_outgoing` until the change is left.
// InvalidArgument: a direct change that adds or removes more than one voter,
// a result without voters, or node id 0.
absl::StatusOr<ConfState> ApplyConfChange(const ConfState& conf, const ConfChange& change);

bool IsJoint(const ConfState& conf);

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_CONF_CHANGE_H_
