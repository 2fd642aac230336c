// The driver: ticks and proposal deadlines, proposal batching and Ready
// processing on the core strand; the persister (log appends, snapshots,
// compaction) on the persist strand.
#include <algorithm>
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "consensus/node/node_impl.h"

namespace cohort::consensus::node {

void NodeImpl::Kick() { kick_.try_send(asio::error_code(), true); }

void NodeImpl::KickPersist() { persist_kick_.try_send(asio::error_code(), true); }

void NodeImpl::LoopDone() { loops_done_.try_send(asio::error_code(), true); }

Awaitable<void> NodeImpl::TickLoop() {
  for (;;) {
    absl::Status slept = co_await ctx_.clock->SleepFor(options_.tick_interval);
    {
      absl::MutexLock lock(&mu_);
      if (!slept.ok() || stopping_) co_return;
      core_->Tick();
      ExpireProposalsLocked(ctx_.clock->Now());
    }
    FlushCompletions();
    Kick();
  }
}

Awaitable<void> NodeImpl::DriveLoop() {
  for (;;) {
    auto [ec, unused] = co_await kick_.async_receive(
        asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || !failed_.ok()) co_return;
    }
    ProcessReadies();
    FlushCompletions();
  }
}

void NodeImpl::Fail(const absl::Status& status) {
  log_->error("node {}: stopping after a storage failure: {}", options_.id, status.ToString());
  {
    absl::MutexLock lock(&mu_);
    if (failed_.ok()) failed_ = status;
    FailAllWaitersLocked(status);
  }
  FlushCompletions();
}

void NodeImpl::DrainProposalsLocked() {
  for (std::size_t n = 0; n < options_.max_batch_proposals && !pending_proposals_.empty(); ++n) {
    PendingProposal p = std::move(pending_proposals_.front());
    pending_proposals_.pop_front();
    auto pos = core_->Propose(std::move(p.data));
    if (pos.ok()) {
      waiters_[pos->index] = Waiter{pos->term, std::move(p.done), p.deadline};
      continue;
    }
    absl::Status status = pos.status();
    if (status.code() == absl::StatusCode::kUnavailable) {
      status = NotLeaderLocked("propose");
    } else if (status.code() == absl::StatusCode::kResourceExhausted) {
      status = MarkNotSent(status);
    }
    CompleteLocked(p.done, std::move(status));
  }
  if (!pending_proposals_.empty()) Kick();
}

void NodeImpl::ExpireProposalsLocked(absl::Time now) {
  auto expired = [now](absl::Time deadline) { return deadline <= now; };
  for (auto it = pending_proposals_.begin(); it != pending_proposals_.end();) {
    if (!expired(it->deadline)) {
      ++it;
      continue;
    }
    CompleteLocked(it->done, MarkNotSent(absl::DeadlineExceededError(
                                 "proposal did not complete before its deadline (it was never "
                                 "appended to the log)")));
    it = pending_proposals_.erase(it);
  }
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!expired(it->second.deadline)) {
      ++it;
      continue;
    }
    CompleteLocked(it->second.done,
                   absl::DeadlineExceededError(absl::StrCat(
                       "proposal did not complete before its deadline; it was appended at index ",
                       it->first, " and may still commit")));
    it = waiters_.erase(it);
  }
}

void NodeImpl::HandleReadStatesLocked(std::vector<raft::ReadState> states) {
  for (raft::ReadState& r : states) {
    auto it = reads_.find(r.context);
    if (it == reads_.end()) continue;  // Timed out meanwhile.
    if (!r.ok) {
      CompleteLocked(it->second.done, NotLeaderLocked("read barrier"));
      reads_.erase(it);
      continue;
    }
    it->second.index = r.index;
  }
  ReleaseReadsLocked();
}

void NodeImpl::ProcessReadies() {
  for (;;) {
    raft::Ready ready;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || !failed_.ok()) return;
      DrainProposalsLocked();
      if (!core_->HasReady()) break;
      ready = core_->TakeReady();
      if (core_->role() != last_role_) {
        log_->info("node {} term {}: {} -> {} (leader {})", options_.id, core_->term(),
                   raft::CoreRoleName(last_role_), raft::CoreRoleName(core_->role()),
                   core_->leader());
        last_role_ = core_->role();
      }
      if (core_->leader() != last_leader_) {
        last_leader_ = core_->leader();
        if (last_leader_ != raft::kNoNode) metrics_.leader_changes->Increment();
      }
      metrics_.term->Set(static_cast<double>(core_->term()));
      metrics_.is_leader->Set(core_->role() == raft::CoreRole::kLeader ? 1 : 0);
      metrics_.commit_index->Set(static_cast<double>(core_->commit()));
      HandleReadStatesLocked(std::move(ready.read_states));
      if (ready.snapshot.has_value() || !ready.committed_entries.empty()) {
        apply_queue_.push_back({ready.snapshot, std::move(ready.committed_entries)});
        apply_kick_.try_send(asio::error_code(), true);
      }
      // The disk work goes to the persister; this strand goes on taking
      // Readies (commits, reads, new proposals) while the fsync runs.
      persist_queue_.push_back({std::move(ready.snapshot), std::move(ready.entries),
                                ready.hard_state, std::move(ready.messages_after_persist),
                                ready.persist_mark});
    }
    KickPersist();
    SendMessages(std::move(ready.messages));
  }
}

Awaitable<void> NodeImpl::PersistLoop() {
  for (;;) {
    auto [ec, unused] = co_await persist_kick_.async_receive(
        asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (;;) {
      std::deque<PersistJob> jobs;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_ || !failed_.ok()) co_return;
        jobs.swap(persist_queue_);
      }
      if (absl::Status s = RunCompaction(); !s.ok()) {
        Fail(s);
        co_return;
      }
      if (jobs.empty()) break;
      if (absl::Status s = PersistJobs(jobs); !s.ok()) {
        Fail(s);
        co_return;
      }
      for (PersistJob& job : jobs) SendMessages(std::move(job.after));
      {
        absl::MutexLock lock(&mu_);
        for (const PersistJob& job : jobs) core_->OnPersisted(job.mark);
      }
      Kick();
    }
  }
}

absl::Status NodeImpl::SaveSnapshot(const raft::SnapshotMetadata& meta, const std::string& data) {
  auto writer = store_->Create(meta);
  if (writer.status().code() != absl::StatusCode::kAlreadyExists) {
    COHORT_RETURN_IF_ERROR(writer.status());
    COHORT_RETURN_IF_ERROR((*writer)->Write(data));
    COHORT_RETURN_IF_ERROR((*writer)->Commit());
  }
  if (wal_->snapshot().index >= meta.index) return absl::OkStatus();
  return wal_->MarkSnapshot({.index = meta.index, .term = meta.term});
}

absl::Status NodeImpl::PersistJobs(std::deque<PersistJob>& jobs) {
  wal::WalBatch batch;
  auto flush = [&]() -> absl::Status {
    if (batch.entries.empty() && !batch.hard_state.has_value()) return absl::OkStatus();
    const absl::Time start = ctx_.clock->Now();
    absl::Status s = wal_->Append(batch);
    metrics_.wal_sync_seconds->Observe(absl::ToDoubleSeconds(ctx_.clock->Now() - start));
    metrics_.wal_batch_entries->Observe(static_cast<double>(batch.entries.size()));
    batch = wal::WalBatch();
    return s;
  };
  for (PersistJob& job : jobs) {
    if (job.snapshot.has_value()) {
      COHORT_RETURN_IF_ERROR(flush());
      log_->info("node {}: installing snapshot at index {} term {} ({} bytes)", options_.id,
                 job.snapshot->metadata.index, job.snapshot->metadata.term,
                 job.snapshot->data.size());
      COHORT_RETURN_IF_ERROR(SaveSnapshot(job.snapshot->metadata, job.snapshot->data));
      job.snapshot.reset();
    }
    if (!job.entries.empty()) {
      // A job that rewrites a suffix (its first index is not the next one)
      // starts a batch of its own: the WAL truncates at a batch's first entry.
      if (!batch.entries.empty() &&
          job.entries.front().index != batch.entries.back().index + 1) {
        COHORT_RETURN_IF_ERROR(flush());
      }
      if (batch.entries.empty()) {
        batch.entries = std::move(job.entries);
      } else {
        batch.entries.insert(batch.entries.end(), std::make_move_iterator(job.entries.begin()),
                             std::make_move_iterator(job.entries.end()));
      }
    }
    // Terms and commits only grow, so the newest hard state covers the
    // older ones written in the same batch.
    if (job.hard_state.has_value()) batch.hard_state = job.hard_state;
  }
  return flush();
}

absl::Status NodeImpl::RunCompaction() {
  raft::SnapshotMetadata meta;
  std::string data;
  {
    absl::MutexLock lock(&mu_);
    if (!compaction_.has_value()) return absl::OkStatus();
    Compaction c = std::move(*compaction_);
    compaction_.reset();
    snapshot_in_progress_ = false;
    if (!core_->Compact(c.index, c.data).ok()) return absl::OkStatus();  // Overtaken.
    meta = core_->snapshot_metadata();
    data = std::move(c.data);
  }
  COHORT_RETURN_IF_ERROR(SaveSnapshot(meta, data));
  COHORT_ASSIGN_OR_RETURN(int deleted, wal_->Compact());
  metrics_.snapshots->Increment();
  log_->info("node {}: snapshot at index {} ({} bytes), {} log segments deleted", options_.id,
             meta.index, data.size(), deleted);
  absl::MutexLock lock(&mu_);
  snapshot_index_ = std::max(snapshot_index_, meta.index);
  return absl::OkStatus();
}

}  // namespace cohort::consensus::node
