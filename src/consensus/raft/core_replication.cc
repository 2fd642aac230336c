// Core: log replication, on the leader and on followers.
#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "consensus/raft/core.h"

namespace cohort::consensus::raft {

absl::StatusOr<LogPosition> Core::Propose(std::string data) {
  if (role_ != CoreRole::kLeader) {
    return absl::UnavailableError(absl::StrCat("member ", options_.id,
                                               " is not the leader; leader is ", lead_));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is being transferred to member ", lead_transferee_));
  }
  if (data.size() > options_.max_entry_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("proposal of ", data.size(),
                                                   " bytes exceeds max_entry_bytes ",
                                                   options_.max_entry_bytes));
  }
  const Entry probe{.data = data};
  if (uncommitted_bytes_ > 0 &&
      uncommitted_bytes_ + EntryBytes(probe) > options_.max_uncommitted_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "uncommitted entries hold ", uncommitted_bytes_, " bytes (max_uncommitted_bytes ",
        options_.max_uncommitted_bytes, "); retry once commits catch up"));
  }
  AppendLocal(EntryType::kNormal, std::move(data));
  return LogPosition{term_, log_.LastIndex()};
}

void Core::AppendLocal(EntryType type, std::string data) {
  Entry e{.term = term_, .index = log_.LastIndex() + 1, .type = type, .data = std::move(data)};
  if (!e.data.empty()) uncommitted_bytes_ += EntryBytes(e);
  log_.TruncateAndAppend({std::move(e)});
  // Sent at the next TakeReady, so that proposals between batches share
  // append messages.
  pending_broadcast_ = true;
}

Index Core::AppendToLog(std::vector<Entry> entries) {
  const Index first = log_.TruncateAndAppend(std::move(entries));
  unsaved_from_ = std::min(unsaved_from_, first);
  // A rewritten suffix is no longer durable as far as the core knows.
  persisted_index_ = std::min(persisted_index_, first - 1);
  return first;
}

Index Core::AckedBy(NodeId id) const {
  if (id == options_.id) return persisted_index_;
  auto it = progress_.find(id);
  return it == progress_.end() ? 0 : it->second.match;
}

bool Core::MaybeCommit() {
  const Index index = Quorum().Committed([this](NodeId id) { return AckedBy(id); });
  // Raft §5.4.2: only entries of the current term commit by counting.
  if (index <= commit_ || !log_.MatchTerm(index, term_)) return false;
  for (Index i = commit_ + 1; i <= index; ++i) {
    const std::uint64_t bytes = log_.At(i).data.empty() ? 0 : EntryBytes(log_.At(i));
    uncommitted_bytes_ -= std::min(uncommitted_bytes_, bytes);
  }
  const bool first_in_term = !CommittedInCurrentTerm();
  commit_ = index;
  if (first_in_term) {
    // Reads that waited for this term's first commit can start now.
    std::deque<PendingRead> waiting;
    waiting.swap(reads_awaiting_commit_);
    for (PendingRead& r : waiting) ServeRead(std::move(r.context), r.from, r.lease);
  }
  return true;
}

void Core::StepLeader(const Message& m) {
  auto it = progress_.find(m.from);
  switch (m.type) {
    case MessageType::kAppendResp:
      if (it != progress_.end()) HandleAppendResp(m);
      break;
    case MessageType::kHeartbeatResp: {
      if (it == progress_.end()) break;
      Progress& pr = it->second;
      pr.recent_active = true;
      pr.probe_sent = false;
      if (pr.state == ProgressState::kReplicate &&
          pr.inflights.Full(options_.max_inflight_messages, options_.max_inflight_bytes)) {
        pr.inflights.FreeFirst();
      }
      std::uint64_t round = 0;
      const char* end = m.context.data() + m.context.size();
      if (std::from_chars(m.context.data(), end, round).ptr == end) {
        pr.acked_round = std::max(pr.acked_round, round);
      }
      if (pr.match < log_.LastIndex()) SendAppend(m.from, true);
      AdvanceReads();
      break;
    }
    case MessageType::kReadIndex:
      ServeRead(m.context, m.from, m.lease_read);
      break;
    default: break;
  }
}

void Core::HandleAppendResp(const Message& m) {
  Progress& pr = progress_[m.from];
  pr.recent_active = true;
  if (m.reject) {
    Index hint = m.reject_hint;
    // Skip a whole term of the follower's log per round trip.
    if (m.log_term > 0) hint = log_.FindConflictByTerm(m.reject_hint, m.log_term);
    if (pr.MaybeDecrease(m.index, hint)) {
      if (pr.state == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from, true);
    }
    return;
  }
  const bool was_paused =
      pr.IsPaused(options_.max_inflight_messages, options_.max_inflight_bytes);
  if (!pr.MaybeUpdate(m.index)) {
    if (was_paused && pr.state == ProgressState::kProbe) SendAppend(m.from, false);
    return;
  }
  if (pr.state == ProgressState::kProbe) {
    pr.BecomeReplicate();
  } else if (pr.state == ProgressState::kSnapshot && pr.match >= pr.pending_snapshot) {
    pr.BecomeProbe();
    pr.BecomeReplicate();
  } else if (pr.state == ProgressState::kReplicate) {
    pr.inflights.FreeTo(m.index);
  }
  if (MaybeCommit()) {
    BroadcastAppend();
  }
  // Pipeline: fill the window again.
  while (SendAppend(m.from, false)) {
  }
  if (m.from == lead_transferee_ && pr.match == log_.LastIndex()) SendTimeoutNow(m.from);
}

bool Core::SendAppend(NodeId to, bool send_if_empty) {
  auto it = progress_.find(to);
  if (it == progress_.end() || to == options_.id) return false;
  Progress& pr = it->second;
  if (pr.IsPaused(options_.max_inflight_messages, options_.max_inflight_bytes)) return false;
  const Index prev = pr.next - 1;
  const auto prev_term = log_.TermAt(prev);
  if (!prev_term.has_value()) {
    SendSnapshot(to);
    return false;
  }
  std::vector<Entry> entries;
  if (pr.next <= log_.LastIndex()) {
    entries = log_.Slice(pr.next, log_.LastIndex(), options_.max_message_bytes);
  }
  if (entries.empty() && !send_if_empty) return false;
  if (!entries.empty() && pr.state == ProgressState::kReplicate) {
    std::uint64_t bytes = 0;
    for (const Entry& e : entries) bytes += EntryBytes(e);
    pr.next = entries.back().index + 1;
    pr.inflights.Add(entries.back().index, bytes);
  } else if (pr.state == ProgressState::kProbe) {
    pr.probe_sent = true;
  }
  Send({.type = MessageType::kAppend,
        .to = to,
        .log_term = *prev_term,
        .index = prev,
        .commit = commit_,
        .entries = std::move(entries)});
  return true;
}

void Core::SendSnapshot(NodeId to) {
  Progress& pr = progress_[to];
  Send({.type = MessageType::kSnapshot,
        .to = to,
        .snapshot = snapshot_meta_,
        .snapshot_data = snapshot_data_});
  pr.BecomeSnapshot(snapshot_meta_.index);
}

void Core::BroadcastAppend() {
  for (auto& [id, pr] : progress_) {
    if (id != options_.id) SendAppend(id, true);
  }
}

void Core::BroadcastHeartbeat() {
  ++round_;
  round_sent_tick_[round_] = ticks_;
  const std::string context = std::to_string(round_);
  for (auto& [id, pr] : progress_) {
    if (id == options_.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    Send({.type = MessageType::kHeartbeat,
          .to = id,
          .commit = std::min(pr.match, commit_),
          .context = context});
  }
  AdvanceReads();
}

void Core::HandleAppend(const Message& m) {
  if (m.index < commit_) {
    Send({.type = MessageType::kAppendResp, .to = m.from, .index = commit_});
    return;
  }
  if (log_.MatchTerm(m.index, m.log_term)) {
    const Index last_new = m.index + m.entries.size();
    const Index conflict = log_.FindConflict(m.entries);
    if (conflict != 0) {
      std::vector<Entry> suffix(m.entries.begin() + static_cast<long>(conflict - m.index - 1),
                                m.entries.end());
      AppendToLog(std::move(suffix));
    }
    commit_ = std::max(commit_, std::min(m.commit, last_new));
    Send({.type = MessageType::kAppendResp, .to = m.from, .index = last_new});
    return;
  }
  // Point the leader at our last entry that could match: at or below its
  // prev index, with a term no newer than its prev term.
  const Index hint = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
  Send({.type = MessageType::kAppendResp,
        .to = m.from,
        .log_term = log_.TermAt(hint).value_or(0),
        .index = m.index,
        .reject = true,
        .reject_hint = hint});
}

void Core::HandleHeartbeat(const Message& m) {
  commit_ = std::max(commit_, std::min(m.commit, log_.LastIndex()));
  Send({.type = MessageType::kHeartbeatResp, .to = m.from, .context = m.context});
}

void Core::HandleSnapshot(const Message& m) {
  if (!m.snapshot.has_value()) return;
  const SnapshotMetadata& snap = *m.snapshot;
  if (snap.index <= commit_) {
    Send({.type = MessageType::kAppendResp, .to = m.from, .index = commit_});
    return;
  }
  if (log_.MatchTerm(snap.index, snap.term)) {
    // We already hold the snapshot's entries: just commit them.
    commit_ = snap.index;
    Send({.type = MessageType::kAppendResp, .to = m.from, .index = log_.LastIndex()});
    return;
  }
  log_.Reset(snap.index, snap.term);
  commit_ = snap.index;
  released_ = snap.index;
  applied_ = std::min(applied_, snap.index);
  unsaved_from_ = snap.index + 1;
  persisted_index_ = std::min(persisted_index_, snap.index - 1);
  snapshot_meta_ = snap;
  snapshot_data_ = m.snapshot_data;
  pending_install_ = Snapshot{snap, m.snapshot_data};
  conf_ = snap.conf_state;
  conf_history_.clear();
  RebuildProgress();
  Send({.type = MessageType::kAppendResp, .to = m.from, .index = snap.index});
}

}  // namespace cohort::consensus::raft
