#include "consensus/raft/conf_change.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cohort::consensus::raft {
namespace {

bool Contains(const std::vector<NodeId>& ids, NodeId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void Erase(std::vector<NodeId>& ids, NodeId id) {
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
}

void Insert(std::vector<NodeId>& ids, NodeId id) {
  if (!Contains(ids, id)) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
}

std::size_t SymmetricDifference(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::size_t n = 0;
  for (NodeId id : a) n += Contains(b, id) ? 0 : 1;
  for (NodeId id : b) n += Contains(a, id) ? 0 : 1;
  return n;
}

}  // namespace

bool IsJoint(const ConfState& conf) { return !conf.voters_outgoing.empty(); }

absl::StatusOr<ConfState> ApplyConfChange(const ConfState& conf, const ConfChange& change) {
  ConfState next = conf;
  if (change.changes.empty()) {
    if (!IsJoint(conf)) {
      return absl::FailedPreconditionError(
          "an empty configuration change leaves joint consensus, but the configuration is "
          "not joint");
    }
    next.voters_outgoing.clear();
    for (NodeId id : next.learners_next) Insert(next.learners, id);
    next.learners_next.clear();
    next.auto_leave = false;
    return next;
  }
  if (IsJoint(conf)) {
    return absl::FailedPreconditionError(
        "the configuration is joint; leave it (an empty change) before the next change");
  }
  const bool joint = !conf.voters.empty() && (change.transition != ConfTransition::kAuto ||
                                              change.changes.size() > 1);
  if (joint) {
    next.voters_outgoing = conf.voters;
    next.auto_leave = change.transition != ConfTransition::kJointExplicit;
  }
  for (const ConfChangeSingle& c : change.changes) {
    if (c.node == kNoNode) return absl::InvalidArgumentError("node id 0 in a membership change");
    switch (c.type) {
      case ConfChangeType::kAddVoter:
        Erase(next.learners, c.node);
        Erase(next.learners_next, c.node);
        Insert(next.voters, c.node);
        break;
      case ConfChangeType::kAddLearner:
        Erase(next.voters, c.node);
        // A voter of the outgoing configuration keeps voting there until the
        // joint configuration is left; only then does it become a learner.
        if (Contains(next.voters_outgoing, c.node)) {
          Insert(next.learners_next, c.node);
        } else {
          Insert(next.learners, c.node);
        }
        break;
      case ConfChangeType::kRemoveNode:
        Erase(next.voters, c.node);
        Erase(next.learners, c.node);
        Erase(next.learners_next, c.node);
        break;
    }
  }
  if (next.voters.empty()) {
    return absl::InvalidArgumentError("the change would remove every voter");
  }
  if (!joint && !conf.voters.empty() && SymmetricDifference(conf.voters, next.voters) > 1) {
    return absl::InvalidArgumentError(
        "a direct change may add or remove one voter; use joint consensus for more");
  }
  return next;
}

}  // namespace cohort::consensus::raft
