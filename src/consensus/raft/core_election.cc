// Core: terms and roles, elections (PreVote, CheckQuorum, leases on votes),
// message dispatch and ticks.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "consensus/raft/core.h"

namespace cohort::consensus::raft {

QuorumConfig Core::Quorum() const { return {conf_.voters, conf_.voters_outgoing}; }

bool Core::Promotable() const {
  return Quorum().IsVoter(options_.id) && pending_install_ == std::nullopt;
}

bool Core::HasUnappliedConfChange() const {
  for (Index i = std::max(released_ + 1, log_.FirstIndex()); i <= commit_; ++i) {
    if (log_.At(i).type == EntryType::kConfChange) return true;
  }
  return false;
}

void Core::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  randomized_timeout_ =
      options_.election_ticks + static_cast<int>(random_.Uniform(options_.election_ticks));
  votes_.clear();
  lead_transferee_ = kNoNode;
  transfer_elapsed_ = 0;
  stall_ticks_ = 0;
}

void Core::BecomeFollower(Term term, NodeId lead) {
  if (role_ == CoreRole::kLeader) FailPendingReads();
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  role_ = CoreRole::kFollower;
  lead_ = lead;
  ResetTimers();
}

void Core::BecomePreCandidate() {
  // The term does not change: a pre-vote only asks whether an election
  // could be won.
  role_ = CoreRole::kPreCandidate;
  lead_ = kNoNode;
  ResetTimers();
}

void Core::BecomeCandidate() {
  term_ += 1;
  vote_ = options_.id;
  role_ = CoreRole::kCandidate;
  lead_ = kNoNode;
  ResetTimers();
}

void Core::BecomeLeader() {
  role_ = CoreRole::kLeader;
  lead_ = options_.id;
  ResetTimers();
  start_guard_ = false;
  uncommitted_bytes_ = 0;
  round_ = 0;
  round_sent_tick_.clear();
  timeout_now_sent_ = false;
  for (auto& [id, pr] : progress_) {
    const bool learner = pr.learner;
    pr = Progress{};
    pr.learner = learner;
    pr.next = log_.LastIndex() + 1;
    pr.recent_active = (id == options_.id);
  }
  // Any configuration change not yet applied might still be in the log.
  pending_conf_index_ = log_.LastIndex();
  // The no-op: entries of earlier terms commit only with one of this term.
  AppendLocal(EntryType::kNormal, std::string());
}

void Core::Campaign(bool pre_vote, bool transfer) {
  if (pre_vote) {
    BecomePreCandidate();
  } else {
    BecomeCandidate();
  }
  start_guard_ = false;
  const Term term = pre_vote ? term_ + 1 : term_;
  votes_[options_.id] = true;
  const VoteResult result = Quorum().Tally(votes_);
  if (result == VoteResult::kWon) {
    if (pre_vote) {
      Campaign(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  std::vector<NodeId> voters = conf_.voters;
  voters.insert(voters.end(), conf_.voters_outgoing.begin(), conf_.voters_outgoing.end());
  std::sort(voters.begin(), voters.end());
  voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
  for (NodeId id : voters) {
    if (id == options_.id) continue;
    Message m{.type = pre_vote ? MessageType::kPreVote : MessageType::kVote,
              .to = id,
              .term = term,
              .log_term = log_.LastTerm(),
              .index = log_.LastIndex()};
    if (transfer) m.context = kTransferContext;
    Send(std::move(m));
  }
}

void Core::Send(Message m) {
  m.from = options_.id;
  if (m.term == 0) m.term = term_;
  const bool leader_traffic =
      role_ == CoreRole::kLeader &&
      (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
       m.type == MessageType::kSnapshot || m.type == MessageType::kTimeoutNow ||
       m.type == MessageType::kReadIndexResp);
  // A follower's forwarded read does not depend on its own durable state.
  if (leader_traffic || m.type == MessageType::kReadIndex) {
    msgs_.push_back(std::move(m));
  } else {
    msgs_after_persist_.push_back(std::move(m));
  }
}

absl::Status Core::Step(const Message& m) {
  if (m.to != options_.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("message for member ", m.to, " delivered to member ", options_.id));
  }
  if (m.from == kNoNode) return absl::InvalidArgumentError("message from member 0");
  if (m.type == MessageType::kAppend) {
    // Everything below relies on entries that continue the log at index + 1
    // and that no leader wrote in a term after its own.
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
      if (m.entries[i].index != m.index + 1 + i || m.entries[i].term > m.term) {
        return absl::InvalidArgumentError(absl::StrCat(
            "append from member ", m.from, " carries entry ", m.entries[i].index, " of term ",
            m.entries[i].term, " at position ", i, " after index ", m.index, " in term ",
            m.term));
      }
    }
  }
  if (m.type == MessageType::kSnapshot && !m.snapshot.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot message from member ", m.from, " without a snapshot"));
  }
  if ((m.type == MessageType::kVoteResp || m.type == MessageType::kPreVoteResp) &&
      m.index > commit_ && log_.MatchTerm(m.index, m.log_term)) {
    // The voter knows entry (index, log_term) committed and we hold the same
    // entry, hence the same prefix: it is committed for us too, whatever the
    // terms. Without this, a candidate that missed the commit of a
    // configuration change could need the vote of a removed member whose
    // longer log it can never beat.
    commit_ = m.index;
  }
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      const bool forced = m.context == kTransferContext;
      const bool in_lease = options_.check_quorum &&
                            (lead_ != kNoNode || start_guard_) &&
                            election_elapsed_ < options_.election_ticks;
      // Someone who cannot reach the leader must not depose it while a
      // quorum can (and leader leases rely on this refusal).
      if (!forced && in_lease) return absl::OkStatus();
    }
    if (m.type == MessageType::kPreVote ||
        (m.type == MessageType::kPreVoteResp && !m.reject)) {
      // Pre-votes are about a future term; nobody changes term for them.
    } else if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnapshot) {
      BecomeFollower(m.term, m.from);
    } else {
      // Raft §5.2 resets the election timer only for a leader's message or a
      // granted vote. Resetting it for every higher term would let members
      // that cannot win (shorter logs) keep the one that can from ever
      // timing out, by campaigning in turn.
      const int elapsed = election_elapsed_;
      const int timeout = randomized_timeout_;
      const bool was_leader = role_ == CoreRole::kLeader;
      BecomeFollower(m.term, kNoNode);
      if (!was_leader) {
        election_elapsed_ = elapsed;
        randomized_timeout_ = timeout;
      }
    }
  } else if (m.term < term_) {
    if ((options_.check_quorum || options_.pre_vote) &&
        (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
      // Tell a stale leader about the newer term so that it steps down; with
      // pre-vote it could otherwise never learn it.
      Send({.type = MessageType::kAppendResp, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      Send({.type = MessageType::kPreVoteResp, .to = m.from, .reject = true});
    }
    return absl::OkStatus();
  }
  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    StepVoteRequest(m);
    return absl::OkStatus();
  }
  switch (role_) {
    case CoreRole::kLeader: StepLeader(m); break;
    case CoreRole::kCandidate:
    case CoreRole::kPreCandidate: StepCandidate(m); break;
    case CoreRole::kFollower: StepFollower(m); break;
  }
  return absl::OkStatus();
}

void Core::StepVoteRequest(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  const bool can_vote = vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) ||
                        (pre && m.term > term_);
  const MessageType resp = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    // A granted pre-vote answers in the term asked about, so that the
    // pre-candidate counts it.
    Send({.type = resp, .to = m.from, .term = m.term, .log_term = *log_.TermAt(commit_),
          .index = commit_});
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    Send({.type = resp, .to = m.from, .term = term_, .log_term = *log_.TermAt(commit_),
          .index = commit_, .reject = true});
  }
}

void Core::StepCandidate(const Message& m) {
  const MessageType resp =
      role_ == CoreRole::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      BecomeFollower(m.term, m.from);
      StepFollower(m);
      return;
    default: break;
  }
  if (m.type != resp) return;
  votes_.emplace(m.from, !m.reject);
  switch (Quorum().Tally(votes_)) {
    case VoteResult::kWon:
      if (role_ == CoreRole::kPreCandidate) {
        Campaign(false, false);
      } else {
        BecomeLeader();
        BroadcastAppend();
      }
      break;
    case VoteResult::kLost: BecomeFollower(term_, kNoNode); break;
    case VoteResult::kPending: break;
  }
}

void Core::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      break;
    case MessageType::kTimeoutNow:
      // Leadership transfer: campaign at once, skipping the pre-vote (the
      // old leader stepped aside deliberately).
      if (Promotable()) Campaign(false, true);
      break;
    case MessageType::kReadIndexResp:
      read_states_.push_back({m.context, m.index, !m.reject});
      break;
    case MessageType::kReadIndex:
      // Only the leader serves reads for others; say so.
      Send({.type = MessageType::kReadIndexResp, .to = m.from, .reject = true,
            .context = m.context});
      break;
    default: break;
  }
}

void Core::Tick() {
  ++ticks_;
  if (role_ == CoreRole::kLeader) {
    TickLeader();
  } else {
    TickElection();
  }
}

void Core::TickElection() {
  ++election_elapsed_;
  if (election_elapsed_ >= options_.election_ticks) start_guard_ = false;
  // A non-voter keeps counting: past an election timeout without a leader
  // it must not refuse votes as if it had heard from one.
  if (election_elapsed_ >= randomized_timeout_ && Promotable()) {
    election_elapsed_ = 0;
    // A member whose committed configuration changes are not applied yet
    // may not know whether it is still a voter.
    if (!HasUnappliedConfChange()) {
      Campaign(options_.pre_vote, false);
    } else {
      ResetTimers();
    }
  }
}

void Core::TickLeader() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (lead_transferee_ != kNoNode && ++transfer_elapsed_ >= options_.election_ticks) {
    lead_transferee_ = kNoNode;
    transfer_elapsed_ = 0;
    // A removed leader only stays to hand over.
    if (!Quorum().IsVoter(options_.id)) HandOver();
  }
  if (log_.LastIndex() > persisted_index_) {
    ++stall_ticks_;
  } else {
    stall_ticks_ = 0;
  }
  if (options_.step_down_on_stalled_disk && stall_ticks_ >= options_.election_ticks) {
    BecomeFollower(term_, kNoNode);
    return;
  }
  if (election_elapsed_ >= options_.election_ticks) {
    election_elapsed_ = 0;
    if (options_.check_quorum) {
      const bool active = Quorum().QuorumSatisfies([this](NodeId id) {
        if (id == options_.id) return true;
        auto it = progress_.find(id);
        return it != progress_.end() && it->second.recent_active;
      });
      for (auto& [id, pr] : progress_) pr.recent_active = (id == options_.id);
      if (!active) {
        BecomeFollower(term_, kNoNode);
        return;
      }
    }
  }
  if (heartbeat_elapsed_ >= options_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
  MaybeAutoLeave();
}

}  // namespace cohort::consensus::raft
