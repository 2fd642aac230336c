// RaftNode: the embedded ConsensusLog, a Raft replica on local disk that talks
// to its peers through a cohort Transport.
//
//   asio::io_context io;
//   cohort::RealContext real(io.get_executor(), cohort::NewStderrLogger("raft"));
//   auto transport = cohort::transport::TcpTransport::Create(tcp_options, real.context());
//   cohort::consensus::RaftNodeOptions options;
//   options.id = 1;
//   options.cluster_id = 42;
//   options.members = {{1, "127.0.0.1:7001"}, {2, "127.0.0.1:7002"}, {3, "127.0.0.1:7003"}};
//   options.data_dir = "/var/lib/svc/raft";
//   COHORT_ASSIGN_OR_RETURN(auto node, cohort::consensus::NewRaftNode(
//       real.context(), options, **transport, my_state_machine));
//   COHORT_RETURN_IF_ERROR(node->Start());
//   ... co_await node->Propose("command", {});
//   ... co_await node->Shutdown();
//
// Durability: a proposal is acknowledged only after a majority (including the
// leader) has fsynced it and this replica has applied it; every Ready of the
// protocol core is persisted with one write-ahead-log append (group commit),
// so many concurrent proposals share one fsync.
//
// Peers: each Raft message travels as one call of method "raft.Step" (see
// kRaftStepMethod). Members learn each other's addresses from `members`, from
// the membership-change entries of the log (AddMember records the new
// member's address in its entry), from the snapshot (which carries the
// members' addresses) and from the messages they receive (each carries its
// sender's address). So every member, including one that restarts, can reach
// a member added with AddMember before hearing from it. An address in
// `members` wins over the log's for the ids it lists.
//
// Reads: ReadBarrier honours ReadOptions::consistency per call.
// kLinearizable always confirms leadership with a ReadIndex heartbeat round,
// even when leases are enabled. kLease is served from the leader's lease
// (no round) and needs `lease_reads` on the member asked; without it the
// call fails with kFailedPrecondition (not retryable: enable lease_reads or
// ask for kLinearizable). Followers forward the request with its mode to
// the leader, which uses its lease only if it too has `lease_reads` (else it
// takes the round, which is never less safe).
//
// Commands: Propose refuses an empty command (kInvalidArgument): empty
// entries are the leader's no-ops and never reach the StateMachine, nor do
// membership-change entries.
//
// Snapshots: once `snapshot_threshold` entries, or `snapshot_bytes` of
// commands, were applied since the last one, the state machine is
// snapshotted, stored durably in data_dir/snap and the log compacted. The
// entries the core holds in memory are thereby bounded by those two limits
// plus max_uncommitted_bytes. A follower behind the compacted log receives the
// snapshot as a stream of raft.Step calls of `snapshot_chunk_bytes` each,
// one at a time, each with its own deadline; it assembles them (up to
// `max_snapshot_bytes`), checks the whole against the CRC32C the leader
// sent, and only then installs it. A failed or timed-out chunk fails the
// transfer; the leader retries later, and the follower resumes after the
// bytes it already holds.
//
// Metrics (Context::metrics, labelled {cluster, member}):
//   cohort_raft_proposals_total, cohort_raft_proposals_failed_total  counters:
//                                      proposals queued as leader, once answered
//   cohort_raft_proposal_seconds       histogram: Propose to applied result
//   cohort_raft_read_barrier_seconds   histogram: ReadBarrier to readable
//   cohort_raft_leader_changes_total   counter: new leaders this member saw
//   cohort_raft_term, cohort_raft_is_leader, cohort_raft_commit_index,
//   cohort_raft_applied_index          gauges
//   cohort_raft_wal_sync_seconds       histogram: one log append with fsync
//   cohort_raft_wal_batch_entries      histogram: entries per append
//   cohort_raft_snapshots_total        counter: local snapshots + compactions
// Logs carry the member id and term ("node 3 term 7: ...").
//
// Threading: the protocol core runs on a strand of the Context's executor;
// the StateMachine is called from a second strand, so that a slow Apply does
// not delay heartbeats. Log writes and fsyncs run on a third strand, on
// `disk_executor` when set: they block their thread, so a server gives them
// a thread of their own (or the io_context a second thread).
// Every ConsensusLog method may be called from any thread or coroutine.
#ifndef COHORT_CONSENSUS_RAFT_NODE_H_
#define COHORT_CONSENSUS_RAFT_NODE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"
#include "cohort/consensus/consensus_log.h"
#include "cohort/consensus/state_machine.h"
#include "cohort/transport/transport.h"

namespace cohort::consensus {

// The transport method a RaftNode registers for peer messages.
inline constexpr char kRaftStepMethod[] = "raft.Step";

// Bounds of RaftNodeOptions::snapshot_chunk_bytes.
inline constexpr std::uint64_t kMinSnapshotChunkBytes = 64;
inline constexpr std::uint64_t kMaxSnapshotChunkBytes = 8u << 20;

struct RaftNodeOptions {
  // This member's id: unique in the group, stable across restarts, non-zero.
  // Default: 0 (must be set).
  std::uint64_t id = 0;
  // Names the group. Written into the data directory at the first start;
  // a later start with another cluster_id (or another id) is refused, and
  // messages from other clusters are dropped. Non-zero. Default: 0 (must be
  // set).
  std::uint64_t cluster_id = 0;
  // The founding members with their addresses. A node whose data directory
  // is empty bootstraps the group from this list if it is in it (as a voter);
  // otherwise it starts empty and waits to be added by the leader
  // (AddMember). Ignored once the directory holds state, except as an address
  // book. Default: empty (a joining node).
  std::vector<Member> members{};
  // Where the write-ahead log ("wal/") and snapshots ("snap/") live; created
  // if missing. Default: empty (must be set).
  std::string data_dir{};
  // Where the log's writes and fsyncs run; they block the thread that runs
  // them. A server gives them a thread of their own (an io_context run by
  // one thread) so that the threads serving the network never wait for the
  // disk and never hand work to a sleeping thread. Must outlive the node.
  // Default: empty (the Context's executor).
  Executor disk_executor{};

  // The protocol's clock: one tick per interval of the Context's clock.
  // > 0. Default: 100 ms.
  absl::Duration tick_interval = absl::Milliseconds(100);
  // A follower that hears no leader for a random [election_ticks,
  // 2 * election_ticks) ticks campaigns. > heartbeat_ticks. Default: 10.
  int election_ticks = 10;
  // Leader heartbeats every heartbeat_ticks. >= 1. Default: 1.
  int heartbeat_ticks = 1;
  // Pre-vote keeps a member that rejoins after a partition from deposing a
  // healthy leader. Default: true.
  bool pre_vote = true;
  // A leader that has not heard from a quorum for an election timeout steps
  // down. Required by lease_reads. Default: true.
  bool check_quorum = true;
  // Allow ReadBarrier with ReadConsistency::kLease: served from the leader's
  // lease, without a quorum round, assuming clock drift between members
  // below two ticks in an election timeout. kLinearizable reads take the
  // round either way. Default: false (kLease reads fail with
  // kFailedPrecondition).
  bool lease_reads = false;

  // Largest command accepted by Propose; larger ones fail with
  // kInvalidArgument. In [1, 64 MiB]. Default: 1 MiB.
  std::uint64_t max_proposal_bytes = 1u << 20;
  // Proposals accepted but not yet appended to the log (waiting to be
  // batched); more fail with kResourceExhausted, marked not sent. >= 1.
  // Default: 4096.
  std::size_t max_pending_proposals = 4096;
  // Proposals appended to the log per batch (one core step and one fsync).
  // >= 1. Default: 1024.
  std::size_t max_batch_proposals = 1024;
  // Append messages the leader keeps in flight to one follower. Fewer means
  // larger batches per message (and per follower fsync) at the cost of
  // pipelining; >= 1. Default: 256.
  std::uint64_t max_inflight_appends = 256;
  // Uncommitted bytes the leader accepts before Propose fails with
  // kResourceExhausted. >= max_proposal_bytes. Default: 64 MiB.
  std::uint64_t max_uncommitted_bytes = 64u << 20;
  // Bound on Propose, whatever its own deadline. > 0. Default: 10 s.
  // Proposal deadlines are checked on every tick, so a proposal that misses
  // its deadline fails within one tick_interval after it.
  absl::Duration proposal_timeout = absl::Seconds(10);
  // Timeout of one message send to a peer. > 0. Default: 1 s.
  absl::Duration send_timeout = absl::Seconds(1);

  // Snapshot the state machine and compact the log once this many entries
  // have been applied since the last snapshot. >= 1. Default: 10000.
  std::uint64_t snapshot_threshold = 10000;
  // ... or once the commands applied since the last snapshot total this many
  // bytes, whichever comes first. >= 1. Default: 256 MiB.
  std::uint64_t snapshot_bytes = 256ull << 20;
  // A snapshot sent to a lagging follower travels as a stream of calls of at
  // most this many data bytes, each with its own send_timeout. Keep it well
  // below the transport's frame limit. In [kMinSnapshotChunkBytes,
  // kMaxSnapshotChunkBytes]. Default: 1 MiB.
  std::uint64_t snapshot_chunk_bytes = 1u << 20;
  // Largest snapshot this member accepts from a leader; the size is checked
  // before anything is allocated (a larger one is refused with
  // kResourceExhausted, logged, and retried by the leader, so raise it on
  // this member). The whole snapshot is held in memory while it arrives.
  // >= 1. Default: 1 GiB.
  std::uint64_t max_snapshot_bytes = 1ull << 30;
  // Bytes of a write-ahead-log segment file. >= 4096. Default: 64 MiB.
  std::uint64_t wal_segment_bytes = 64ull << 20;

  // OK, or kInvalidArgument naming the first bad field and what to change.
  absl::Status Validate() const;
};

class RaftNode : public ConsensusLog {
 public:
  // Shut the node down (co_await Shutdown()) before destroying it, and let
  // the calls it failed return (run the executor until they have), since
  // they resume on the node. Destroying a started node that was not shut
  // down abandons its coroutines.
  ~RaftNode() override = default;

  // Recovers the log and snapshot from options.data_dir (or bootstraps a new
  // group), registers kRaftStepMethod on the transport and starts ticking.
  // Once. Statuses:
  //   kInvalidArgument     a bad option (the message names it).
  //   kFailedPrecondition  the directory belongs to another cluster or
  //                        member id (use the right directory or an empty
  //                        one), or Start was already called.
  //   kDataLoss            the log or the snapshot it depends on is damaged
  //                        or missing; restore the directory from a backup
  //                        or wipe it and re-add the member (AddMember) so
  //                        that it receives a snapshot from the leader.
  //   kAlreadyExists       the transport already serves kRaftStepMethod.
  //   kInternal            an I/O error.
  virtual absl::Status Start() = 0;

  // Stops ticking and serving, fails waiting calls with kUnavailable, waits
  // for the apply strand and closes the log. Idempotent. The transport is
  // the caller's to shut down (after this).
  virtual Awaitable<void> Shutdown() = 0;
};

// Creates a node; nothing happens until Start(). `transport` and `state_machine`
// are borrowed and must outlive the node; `state_machine` must be empty: the
// node restores it from the latest snapshot and replays the log on Start().
// kInvalidArgument for bad options or a Context without executor or clock.
absl::StatusOr<std::unique_ptr<RaftNode>> NewRaftNode(const Context& ctx,
                                                      RaftNodeOptions options,
                                                      transport::Transport& transport,
                                                      StateMachine& state_machine);

}  // namespace cohort::consensus

#endif  // COHORT_CONSENSUS_RAFT_NODE_H_
