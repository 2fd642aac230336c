// Core: options, construction and restore, the Ready batch and the
// driver's acknowledgements.
#include "consensus/raft/core.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "consensus/raft/conf_change.h"
#include "consensus/raft/message_codec.h"

namespace cohort::consensus::raft {

const char* CoreRoleName(CoreRole role) {
  switch (role) {
    case CoreRole::kFollower: return "follower";
    case CoreRole::kPreCandidate: return "pre-candidate";
    case CoreRole::kCandidate: return "candidate";
    case CoreRole::kLeader: return "leader";
  }
  return "unknown";
}

absl::Status ValidateCoreOptions(const CoreOptions& o) {
  if (o.id == kNoNode) return absl::InvalidArgumentError("id must be non-zero");
  if (o.heartbeat_ticks < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat_ticks must be >= 1, got ", o.heartbeat_ticks));
  }
  if (o.election_ticks <= o.heartbeat_ticks) {
    return absl::InvalidArgumentError(absl::StrCat("election_ticks must be > heartbeat_ticks (",
                                                   o.heartbeat_ticks, "), got ",
                                                   o.election_ticks));
  }
  if (o.max_inflight_messages < 1) {
    return absl::InvalidArgumentError("max_inflight_messages must be >= 1, got 0");
  }
  if (o.max_message_bytes < 1) {
    return absl::InvalidArgumentError("max_message_bytes must be >= 1, got 0");
  }
  if (o.max_entry_bytes > o.max_uncommitted_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_entry_bytes must be <= max_uncommitted_bytes (", o.max_uncommitted_bytes,
        "), got ", o.max_entry_bytes));
  }
  if (o.lease_reads && !o.check_quorum) {
    return absl::InvalidArgumentError("lease_reads requires check_quorum = true");
  }
  if (o.lease_drift_ticks < 1 || o.lease_drift_ticks >= o.election_ticks) {
    return absl::InvalidArgumentError(absl::StrCat("lease_drift_ticks must be in [1, ",
                                                   o.election_ticks, "), got ",
                                                   o.lease_drift_ticks));
  }
  return absl::OkStatus();
}

RestoreState BootstrapState(const std::vector<NodeId>& voters) {
  ConfChange change;
  for (NodeId id : voters) change.changes.push_back({ConfChangeType::kAddVoter, id});
  Entry entry{.term = 1, .index = 1, .type = EntryType::kConfChange};
  EncodeConfChange(change, &entry.data);
  RestoreState state;
  state.hard_state = {.term = 1, .vote = kNoNode, .commit = 1};
  state.entries.push_back(std::move(entry));
  return state;
}

Core::Core(const CoreOptions& options)
    : options_(options), random_(DeriveSeed(options.seed, "raft.election")) {}

absl::StatusOr<std::unique_ptr<Core>> Core::Create(const CoreOptions& options,
                                                   RestoreState state) {
  COHORT_RETURN_IF_ERROR(ValidateCoreOptions(options));
  std::unique_ptr<Core> core(new Core(options));
  const SnapshotMetadata& snap = state.snapshot;
  core->log_.Reset(snap.index, snap.term);
  Index expect = snap.index + 1;
  for (const Entry& e : state.entries) {
    if (e.index != expect) {
      return absl::DataLossError(absl::StrCat("restored entries are not consecutive: expected ",
                                              expect, ", got ", e.index));
    }
    ++expect;
  }
  core->log_.TruncateAndAppend(std::move(state.entries));
  const HardState& hs = state.hard_state;
  if (hs.commit > core->log_.LastIndex()) {
    return absl::DataLossError(absl::StrCat("restored commit index ", hs.commit,
                                            " is past the last durable entry ",
                                            core->log_.LastIndex()));
  }
  if (state.applied < snap.index || state.applied > std::max(hs.commit, snap.index)) {
    return absl::InvalidArgumentError(absl::StrCat("applied index ", state.applied,
                                                   " must be in [snapshot index ", snap.index,
                                                   ", commit ", hs.commit, "]"));
  }
  core->term_ = hs.term;
  core->vote_ = hs.vote;
  core->commit_ = std::max(hs.commit, snap.index);
  core->saved_hard_state_ = {core->term_, core->vote_, core->commit_};
  core->snapshot_meta_ = snap;
  core->snapshot_data_ = std::move(state.snapshot_data);
  core->conf_ = snap.conf_state;
  core->persisted_index_ = core->log_.LastIndex();
  core->unsaved_from_ = core->log_.LastIndex() + 1;
  core->released_ = snap.index;
  core->applied_ = snap.index;
  // Configurations the state machine already applied take effect now; later
  // ones when handed out again.
  for (Index i = snap.index + 1; i <= state.applied; ++i) {
    const Entry& e = core->log_.At(i);
    if (e.type != EntryType::kConfChange) continue;
    COHORT_ASSIGN_OR_RETURN(ConfChange change, DecodeConfChange(e.data));
    auto next = ApplyConfChange(core->conf_, change);
    if (next.ok()) core->conf_history_.emplace_back(i, *next), core->conf_ = *std::move(next);
  }
  core->released_ = state.applied;
  core->applied_ = state.applied;
  core->RebuildProgress();
  core->BecomeFollower(core->term_, kNoNode);
  return core;
}

void Core::OnPersisted(LogPosition mark) {
  if (!log_.MatchTerm(mark.index, mark.term)) return;  // Rewritten since.
  if (mark.index <= persisted_index_) return;
  persisted_index_ = mark.index;
  stall_ticks_ = 0;
  if (role_ == CoreRole::kLeader && MaybeCommit()) pending_broadcast_ = true;
}

void Core::OnApplied(Index index) {
  applied_ = std::max(applied_, std::min(index, released_));
}

absl::Status Core::Compact(Index index, std::string data) {
  if (index <= log_.SnapshotIndex() || index > applied_) {
    return absl::FailedPreconditionError(
        absl::StrCat("compaction index must be in (", log_.SnapshotIndex(), ", applied ",
                     applied_, "], got ", index));
  }
  SnapshotMetadata meta{.index = index, .term = *log_.TermAt(index)};
  meta.conf_state = snapshot_meta_.conf_state;
  while (!conf_history_.empty() && conf_history_.front().first <= index) {
    meta.conf_state = std::move(conf_history_.front().second);
    conf_history_.erase(conf_history_.begin());
  }
  log_.CompactTo(index);
  snapshot_meta_ = std::move(meta);
  snapshot_data_ = std::move(data);
  return absl::OkStatus();
}

bool Core::HasReady() const {
  const HardState hs{term_, vote_, commit_};
  return hs != saved_hard_state_ || pending_install_.has_value() ||
         unsaved_from_ <= log_.LastIndex() || !msgs_.empty() || !msgs_after_persist_.empty() ||
         !read_states_.empty() || released_ < std::min(commit_, persisted_index_) ||
         (pending_broadcast_ && role_ == CoreRole::kLeader);
}

Ready Core::TakeReady() {
  Ready ready;
  // Committed entries first: applying configuration changes may append
  // (leaving a joint configuration) or step down.
  if (pending_install_.has_value()) {
    ready.snapshot = std::move(pending_install_);
    pending_install_.reset();
  }
  const Index hi = std::min(commit_, persisted_index_);
  std::uint64_t apply_bytes = 0;
  for (Index i = std::max(released_ + 1, log_.FirstIndex()); i <= hi; ++i) {
    const Entry& e = log_.At(i);
    apply_bytes += EntryBytes(e);
    if (!ready.committed_entries.empty() && apply_bytes > options_.max_apply_bytes) break;
    ready.committed_entries.push_back(e);
    released_ = i;
    if (e.type == EntryType::kConfChange) {
      auto change = DecodeConfChange(e.data);
      if (!change.ok()) continue;  // Was validated when proposed; cannot happen.
      auto next = ApplyConfChange(conf_, *change);
      if (next.ok()) ApplyConf(i, *next);
    }
  }
  if (role_ == CoreRole::kLeader) {
    MaybeAutoLeave();
    if (pending_broadcast_) BroadcastAppend();
  }
  pending_broadcast_ = false;
  const HardState hs{term_, vote_, commit_};
  if (hs != saved_hard_state_) {
    ready.hard_state = hs;
    saved_hard_state_ = hs;
  }
  for (Index i = std::max(unsaved_from_, log_.FirstIndex()); i <= log_.LastIndex(); ++i) {
    ready.entries.push_back(log_.At(i));
  }
  unsaved_from_ = log_.LastIndex() + 1;
  ready.messages = std::move(msgs_);
  msgs_.clear();
  ready.messages_after_persist = std::move(msgs_after_persist_);
  msgs_after_persist_.clear();
  ready.read_states = std::move(read_states_);
  read_states_.clear();
  ready.persist_mark = {log_.LastTerm(), log_.LastIndex()};
  return ready;
}

const Progress* Core::progress(NodeId peer) const {
  if (role_ != CoreRole::kLeader) return nullptr;
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace cohort::consensus::raft
