// Core: the Raft protocol as a deterministic state machine (the shape of
// etcd-io/raft). No threads, sockets, disk or clock of its own: a driver feeds
// it messages, ticks, proposals and acknowledgements, and carries out the
// work it hands back in a Ready batch. Given the same seed and the same
// inputs it produces the same outputs, which is what the simulation relies on.
//
// THE DRIVER CONTRACT
//
// Loop: feed inputs (Step, Tick, Propose, ...); when HasReady(), take a batch
// with TakeReady() and, for that batch, in this order of durability:
//   1. If `snapshot` is set: make it durable, replacing the whole durable log
//      (every entry, before and after its index), and restore the state
//      machine from it.
//   2. Make `entries` durable. The first entry may have an index at or below
//      the durable last index: drop the durable suffix from that index first
//      (a conflicting suffix written under an older leader).
//   3. Make `hard_state` durable if set (term and vote before any reply that
//      depends on them: that is why replies wait for step 4).
//   4. Only after 1-3 are durable (fsync), send `messages_after_persist`
//      and call OnPersisted(ready.persist_mark).
// Independently of the persist:
//   - Send `messages` at once: they are the leader's appends, heartbeats,
//     snapshots and read answers, which do not depend on its own unsynced
//     state (the leader writes its log in parallel with replication, Raft
//     thesis §10.2.1: it counts itself towards a quorum only once
//     OnPersisted reports its entries durable).
//   - Apply `committed_entries` in order (they are already durable locally)
//     and report progress with OnApplied(index). kConfChange entries take
//     effect in the core when handed out; the state machine skips them.
//   - Answer `read_states`: a read with context C may be served once the
//     state machine has applied `index` (see ReadIndex()).
// Batches must be persisted in the order they were taken. A crash may lose
// any suffix of batches whose persist did not complete; restart with exactly
// what was durable (RestoreState). Everything else the core keeps in memory.
//
// Memory: the core holds the log since the last compaction. Past a threshold
// the driver snapshots the state machine at an applied index, stores the
// snapshot durably, drops the durable entries up to it, and calls
// Compact(index, data); followers behind that index then get the snapshot.
//
// The transport's duties: report a snapshot message's fate with
// ReportSnapshot (the leader sends nothing else to that follower until it
// knows), and a peer that cannot be reached with ReportUnreachable. Large
// snapshots may be streamed in chunks by the driver; the core treats a
// kSnapshot message as one unit.
//
// Membership starts from BootstrapState() on every founding member (written
// durably by the driver before Create). A member added later starts from an
// empty RestoreState and learns the configuration from the leader. A
// configuration takes effect when its entry is handed out in
// committed_entries; one change is in flight at a time. A leader that
// removes (or demotes) itself keeps leading only to hand over: it catches up
// the most up-to-date voter and sends it TimeoutNow (retrying another after
// an election timeout), and steps down when that voter's election starts.
//
// Protocol notes beyond the Raft paper, each found necessary by the
// simulation:
//   - Vote answers carry the voter's (commit index, term); a candidate that
//     holds that entry adopts the commit index. Otherwise a member that
//     missed the commit of a configuration change could need the vote of a
//     removed member whose longer log it can never beat.
//   - With CheckQuorum, votes are refused for an election timeout after
//     hearing from a leader and after starting (a restarted member may have
//     acknowledged a lease before crashing).
//   - Only a leader's message or a granted vote resets the election timer;
//     a higher term alone does not (otherwise members that cannot win keep
//     the one that can from timing out).
//   - A full in-flight window frees one slot per heartbeat answer, so that
//     lost appends cannot stall a follower in kReplicate.
//
// Not thread-safe: one driver strand owns it.
#ifndef COHORT_SRC_CONSENSUS_RAFT_CORE_H_
#define COHORT_SRC_CONSENSUS_RAFT_CORE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/base/random.h"
#include "consensus/raft/message.h"
#include "consensus/raft/progress.h"
#include "consensus/raft/raft_log.h"
#include "consensus/raft/types.h"

namespace cohort::consensus::raft {

struct CoreOptions {
  // This member's id. Default: none (required, non-zero).
  NodeId id = kNoNode;
  // A follower campaigns after a random number of ticks in [election_ticks,
  // 2 * election_ticks). Also the CheckQuorum and stalled-disk window.
  // Default: 10. Must be > heartbeat_ticks.
  int election_ticks = 10;
  // The leader sends heartbeats every heartbeat_ticks. Default: 1.
  int heartbeat_ticks = 1;
  // Ask for votes without raising the term first, so that a partitioned
  // member rejoining cannot depose a healthy leader. Default: true.
  bool pre_vote = true;
  // The leader steps down when a quorum has not answered for an election
  // timeout; followers then ignore votes while they hear from a leader.
  // Default: true.
  bool check_quorum = true;
  // The leader steps down when its own log has had unpersisted entries and
  // no persist progress for election_ticks (a stuck disk). Default: true.
  bool step_down_on_stalled_disk = true;
  // Entry bytes per append message (always at least one entry).
  // Default: 1 MiB.
  std::uint64_t max_message_bytes = 1 << 20;
  // Append messages in flight per follower in kReplicate. Default: 256.
  std::uint64_t max_inflight_messages = 256;
  // Entry bytes in flight per follower; 0 for no limit. Default: 32 MiB.
  std::uint64_t max_inflight_bytes = 32u << 20;
  // Uncommitted entry bytes the leader accepts before Propose answers
  // kResourceExhausted. Default: 64 MiB.
  std::uint64_t max_uncommitted_bytes = 64u << 20;
  // Largest proposal. Default: 8 MiB.
  std::uint64_t max_entry_bytes = 8u << 20;
  // Committed entry bytes handed out per Ready (always at least one entry),
  // so that a restart with a long log does not materialise it at once.
  // Default: 64 MiB.
  std::uint64_t max_apply_bytes = 64u << 20;
  // Allow ReadIndex(context, ReadMode::kLease) to be served from the
  // leader's lease, without a quorum round, while the lease holds (reads in
  // ReadMode::kReadIndex always take the round). ASSUMPTION: between two members, the number of ticks
  // counted during the same real interval differs by less than
  // lease_drift_ticks (ticks are the only clock the core has). Requires
  // check_quorum. Default: false.
  bool lease_reads = false;
  // The lease lasts election_ticks - lease_drift_ticks from the send of a
  // heartbeat round that a quorum acknowledged. Default: 2; in
  // [1, election_ticks).
  int lease_drift_ticks = 2;
  // Seeds the election-timeout randomness. Default: 0.
  std::uint64_t seed = 0;
};

// InvalidArgument naming the field.
absl::Status ValidateCoreOptions(const CoreOptions& options);

// What a member had durably when it (re)started.
struct RestoreState {
  HardState hard_state{};
  // Metadata of the latest durable snapshot (index 0 when none).
  SnapshotMetadata snapshot{};
  // The snapshot's bytes, sent to followers that fall behind the log.
  std::string snapshot_data{};
  // Durable entries after snapshot.index, consecutive.
  std::vector<Entry> entries{};
  // Applied index of the state machine the driver restored (at least
  // snapshot.index); entries after it are handed out again.
  Index applied = 0;
};

// The state every founding member of a new group starts from: entry 1 adds
// `voters`, committed.
RestoreState BootstrapState(const std::vector<NodeId>& voters);

struct Snapshot {
  SnapshotMetadata metadata{};
  std::string data{};
};

// A position in the log, identified by both index and term.
struct LogPosition {
  Term term = 0;
  Index index = 0;
  friend bool operator==(const LogPosition&, const LogPosition&) = default;
};

// How ReadIndex confirms leadership.
enum class ReadMode : std::uint8_t {
  // A heartbeat round acknowledged by a quorum, sent after the request.
  // Linearizable whatever the clocks do.
  kReadIndex,
  // The leader's lease, when this leader allows it (CoreOptions::lease_reads)
  // and the lease holds; otherwise a round as for kReadIndex. Linearizable
  // only under the lease_drift_ticks assumption.
  kLease,
};

// The answer to ReadIndex(context).
struct ReadState {
  std::string context{};
  // Serve the read once the state machine has applied `index`.
  Index index = 0;
  // False when the read could not be confirmed (leadership lost, no
  // leader): retry elsewhere.
  bool ok = true;
};

struct Ready {
  std::optional<HardState> hard_state{};
  std::optional<Snapshot> snapshot{};
  std::vector<Entry> entries{};
  std::vector<Message> messages{};
  std::vector<Message> messages_after_persist{};
  std::vector<Entry> committed_entries{};
  std::vector<ReadState> read_states{};
  // Pass to OnPersisted once steps 1-3 are durable.
  LogPosition persist_mark{};
};

enum class CoreRole { kFollower, kPreCandidate, kCandidate, kLeader };

class Core {
 public:
  static absl::StatusOr<std::unique_ptr<Core>> Create(const CoreOptions& options,
                                                      RestoreState state);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Processes a message from a peer. InvalidArgument for a message not
  // addressed to this member, from no one, or structurally impossible
  // (entries that do not continue the log, a snapshot message without a
  // snapshot): it was ignored; log it and drop the connection. Everything
  // else, including stale terms and unknown senders, is protocol.
  absl::Status Step(const Message& message);

  // Advances the logical clock by one tick.
  void Tick();

  // Appends a command (leader only). Returns where it will land if it
  // commits. kUnavailable: not the leader (leader() hints where to go) or a
  // transfer is in progress; nothing was appended, retry. kResourceExhausted:
  // too many uncommitted bytes; retry after commits catch up.
  // kInvalidArgument: larger than max_entry_bytes.
  absl::StatusOr<LogPosition> Propose(std::string data);

  // Proposes a membership change (leader only). kFailedPrecondition: another
  // change is not applied yet, or leaving/entering joint in the wrong state.
  // kInvalidArgument: the change is invalid (changes several voters without
  // joint consensus, removes every voter). kUnavailable as for Propose.
  absl::StatusOr<LogPosition> ProposeConfChange(const ConfChange& change);

  // Asks for a linearizable read index for `context` (opaque, unique per
  // request). The answer comes as a ReadState in a later Ready: on the leader
  // after a heartbeat round confirms leadership (or at once under a valid
  // lease, for kLease reads on a leader with lease_reads); on a follower via
  // the leader, which is told the mode. kUnavailable: no leader known.
  absl::Status ReadIndex(std::string context, ReadMode mode = ReadMode::kReadIndex);

  // Hands leadership to `target` (leader only): catch it up, then TimeoutNow.
  // Proposals answer kUnavailable meanwhile; aborted after election_ticks.
  // kUnavailable: not the leader. kInvalidArgument: not a voter.
  absl::Status TransferLeadership(NodeId target);

  // The transport could not reach `peer`: stop pipelining to it.
  void ReportUnreachable(NodeId peer);
  // The snapshot sent to `peer` was delivered (`ok`) or failed.
  void ReportSnapshot(NodeId peer, bool ok);

  // Batch `mark` (and all before it) is durable.
  void OnPersisted(LogPosition mark);
  // The state machine has applied every entry up to `index`.
  void OnApplied(Index index);

  // Drops entries up to `index` from memory after the driver durably stored a
  // state machine snapshot taken at `index` (`data` is sent to lagging
  // followers). FailedPrecondition unless snapshot index < index <= applied.
  absl::Status Compact(Index index, std::string data);

  bool HasReady() const;
  Ready TakeReady();

  NodeId id() const { return options_.id; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return lead_; }
  CoreRole role() const { return role_; }
  Index commit() const { return commit_; }
  Index applied() const { return applied_; }
  Index persisted_index() const { return persisted_index_; }
  const RaftLog& log() const { return log_; }
  const ConfState& conf_state() const { return conf_; }
  const SnapshotMetadata& snapshot_metadata() const { return snapshot_meta_; }
  // The leader's view of `peer`, or null.
  const Progress* progress(NodeId peer) const;
  NodeId transfer_target() const { return lead_transferee_; }

 private:
  struct PendingRead {
    std::string context;
    NodeId from = kNoNode;
    Index index = 0;
    std::uint64_t round = 0;
    // The requester accepts an answer from the lease.
    bool lease = false;
  };

  explicit Core(const CoreOptions& options);

  // core.cc: terms, roles, elections.
  void BecomeFollower(Term term, NodeId lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Campaign(bool pre_vote, bool transfer);
  bool Promotable() const;
  bool HasUnappliedConfChange() const;
  void ResetTimers();
  void StepVoteRequest(const Message& m);
  void StepCandidate(const Message& m);
  void StepFollower(const Message& m);
  void TickElection();
  void TickLeader();
  void Send(Message m);
  QuorumConfig Quorum() const;

  // core_replication.cc: the log on both sides.
  void StepLeader(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  void HandleAppendResp(const Message& m);
  bool SendAppend(NodeId to, bool send_if_empty);
  void SendSnapshot(NodeId to);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  bool MaybeCommit();
  Index AppendToLog(std::vector<Entry> entries);
  Index AckedBy(NodeId id) const;
  void AppendLocal(EntryType type, std::string data);

  // core_read.cc: read index, lease, leadership transfer.
  void ServeRead(std::string context, NodeId from, bool lease);
  void ReleaseRead(std::string context, NodeId from, Index index, bool ok);
  void AdvanceReads();
  bool LeaseValid() const;
  bool CommittedInCurrentTerm() const;
  void FailPendingReads();
  void SendTimeoutNow(NodeId to);

  // core_conf.cc: membership.
  void ApplyConf(Index index, const ConfState& conf);
  void RebuildProgress();
  void MaybeAutoLeave();
  void HandOver();

  CoreOptions options_;
  Random random_;

  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId lead_ = kNoNode;
  CoreRole role_ = CoreRole::kFollower;

  RaftLog log_;
  Index commit_ = 0;
  // Handed out for applying (conf changes take effect here).
  Index released_ = 0;
  // Acknowledged applied by the driver.
  Index applied_ = 0;
  Index persisted_index_ = 0;
  // The first entry not yet handed out in a Ready.
  Index unsaved_from_ = 1;
  HardState saved_hard_state_{};
  SnapshotMetadata snapshot_meta_{};
  std::string snapshot_data_;
  std::optional<Snapshot> pending_install_;

  ConfState conf_;
  // Configurations after snapshot_meta_.index, by the index that set them.
  std::vector<std::pair<Index, ConfState>> conf_history_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
  Index pending_conf_index_ = 0;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  int transfer_elapsed_ = 0;
  int stall_ticks_ = 0;
  // Votes are refused for an election timeout after start, as after a
  // heartbeat: the member may have acknowledged a lease before restarting.
  bool start_guard_ = true;
  std::uint64_t ticks_ = 0;
  NodeId lead_transferee_ = kNoNode;
  // A TimeoutNow may arrive arbitrarily late and force an election past the
  // voters' lease checks, so a leader that sent one serves no lease reads
  // for the rest of its term.
  bool timeout_now_sent_ = false;
  std::uint64_t uncommitted_bytes_ = 0;
  bool pending_broadcast_ = false;

  std::uint64_t round_ = 0;
  std::map<std::uint64_t, std::uint64_t> round_sent_tick_;
  std::deque<PendingRead> pending_reads_;
  std::deque<PendingRead> reads_awaiting_commit_;
  std::vector<ReadState> read_states_;

  std::vector<Message> msgs_;
  std::vector<Message> msgs_after_persist_;
};

const char* CoreRoleName(CoreRole role);

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_CORE_H_
