// The ConsensusLog data path: Propose and ReadBarrier.
#include <algorithm>
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/base/deadline.h"
#include "cohort/resilience/status_hints.h"
#include "consensus/node/node_impl.h"

namespace cohort::consensus::node {
namespace {

template <typename Result, typename Channel>
Awaitable<Result> Receive(std::shared_ptr<Channel> channel) {
  auto [ec, result] =
      co_await channel->async_receive(asio::experimental::as_tuple(asio::use_awaitable));
  if (ec) co_return absl::CancelledError("wait cancelled");
  co_return std::move(result);
}

}  // namespace

std::optional<LeaderHint> NodeImpl::LeaderLocked() const {
  const raft::NodeId lead = core_ == nullptr ? raft::kNoNode : core_->leader();
  if (lead == raft::kNoNode) return std::nullopt;
  LeaderHint hint{.id = lead};
  if (auto it = addresses_.find(lead); it != addresses_.end()) hint.address = it->second;
  return hint;
}

absl::Status NodeImpl::NotLeaderLocked(std::string_view what) const {
  const std::optional<LeaderHint> leader = LeaderLocked();
  absl::Status status = absl::UnavailableError(absl::StrCat(
      absl::string_view(what.data(), what.size()), ": raft member ", options_.id,
      " is not the leader",
      leader.has_value() ? absl::StrCat("; the leader is ", leader->id, " at ", leader->address)
                         : std::string("; no leader is known (election in progress?)")));
  if (leader.has_value() && leader->id != options_.id) status = WithLeaderHint(status, *leader);
  return MarkNotSent(status);
}

absl::Status NodeImpl::CheckRunningLocked() const {
  if (!failed_.ok()) return failed_;
  if (core_ == nullptr || stopping_) {
    return MarkNotSent(
        absl::UnavailableError(absl::StrCat("raft member ", options_.id, " is not running")));
  }
  return absl::OkStatus();
}

void NodeImpl::FailAllWaitersLocked(const absl::Status& status) {
  for (PendingProposal& p : pending_proposals_) {
    CompleteLocked(p.done, MarkNotSent(status));
  }
  pending_proposals_.clear();
  for (auto& [index, w] : waiters_) CompleteLocked(w.done, status);
  waiters_.clear();
  for (auto& [context, r] : reads_) CompleteLocked(r.done, status);
  reads_.clear();
}

void NodeImpl::CompleteLocked(const std::shared_ptr<ProposeChannel>& done,
                              ProposeResult result) {
  completions_.push_back([done, r = std::move(result)]() mutable {
    done->try_send(asio::error_code(), std::move(r));
  });
}

void NodeImpl::CompleteLocked(const std::shared_ptr<ReadChannel>& done, ReadResult result) {
  completions_.push_back([done, r = std::move(result)]() mutable {
    done->try_send(asio::error_code(), std::move(r));
  });
}

void NodeImpl::FlushCompletions() {
  std::vector<std::function<void()>> completions;
  {
    absl::MutexLock lock(&mu_);
    completions.swap(completions_);
  }
  for (auto& complete : completions) complete();
}

Awaitable<absl::StatusOr<Applied>> NodeImpl::Propose(std::string command,
                                                     const ProposeOptions& options) {
  if (command.empty()) {
    co_return absl::InvalidArgumentError("the command is empty; propose at least one byte");
  }
  if (command.size() > options_.max_proposal_bytes) {
    co_return absl::InvalidArgumentError(
        absl::StrCat("the command is ", command.size(), " bytes; max_proposal_bytes is ",
                     options_.max_proposal_bytes));
  }
  const absl::Time start = ctx_.clock->Now();
  const absl::Time deadline = std::min(options.deadline, start + options_.proposal_timeout);
  auto done = std::make_shared<ProposeChannel>(co_await asio::this_coro::executor, 1);
  {
    absl::MutexLock lock(&mu_);
    COHORT_CO_RETURN_IF_ERROR(CheckRunningLocked());
    if (core_->role() != raft::CoreRole::kLeader) co_return NotLeaderLocked("propose");
    if (core_->transfer_target() != raft::kNoNode) {
      co_return MarkNotSent(absl::UnavailableError(
          "propose: leadership is being transferred; retry on the new leader"));
    }
    if (pending_proposals_.size() >= options_.max_pending_proposals) {
      co_return MarkNotSent(absl::ResourceExhaustedError(absl::StrCat(
          "propose: ", pending_proposals_.size(),
          " proposals are already waiting to be appended (max_pending_proposals); retry later")));
    }
    pending_proposals_.push_back({std::move(command), done, deadline});
  }
  Kick();
  // The ticker completes `done` with kDeadlineExceeded once `deadline` passes.
  ProposeResult result = co_await Receive<ProposeResult>(std::move(done));
  metrics_.proposals->Increment();
  if (!result.ok()) metrics_.proposals_failed->Increment();
  metrics_.proposal_seconds->Observe(absl::ToDoubleSeconds(ctx_.clock->Now() - start));
  co_return result;
}

Awaitable<absl::StatusOr<std::uint64_t>> NodeImpl::ReadBarrier(const ReadOptions& options) {
  if (options.consistency == ReadConsistency::kLease && !options_.lease_reads) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "read barrier: ReadConsistency::kLease needs RaftNodeOptions.lease_reads = true on "
        "member ",
        options_.id,
        " (it assumes clock drift between members below two ticks per election timeout); "
        "use kLinearizable or enable lease_reads"));
  }
  const raft::ReadMode mode = options.consistency == ReadConsistency::kLease
                                  ? raft::ReadMode::kLease
                                  : raft::ReadMode::kReadIndex;
  const absl::Time start = ctx_.clock->Now();
  const absl::Time deadline = std::min(options.deadline, start + options_.proposal_timeout);
  auto done = std::make_shared<ReadChannel>(co_await asio::this_coro::executor, 1);
  std::string context;
  {
    absl::MutexLock lock(&mu_);
    COHORT_CO_RETURN_IF_ERROR(CheckRunningLocked());
    if (core_->leader() == raft::kNoNode) co_return NotLeaderLocked("read barrier");
    context = absl::StrCat("r", options_.id, ".", ++next_read_);
    if (absl::Status s = core_->ReadIndex(context, mode); !s.ok()) {
      co_return NotLeaderLocked("read barrier");
    }
    reads_[context] = ReadWaiter{done, std::nullopt};
  }
  Kick();
  auto wait = Receive<ReadResult>(done);
  ReadResult result = co_await WithDeadline(*ctx_.clock, deadline, std::move(wait), "read barrier");
  if (!result.ok()) {
    absl::MutexLock lock(&mu_);
    reads_.erase(context);
  }
  metrics_.read_barrier_seconds->Observe(absl::ToDoubleSeconds(ctx_.clock->Now() - start));
  co_return result;
}

}  // namespace cohort::consensus::node
