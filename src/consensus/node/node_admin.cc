// Membership, leadership transfer, status and shutdown.
#include <algorithm>
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "consensus/node/node_impl.h"

namespace cohort::consensus::node {
namespace {

bool Contains(const std::vector<raft::NodeId>& v, raft::NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

Awaitable<absl::Status> NodeImpl::PollUntil(std::function<absl::StatusOr<bool>()> cond,
                                            absl::Time deadline, std::string what) {
  for (;;) {
    absl::StatusOr<bool> done = cond();
    if (!done.ok()) co_return done.status();
    if (*done) co_return absl::OkStatus();
    if (ctx_.clock->Now() >= deadline) {
      co_return absl::DeadlineExceededError(absl::StrCat(what, " did not complete in time"));
    }
    const absl::Time wake = std::min(deadline, ctx_.clock->Now() + options_.tick_interval);
    COHORT_CO_RETURN_IF_ERROR(co_await ctx_.clock->SleepUntil(wake));
  }
}

// Proposes `change` on the leader and waits until it is applied here and
// `done` holds for the resulting configuration.
Awaitable<absl::Status> NodeImpl::ChangeConf(raft::ConfChange change, absl::Time deadline,
                                             std::function<bool(const raft::ConfState&)> done) {
  raft::Index index = 0;
  {
    absl::MutexLock lock(&mu_);
    COHORT_CO_RETURN_IF_ERROR(CheckRunningLocked());
    if (core_->role() != raft::CoreRole::kLeader) co_return NotLeaderLocked("membership change");
    if (done(core_->conf_state())) co_return absl::OkStatus();
    COHORT_CO_ASSIGN_OR_RETURN(raft::LogPosition pos, core_->ProposeConfChange(change));
    index = pos.index;
  }
  Kick();
  std::function<absl::StatusOr<bool>()> applied = [this, index, done]() -> absl::StatusOr<bool> {
    absl::MutexLock lock(&mu_);
    COHORT_RETURN_IF_ERROR(CheckRunningLocked());
    if (applied_ < index) return false;
    if (!done(core_->conf_state())) {
      return absl::AbortedError(absl::StrCat(
          "the membership change at index ", index,
          " was overwritten after a leadership change; check Status() and retry"));
    }
    return true;
  };
  auto wait = PollUntil(std::move(applied), deadline, "membership change");
  co_return co_await std::move(wait);
}

Awaitable<absl::Status> NodeImpl::AddMember(const Member& member, absl::Time deadline) {
  if (member.id == 0 || member.address.empty()) {
    co_return absl::InvalidArgumentError("AddMember needs a non-zero id and an address");
  }
  const raft::NodeId id = member.id;
  {
    absl::MutexLock lock(&mu_);
    COHORT_CO_RETURN_IF_ERROR(CheckRunningLocked());
    addresses_[id] = member.address;
    logged_unknown_.erase(id);
  }
  // The address rides in the entry, so that every member (and one that
  // restarts from its log) can reach the new member before hearing from it.
  raft::ConfChange learner{
      .changes = {{raft::ConfChangeType::kAddLearner, id, member.address}}};
  std::function<bool(const raft::ConfState&)> is_member = [id](const raft::ConfState& c) {
    return Contains(c.learners, id) || Contains(c.voters, id);
  };
  auto add = ChangeConf(std::move(learner), deadline, std::move(is_member));
  COHORT_CO_RETURN_IF_ERROR(co_await std::move(add));
  if (member.learner) co_return absl::OkStatus();
  // Promote only once it holds the log, so that the quorum does not wait.
  std::function<absl::StatusOr<bool>()> caught_up = [this, id]() -> absl::StatusOr<bool> {
    absl::MutexLock lock(&mu_);
    COHORT_RETURN_IF_ERROR(CheckRunningLocked());
    if (Contains(core_->conf_state().voters, id)) return true;
    const raft::Progress* pr = core_->progress(id);
    if (pr == nullptr) return NotLeaderLocked("add member");
    return pr->match >= core_->commit();
  };
  auto catch_up = PollUntil(std::move(caught_up), deadline, "catching up the new member");
  COHORT_CO_RETURN_IF_ERROR(co_await std::move(catch_up));
  raft::ConfChange voter{.changes = {{raft::ConfChangeType::kAddVoter, id, member.address}}};
  std::function<bool(const raft::ConfState&)> is_voter = [id](const raft::ConfState& c) {
    return Contains(c.voters, id) && c.voters_outgoing.empty();
  };
  auto promote = ChangeConf(std::move(voter), deadline, std::move(is_voter));
  co_return co_await std::move(promote);
}

Awaitable<absl::Status> NodeImpl::RemoveMember(std::uint64_t id, absl::Time deadline) {
  raft::ConfChange change{.changes = {{raft::ConfChangeType::kRemoveNode, id}}};
  std::function<bool(const raft::ConfState&)> gone = [id](const raft::ConfState& c) {
    return !Contains(c.voters, id) && !Contains(c.learners, id) &&
           !Contains(c.voters_outgoing, id);
  };
  auto remove = ChangeConf(std::move(change), deadline, std::move(gone));
  co_return co_await std::move(remove);
}

Awaitable<absl::Status> NodeImpl::TransferLeadership(std::uint64_t id, absl::Time deadline) {
  raft::NodeId target = id;
  {
    absl::MutexLock lock(&mu_);
    COHORT_CO_RETURN_IF_ERROR(CheckRunningLocked());
    if (core_->role() != raft::CoreRole::kLeader) co_return NotLeaderLocked("transfer leadership");
    if (target == options_.id) co_return absl::OkStatus();
    if (target == raft::kNoNode) {
      raft::Index best = 0;
      for (raft::NodeId v : core_->conf_state().voters) {
        const raft::Progress* pr = core_->progress(v);
        if (v == options_.id || pr == nullptr || pr->match < best) continue;
        best = pr->match;
        target = v;
      }
      if (target == raft::kNoNode) {
        co_return absl::FailedPreconditionError("transfer leadership: no other voter");
      }
    }
    COHORT_CO_RETURN_IF_ERROR(core_->TransferLeadership(target));
    log_->info("node {} term {}: transferring leadership to {}", options_.id, core_->term(),
               target);
  }
  Kick();
  std::function<absl::StatusOr<bool>()> moved = [this, target]() -> absl::StatusOr<bool> {
    absl::MutexLock lock(&mu_);
    COHORT_RETURN_IF_ERROR(CheckRunningLocked());
    return core_->leader() == target;
  };
  auto wait = PollUntil(std::move(moved), deadline, "leadership transfer");
  co_return co_await std::move(wait);
}

GroupStatus NodeImpl::Status() const {
  absl::MutexLock lock(&mu_);
  GroupStatus s;
  s.id = options_.id;
  if (core_ == nullptr || stopping_ || !failed_.ok()) {
    s.role = Role::kStopped;
    return s;
  }
  const raft::ConfState& conf = core_->conf_state();
  switch (core_->role()) {
    case raft::CoreRole::kFollower: s.role = Role::kFollower; break;
    case raft::CoreRole::kPreCandidate: s.role = Role::kPreCandidate; break;
    case raft::CoreRole::kCandidate: s.role = Role::kCandidate; break;
    case raft::CoreRole::kLeader: s.role = Role::kLeader; break;
  }
  if (Contains(conf.learners, options_.id)) s.role = Role::kLearner;
  s.term = core_->term();
  s.leader = LeaderLocked();
  s.commit_index = core_->commit();
  s.applied_index = applied_;
  s.snapshot_index = snapshot_index_;
  const auto address = [this](raft::NodeId id) {
    auto it = addresses_.find(id);
    return it == addresses_.end() ? std::string() : it->second;
  };
  for (raft::NodeId v : conf.voters) s.members.push_back({v, address(v), false});
  for (raft::NodeId l : conf.learners) s.members.push_back({l, address(l), true});
  if (core_->role() == raft::CoreRole::kLeader) {
    const absl::Time now = ctx_.clock->Now();
    for (const Member& m : s.members) {
      if (m.id == options_.id) continue;
      PeerProgress p{.member = m};
      if (const raft::Progress* pr = core_->progress(m.id)) p.match_index = pr->match;
      if (auto it = last_contact_.find(m.id); it != last_contact_.end()) {
        p.last_contact = now - it->second;
      }
      s.peers.push_back(std::move(p));
    }
  }
  return s;
}

Awaitable<void> NodeImpl::Shutdown() {
  bool running = false;
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || stopping_) co_return;
    stopping_ = true;
    running = core_ != nullptr;
    FailAllWaitersLocked(MarkNotSent(
        absl::UnavailableError(absl::StrCat("raft member ", options_.id, " shut down"))));
  }
  FlushCompletions();
  {
    absl::MutexLock lock(&link_->mu);
    link_->node = nullptr;
  }
  if (running) {
    asio::post(core_strand_, [this] { tick_cancel_.emit(asio::cancellation_type::all); });
    kick_.close();
    apply_kick_.close();
    persist_kick_.close();
    for (int i = 0; i < kLoops; ++i) {
      co_await loops_done_.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
    }
  }
  if (wal_ != nullptr) {
    if (absl::Status s = wal_->Close(); !s.ok()) {
      log_->warn("node {}: closing the log: {}", options_.id, s.ToString());
    }
  }
  log_->info("node {}: shut down", options_.id);
}

}  // namespace cohort::consensus::node
