// Core: linearizable reads (ReadIndex and leases), leadership transfer, and
// transport feedback.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "consensus/raft/core.h"

namespace cohort::consensus::raft {

absl::Status Core::ReadIndex(std::string context, ReadMode mode) {
  const bool lease = mode == ReadMode::kLease;
  if (role_ == CoreRole::kLeader) {
    ServeRead(std::move(context), options_.id, lease);
    return absl::OkStatus();
  }
  if (lead_ == kNoNode) {
    return absl::UnavailableError(absl::StrCat("member ", options_.id, " knows no leader"));
  }
  Send({.type = MessageType::kReadIndex,
        .to = lead_,
        .context = std::move(context),
        .lease_read = lease});
  return absl::OkStatus();
}

bool Core::CommittedInCurrentTerm() const { return log_.MatchTerm(commit_, term_); }

void Core::ServeRead(std::string context, NodeId from, bool lease) {
  if (role_ != CoreRole::kLeader) {
    ReleaseRead(std::move(context), from, 0, false);
    return;
  }
  // Until this term's first entry commits, commit_ may be behind entries an
  // earlier leader committed (Raft thesis §6.4).
  if (!CommittedInCurrentTerm()) {
    reads_awaiting_commit_.push_back({std::move(context), from, 0, 0, lease});
    return;
  }
  const QuorumConfig quorum = Quorum();
  if (quorum.incoming.size() == 1 && quorum.outgoing.empty() &&
      quorum.IsVoter(options_.id)) {
    ReleaseRead(std::move(context), from, commit_, true);
    return;
  }
  // Each request chooses: a kReadIndex read pays for the round even on a
  // leader that holds a lease.
  if (lease && options_.lease_reads && LeaseValid()) {
    ReleaseRead(std::move(context), from, commit_, true);
    return;
  }
  // Confirm leadership with a heartbeat round sent after the request.
  pending_reads_.push_back({std::move(context), from, commit_, round_ + 1, lease});
  heartbeat_elapsed_ = 0;
  BroadcastHeartbeat();
}

void Core::ReleaseRead(std::string context, NodeId from, Index index, bool ok) {
  if (from == options_.id) {
    read_states_.push_back({std::move(context), index, ok});
    return;
  }
  Send({.type = MessageType::kReadIndexResp,
        .to = from,
        .index = index,
        .reject = !ok,
        .context = std::move(context)});
}

void Core::AdvanceReads() {
  // The latest round a quorum acknowledged.
  const std::uint64_t acked = Quorum().Committed([this](NodeId id) -> Index {
    if (id == options_.id) return round_;
    auto it = progress_.find(id);
    return it == progress_.end() ? 0 : it->second.acked_round;
  });
  while (!pending_reads_.empty() && pending_reads_.front().round <= acked) {
    PendingRead r = std::move(pending_reads_.front());
    pending_reads_.pop_front();
    ReleaseRead(std::move(r.context), r.from, r.index, true);
  }
  // Keep the send tick of the latest acknowledged round (for the lease).
  while (!round_sent_tick_.empty() && round_sent_tick_.begin()->first < acked) {
    round_sent_tick_.erase(round_sent_tick_.begin());
  }
}

bool Core::LeaseValid() const {
  if (role_ != CoreRole::kLeader || lead_transferee_ != kNoNode || timeout_now_sent_ ||
      round_sent_tick_.empty()) {
    return false;
  }
  const std::uint64_t acked = Quorum().Committed([this](NodeId id) -> Index {
    if (id == options_.id) return round_;
    auto it = progress_.find(id);
    return it == progress_.end() ? 0 : it->second.acked_round;
  });
  auto it = round_sent_tick_.find(acked);
  if (it == round_sent_tick_.end()) return false;
  // Followers that acknowledged the round reset their election timers after
  // it was sent, and refuse votes for election_ticks of their own ticks.
  const std::uint64_t lease = static_cast<std::uint64_t>(options_.election_ticks -
                                                         options_.lease_drift_ticks);
  return ticks_ < it->second + lease;
}

void Core::FailPendingReads() {
  for (PendingRead& r : pending_reads_) ReleaseRead(std::move(r.context), r.from, 0, false);
  for (PendingRead& r : reads_awaiting_commit_) {
    ReleaseRead(std::move(r.context), r.from, 0, false);
  }
  pending_reads_.clear();
  reads_awaiting_commit_.clear();
  round_sent_tick_.clear();
}

absl::Status Core::TransferLeadership(NodeId target) {
  if (role_ != CoreRole::kLeader) {
    return absl::UnavailableError(absl::StrCat("member ", options_.id,
                                               " is not the leader; leader is ", lead_));
  }
  if (target == options_.id) return absl::OkStatus();
  if (!Quorum().IsVoter(target) || progress_.find(target) == progress_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("member ", target, " is not a voter and cannot lead"));
  }
  if (lead_transferee_ == target) return absl::OkStatus();
  lead_transferee_ = target;
  transfer_elapsed_ = 0;
  if (progress_[target].match == log_.LastIndex()) {
    SendTimeoutNow(target);
  } else {
    SendAppend(target, true);
  }
  return absl::OkStatus();
}

void Core::SendTimeoutNow(NodeId to) {
  timeout_now_sent_ = true;
  Send({.type = MessageType::kTimeoutNow, .to = to});
}

void Core::ReportUnreachable(NodeId peer) {
  if (role_ != CoreRole::kLeader) return;
  auto it = progress_.find(peer);
  if (it != progress_.end() && it->second.state == ProgressState::kReplicate) {
    it->second.BecomeProbe();
  }
}

void Core::ReportSnapshot(NodeId peer, bool ok) {
  if (role_ != CoreRole::kLeader) return;
  auto it = progress_.find(peer);
  if (it == progress_.end() || it->second.state != ProgressState::kSnapshot) return;
  Progress& pr = it->second;
  if (!ok) pr.pending_snapshot = 0;
  // Either way, probe next; after a failure wait for a heartbeat answer.
  pr.BecomeProbe();
  pr.probe_sent = !ok;
}

}  // namespace cohort::consensus::raft
