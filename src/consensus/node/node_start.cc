// Start: recovering (or bootstrapping) the durable state, and starting the
// loops.
#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "consensus/node/node_impl.h"

namespace cohort::consensus::node {
namespace {

// Feeds the state machine from a string.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  absl::StatusOr<std::size_t> Read(std::span<char> buffer) override {
    const std::size_t n = std::min(buffer.size(), data_.size() - pos_);
    std::memcpy(buffer.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

Awaitable<absl::StatusOr<std::string>> ServeStep(std::shared_ptr<Link> link,
                                                 std::string request) {
  absl::MutexLock lock(&link->mu);
  if (link->node == nullptr) co_return absl::UnavailableError("raft node stopped");
  absl::Status status = link->node->Deliver(request);
  if (!status.ok()) co_return status;
  co_return std::string();
}

}  // namespace

raft::CoreOptions NodeImpl::CoreOptionsFor() const {
  raft::CoreOptions core;
  core.id = options_.id;
  core.election_ticks = options_.election_ticks;
  core.heartbeat_ticks = options_.heartbeat_ticks;
  core.pre_vote = options_.pre_vote;
  core.check_quorum = options_.check_quorum;
  core.lease_reads = options_.lease_reads;
  core.max_uncommitted_bytes = options_.max_uncommitted_bytes;
  core.max_inflight_messages = options_.max_inflight_appends;
  core.max_entry_bytes = options_.max_proposal_bytes + 64;
  core.seed = DeriveSeed(ctx_.seed, absl::StrCat("raft/node-", options_.id));
  return core;
}

absl::Status NodeImpl::RestoreStateMachine(const std::string& data) {
  auto snapshot = DecodeNodeSnapshot(data);
  if (!snapshot.ok()) {
    return absl::DataLossError(absl::StrCat("member ", options_.id, ": damaged snapshot (",
                                            snapshot.status().ToString(), ")"));
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, address] : snapshot->addresses) LearnAddressLocked(id, address);
  }
  StringSource source(snapshot->state_machine);
  absl::Status status = sm_.Restore(source);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(
        "member ", options_.id, ": the state machine refused the snapshot (",
        status.ToString(), "); the replica stops rather than run with a partial state"));
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::LoadSnapshot(raft::RestoreState* state) {
  const wal::SnapshotMarker marker = wal_->snapshot();
  auto loaded = store_->LoadNewest();
  if (!loaded.ok()) {
    if (loaded.status().code() == absl::StatusCode::kNotFound && marker.index == 0) {
      return absl::OkStatus();  // A log that was never compacted.
    }
    return absl::DataLossError(absl::StrCat(
        "member ", options_.id, " in ", options_.data_dir, ": the log was compacted up to index ",
        marker.index, " but its snapshot cannot be loaded (", loaded.status().ToString(),
        "). Restore the data directory from a backup, or wipe it and re-add this member "
        "(RemoveMember, then AddMember) so that it receives a snapshot from the leader"));
  }
  if (loaded->metadata.index < marker.index) {
    return absl::DataLossError(absl::StrCat(
        "member ", options_.id, " in ", options_.data_dir, ": the log was compacted up to index ",
        marker.index, " but the newest intact snapshot is at index ", loaded->metadata.index,
        ". Restore the data directory from a backup, or wipe it and re-add this member"));
  }
  if (loaded->metadata.index > marker.index) {
    // Saved, but the crash came before the log recorded it.
    COHORT_RETURN_IF_ERROR(
        wal_->MarkSnapshot({.index = loaded->metadata.index, .term = loaded->metadata.term}));
  }
  state->snapshot = loaded->metadata;
  state->snapshot_data = std::move(loaded->data);
  return absl::OkStatus();
}

absl::Status NodeImpl::OpenStorage(raft::RestoreState* state) {
  COHORT_RETURN_IF_ERROR(wal::CreateDurableDir(*fs_, options_.data_dir));
  wal::WalOptions wal_options;
  wal_options.dir = wal::JoinPath(options_.data_dir, "wal");
  wal_options.cluster_id = options_.cluster_id;
  wal_options.node_id = options_.id;
  wal_options.fs = fs_;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  wal_options.max_record_bytes =
      static_cast<std::uint32_t>(std::max<std::uint64_t>(16u << 20, options_.max_proposal_bytes + 1024));
  wal_options.logger = log_;
  COHORT_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(wal_options));
  wal::SnapshotStoreOptions store_options;
  store_options.dir = wal::JoinPath(options_.data_dir, "snap");
  store_options.fs = fs_;
  store_options.logger = log_;
  COHORT_ASSIGN_OR_RETURN(store_, wal::SnapshotStore::Open(store_options));

  COHORT_RETURN_IF_ERROR(LoadSnapshot(state));
  state->hard_state = wal_->hard_state();
  const raft::Index first = state->snapshot.index + 1;
  for (raft::Index lo = first; lo <= wal_->LastIndex();) {
    COHORT_ASSIGN_OR_RETURN(
        auto entries,
        wal_->Entries(lo, wal_->LastIndex(), std::numeric_limits<std::uint64_t>::max()));
    lo += entries.size();
    for (raft::Entry& e : entries) state->entries.push_back(std::move(e));
  }
  const bool fresh = wal_->LastIndex() == 0 && state->snapshot.index == 0 &&
                     state->hard_state == raft::HardState{};
  if (fresh) {
    std::vector<raft::NodeId> voters;
    bool founder = false;
    for (const Member& m : options_.members) {
      if (m.learner) continue;
      voters.push_back(m.id);
      founder |= m.id == options_.id;
    }
    if (founder) {
      *state = raft::BootstrapState(voters);
      COHORT_RETURN_IF_ERROR(
          wal_->Append({.entries = state->entries, .hard_state = state->hard_state}));
      log_->info("node {}: bootstrapped cluster {} with {} voters", options_.id,
                 options_.cluster_id, voters.size());
    } else {
      log_->info("node {}: empty data directory, waiting to be added by the leader",
                 options_.id);
    }
  }
  state->applied = state->snapshot.index;
  if (state->snapshot.index > 0) COHORT_RETURN_IF_ERROR(RestoreStateMachine(state->snapshot_data));
  return absl::OkStatus();
}

absl::Status NodeImpl::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("RaftNode::Start called twice");
    started_ = true;
  }
  raft::RestoreState state;
  absl::Status status = OpenStorage(&state);
  if (!status.ok()) {
    if (wal_ != nullptr) wal_->Close().IgnoreError();
    return Annotate(status, absl::StrCat("starting raft member ", options_.id));
  }
  const raft::Index snapshot_index = state.snapshot.index;
  {
    // After the snapshot's addresses (OpenStorage), before `members`.
    absl::MutexLock lock(&mu_);
    LearnAddressesLocked(state.entries);
  }
  COHORT_ASSIGN_OR_RETURN(auto core, raft::Core::Create(CoreOptionsFor(), std::move(state)));
  std::shared_ptr<Link> link = link_;
  COHORT_RETURN_IF_ERROR(transport_.Register(
      kRaftStepMethod, [link](const transport::ServerCall&, std::string request) {
        return ServeStep(link, std::move(request));
      }));
  {
    absl::MutexLock lock(&mu_);
    core_ = std::move(core);
    applied_ = snapshot_index;
    snapshot_index_ = snapshot_index;
    for (const Member& m : options_.members) addresses_[m.id] = m.address;
    addresses_.try_emplace(options_.id, transport_.address());
  }
  log_->info("node {}: started at {} (term {}, last index {}, snapshot {})", options_.id,
             transport_.address(), wal_->hard_state().term, wal_->LastIndex(), snapshot_index);
  auto done = [this](std::exception_ptr) { LoopDone(); };
  asio::co_spawn(core_strand_, TickLoop(),
                 asio::bind_cancellation_slot(tick_cancel_.slot(), done));
  asio::co_spawn(core_strand_, DriveLoop(), done);
  asio::co_spawn(apply_strand_, ApplyLoop(), done);
  asio::co_spawn(persist_strand_, PersistLoop(), done);
  Kick();
  return absl::OkStatus();
}

}  // namespace cohort::consensus::node
