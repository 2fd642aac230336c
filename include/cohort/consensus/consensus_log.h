// ConsensusLog: a replicated log that feeds a StateMachine (seed questions
// 377, 378).
//
// The embedded implementation is Raft: a proposal is appended by the leader,
// replicated to the followers, committed once a majority has it durably, and
// applied to every replica's StateMachine in log order. A minority partition
// can neither elect a leader nor commit; a leader that loses contact with a
// majority steps down (split brain is prevented by quorum, not by timing).
//
// Status codes:
//   kUnavailable        not the leader, no leader known yet, or no quorum.
//                       When this replica knows the leader, LeaderHintOf()
//                       returns it: send the call there. A rejected proposal
//                       that was never appended is marked "not sent" (see
//                       cohort/resilience/status_hints.h), so even a
//                       non-idempotent command may be retried.
//   kDeadlineExceeded   the deadline passed; the command may still commit.
//   kAborted            leadership was lost after the command was appended;
//                       it may or may not commit. Retry only idempotent
//                       commands (or make them idempotent with a request id).
//   kInvalidArgument    a command larger than the configured limit, or a bad
//                       membership change; the message says which.
//   kFailedPrecondition a membership change while another is in progress.
//   kDataLoss           the local log or snapshot is corrupt; the replica
//                       stopped.
//   kCancelled          the awaiting coroutine was cancelled; a proposal
//                       already appended may still commit.
//
// Thread-safety: every method may be called from any thread or coroutine.
#ifndef COHORT_CONSENSUS_CONSENSUS_LOG_H_
#define COHORT_CONSENSUS_CONSENSUS_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::consensus {

// A member of the group.
struct Member {
  // Unique, stable across restarts, non-zero.
  std::uint64_t id = 0;
  // Where peers reach it, e.g. "127.0.0.1:7001".
  std::string address{};
  // Learners receive the log but do not vote or count towards a quorum.
  bool learner = false;
};

// Where to send a call that this replica cannot serve.
struct LeaderHint {
  std::uint64_t id = 0;
  std::string address{};
};

// The leader hint carried by a kUnavailable status, if any.
std::optional<LeaderHint> LeaderHintOf(const absl::Status& status);

// `status` with `hint` attached (for ConsensusLog implementations).
absl::Status WithLeaderHint(absl::Status status, const LeaderHint& hint);

struct ProposeOptions {
  // Default: none (the node's own proposal timeout still applies).
  absl::Time deadline = absl::InfiniteFuture();
};

// The outcome of an applied proposal.
struct Applied {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  // What StateMachine::Apply returned for the entry.
  absl::StatusOr<std::string> result{};
};

enum class ReadConsistency {
  // ReadIndex: confirm leadership with a quorum round, then wait until the
  // local state machine has applied that commit index. Linearizable under any
  // clock behaviour. Followers ask the leader for the index.
  kLinearizable,
  // Lease read: the leader skips the quorum round while its lease holds.
  // An implementation may refuse it with kFailedPrecondition when it was not
  // configured for leases (RaftNode: RaftNodeOptions::lease_reads).
  // Linearizable only if clock drift between replicas stays below the
  // configured bound; cheaper.
  kLease,
};

struct ReadOptions {
  // Default: kLinearizable.
  ReadConsistency consistency = ReadConsistency::kLinearizable;
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
};

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader, kLearner, kStopped };

struct PeerProgress {
  Member member{};
  // Highest index known replicated on the peer.
  std::uint64_t match_index = 0;
  // Time since the leader last heard from the peer.
  absl::Duration last_contact = absl::InfiniteDuration();
};

// What an operator wants to see.
struct GroupStatus {
  std::uint64_t id = 0;
  Role role = Role::kFollower;
  std::uint64_t term = 0;
  std::optional<LeaderHint> leader{};
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t snapshot_index = 0;
  std::vector<Member> members{};
  // Filled on the leader only.
  std::vector<PeerProgress> peers{};
};

class ConsensusLog {
 public:
  virtual ~ConsensusLog() = default;

  // Replicates `command`, waits until this replica has applied it, and returns
  // where it landed with the state machine's result.
  virtual Awaitable<absl::StatusOr<Applied>> Propose(std::string command,
                                                     const ProposeOptions& options) = 0;

  // A read barrier: returns (with the applied index) once this replica's state
  // machine reflects every command committed before the call, so that reading
  // the state machine afterwards observes a state at least that recent.
  virtual Awaitable<absl::StatusOr<std::uint64_t>> ReadBarrier(
      const ReadOptions& options) = 0;

  // Membership, one change at a time. AddMember adds a learner first and
  // promotes it to voter once it has caught up (unless `member.learner`).
  // RemoveMember may remove the leader itself, which then steps down.
  virtual Awaitable<absl::Status> AddMember(const Member& member, absl::Time deadline) = 0;
  virtual Awaitable<absl::Status> RemoveMember(std::uint64_t id, absl::Time deadline) = 0;

  // Hands leadership to `id` (or to the most up-to-date voter if 0).
  virtual Awaitable<absl::Status> TransferLeadership(std::uint64_t id,
                                                     absl::Time deadline) = 0;

  // A consistent snapshot of this replica's status. Never blocks on the
  // network.
  virtual GroupStatus Status() const = 0;
};

}  // namespace cohort::consensus

#endif  // COHORT_CONSENSUS_CONSENSUS_LOG_H_
