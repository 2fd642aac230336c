// The applier: restores and applies the state machine on its own strand,
// completes proposals and read barriers, and takes snapshots.
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "consensus/node/node_impl.h"

namespace cohort::consensus::node {
namespace {

class StringSink final : public ByteSink {
 public:
  absl::Status Append(std::string_view data) override {
    out.append(data);
    return absl::OkStatus();
  }
  std::string out;
};

}  // namespace

Awaitable<void> NodeImpl::ApplyLoop() {
  for (;;) {
    auto [ec, unused] = co_await apply_kick_.async_receive(
        asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (;;) {
      ApplyItem item;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_ || !failed_.ok()) co_return;
        if (apply_queue_.empty()) break;
        item = std::move(apply_queue_.front());
        apply_queue_.pop_front();
      }
      absl::Status applied = ApplyItemNow(std::move(item));
      FlushCompletions();
      if (!applied.ok()) {
        Fail(applied);
        co_return;
      }
    }
    MaybeSnapshot();
  }
}

absl::Status NodeImpl::ApplyItemNow(ApplyItem item) {
  if (item.snapshot.has_value()) {
    COHORT_RETURN_IF_ERROR(RestoreStateMachine(item.snapshot->data));
    const raft::Index index = item.snapshot->metadata.index;
    absl::MutexLock lock(&mu_);
    applied_ = index;
    snapshot_index_ = index;
    applied_bytes_ = 0;
    core_->OnApplied(index);
    metrics_.applied_index->Set(static_cast<double>(index));
    // Proposals at or below the snapshot were decided elsewhere; whether
    // they are in it is unknown here.
    for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= index;) {
      CompleteLocked(it->second.done,
                     absl::AbortedError("leadership changed; the command may or may not have "
                                        "been applied"));
      it = waiters_.erase(it);
    }
    ReleaseReadsLocked();
    Kick();
  }
  if (item.entries.empty()) return absl::OkStatus();
  std::vector<LogEntry> commands;
  for (const raft::Entry& e : item.entries) {
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) {
      commands.push_back({.index = e.index, .term = e.term, .command = e.data});
    }
  }
  std::vector<absl::StatusOr<std::string>> results(commands.size());
  if (!commands.empty()) sm_.ApplyBatch(commands, results);
  absl::MutexLock lock(&mu_);
  std::size_t next = 0;
  for (const raft::Entry& e : item.entries) {
    auto it = waiters_.find(e.index);
    const bool command = e.type == raft::EntryType::kNormal && !e.data.empty();
    if (it != waiters_.end()) {
      if (it->second.term == e.term && command) {
        CompleteLocked(it->second.done, Applied{e.index, e.term, results[next]});
      } else {
        CompleteLocked(it->second.done,
                       absl::AbortedError(absl::StrCat(
                           "leadership changed; the command at index ", e.index,
                           " was replaced by another leader's entry and was not applied")));
      }
      waiters_.erase(it);
    }
    if (command) ++next;
    applied_bytes_ += e.data.size();
  }
  applied_ = item.entries.back().index;
  core_->OnApplied(applied_);
  metrics_.applied_index->Set(static_cast<double>(applied_));
  ReleaseReadsLocked();
  Kick();
  return absl::OkStatus();
}

void NodeImpl::ReleaseReadsLocked() {
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.index.has_value() && *it->second.index <= applied_) {
      CompleteLocked(it->second.done, applied_);
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

void NodeImpl::MaybeSnapshot() {
  raft::Index index;
  StringSink sink;
  {
    absl::MutexLock lock(&mu_);
    if (snapshot_in_progress_) return;
    if (applied_ < snapshot_index_ + options_.snapshot_threshold &&
        applied_bytes_ < options_.snapshot_bytes) {
      return;
    }
    snapshot_in_progress_ = true;
    index = applied_;
    applied_bytes_ = 0;
    // The members' addresses lead the state machine's bytes (node_wire.h).
    sink.out = EncodeNodeSnapshotHeader(MemberAddressesLocked());
  }
  // Runs on the apply strand, so nothing is applied between capturing the
  // view and reading `index`.
  auto writer = sm_.Snapshot();
  absl::Status status = writer.ok() ? (*writer)->WriteTo(sink) : writer.status();
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    log_->warn("node {}: state machine snapshot at index {} failed: {}", options_.id, index,
               status.ToString());
    snapshot_in_progress_ = false;
    return;
  }
  compaction_ = Compaction{index, std::move(sink.out)};
  KickPersist();
}

}  // namespace cohort::consensus::node
