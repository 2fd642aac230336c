// Core: membership changes (one voter at a time or joint consensus),
// learners, and removing the leader itself.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "consensus/raft/conf_change.h"
#include "consensus/raft/core.h"
#include "consensus/raft/message_codec.h"

namespace cohort::consensus::raft {

absl::StatusOr<LogPosition> Core::ProposeConfChange(const ConfChange& change) {
  if (role_ != CoreRole::kLeader) {
    return absl::UnavailableError(absl::StrCat("member ", options_.id,
                                               " is not the leader; leader is ", lead_));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is being transferred to member ", lead_transferee_));
  }
  // One change at a time: each is validated against the configuration it
  // will be applied to, which is only known once the previous one applied.
  if (pending_conf_index_ > released_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the membership change at index ", pending_conf_index_,
        " is not applied yet; retry after it is"));
  }
  auto next = ApplyConfChange(conf_, change);
  if (!next.ok()) return next.status();
  std::string data;
  EncodeConfChange(change, &data);
  AppendLocal(EntryType::kConfChange, std::move(data));
  pending_conf_index_ = log_.LastIndex();
  return LogPosition{term_, log_.LastIndex()};
}

void Core::RebuildProgress() {
  std::map<NodeId, Progress> next;
  auto add = [&](NodeId id, bool learner) {
    auto it = progress_.find(id);
    Progress pr;
    if (it != progress_.end()) {
      pr = it->second;
    } else {
      pr.next = log_.LastIndex() + 1;
      // A new member has not failed CheckQuorum yet.
      pr.recent_active = true;
    }
    pr.learner = learner;
    next[id] = std::move(pr);
  };
  for (NodeId id : conf_.voters) add(id, false);
  for (NodeId id : conf_.voters_outgoing) add(id, false);
  for (NodeId id : conf_.learners) {
    if (next.find(id) == next.end()) add(id, true);
  }
  for (NodeId id : conf_.learners_next) {
    if (next.find(id) == next.end()) add(id, true);
  }
  progress_ = std::move(next);
}

void Core::ApplyConf(Index index, const ConfState& conf) {
  conf_ = conf;
  conf_history_.emplace_back(index, conf);
  RebuildProgress();
  if (role_ != CoreRole::kLeader) return;
  if (!Quorum().IsVoter(options_.id)) {
    HandOver();
    return;
  }
  if (lead_transferee_ != kNoNode && !Quorum().IsVoter(lead_transferee_)) {
    lead_transferee_ = kNoNode;
  }
  // The quorum changed: what it has acknowledged may now commit.
  if (MaybeCommit()) pending_broadcast_ = true;
  pending_broadcast_ = true;
}

void Core::HandOver() {
  // Removed (or demoted). Stepping down at once could strand the group: the
  // others may not know yet that the change committed, and with a shorter
  // log they cannot win this member's vote. So keep leading (without
  // counting itself) only to hand over to the most up-to-date voter, and
  // try again if that times out.
  NodeId best = kNoNode;
  Index best_match = 0;
  for (const auto& [id, pr] : progress_) {
    if (id == options_.id || !Quorum().IsVoter(id)) continue;
    if (best == kNoNode || pr.match > best_match ||
        (pr.match == best_match && random_.Bernoulli(0.5))) {
      best = id;
      best_match = pr.match;
    }
  }
  if (best == kNoNode) {
    BecomeFollower(term_, kNoNode);
    return;
  }
  lead_transferee_ = best;
  transfer_elapsed_ = 0;
  if (best_match == log_.LastIndex()) {
    SendTimeoutNow(best);
  } else {
    SendAppend(best, true);
  }
  pending_broadcast_ = true;
}

void Core::MaybeAutoLeave() {
  if (role_ != CoreRole::kLeader || !IsJoint(conf_) || !conf_.auto_leave) return;
  if (pending_conf_index_ > released_ || lead_transferee_ != kNoNode) return;
  std::string data;
  EncodeConfChange(ConfChange{}, &data);
  AppendLocal(EntryType::kConfChange, std::move(data));
  pending_conf_index_ = log_.LastIndex();
}

}  // namespace cohort::consensus::raft
