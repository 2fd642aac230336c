// The RaftNode implementation: the asio driver around raft::Core.
//
// Four coroutines:
//   - the ticker (core strand) feeds Core::Tick from the injected clock and
//     expires proposals past their deadline;
//   - the driver (core strand) batches queued proposals into the core, takes
//     each Ready, sends `messages` at once and queues the rest for the
//     persister, then takes the next Ready without waiting for the disk;
//   - the persister (persist strand) writes every queued batch with one
//     Wal::Append (group commit across Readies), then sends their
//     `messages_after_persist` and reports them durable; it also stores
//     snapshots (received or local) and compacts the log, so the WAL has one
//     writer;
//   - the applier (apply strand) restores and applies the state machine and
//     completes proposals and read barriers.
// They share the core and the bookkeeping under `mu_`; the core itself is
// never touched without it. Disk and state-machine calls run outside the lock.
#ifndef COHORT_SRC_CONSENSUS_NODE_NODE_IMPL_H_
#define COHORT_SRC_CONSENSUS_NODE_NODE_IMPL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <asio/experimental/concurrent_channel.hpp>
#include <asio/strand.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/status.h"
#include "cohort/consensus/raft_node.h"
#include "consensus/node/node_metrics.h"
#include "consensus/node/node_wire.h"
#include "consensus/node/snapshot_assembler.h"
#include "consensus/raft/core.h"
#include "consensus/wal/file_system.h"
#include "consensus/wal/snapshot_store.h"
#include "consensus/wal/wal.h"

namespace cohort::consensus::node {

using ProposeResult = absl::StatusOr<Applied>;
using ReadResult = absl::StatusOr<std::uint64_t>;
using ProposeChannel =
    asio::experimental::concurrent_channel<void(asio::error_code, ProposeResult)>;
using ReadChannel = asio::experimental::concurrent_channel<void(asio::error_code, ReadResult)>;
// (asio 1.22 cannot instantiate a channel of void(error_code) alone.)
using KickChannel = asio::experimental::concurrent_channel<void(asio::error_code, bool)>;

// Lets transport handlers and send completions, which may outlive the node,
// reach it while it exists.
class NodeImpl;
struct Link {
  absl::Mutex mu;
  NodeImpl* node ABSL_GUARDED_BY(mu) = nullptr;
};

// The ticker, driver, applier and persister each report once when they end.
inline constexpr int kLoops = 4;

class NodeImpl final : public RaftNode {
 public:
  // `fs` null: the node owns a POSIX file system.
  NodeImpl(const Context& ctx, RaftNodeOptions options, transport::Transport& transport,
           StateMachine& state_machine, wal::FileSystem* fs);
  ~NodeImpl() override;

  absl::Status Start() override;
  Awaitable<void> Shutdown() override;
  Awaitable<absl::StatusOr<Applied>> Propose(std::string command,
                                             const ProposeOptions& options) override;
  Awaitable<absl::StatusOr<std::uint64_t>> ReadBarrier(const ReadOptions& options) override;
  Awaitable<absl::Status> AddMember(const Member& member, absl::Time deadline) override;
  Awaitable<absl::Status> RemoveMember(std::uint64_t id, absl::Time deadline) override;
  Awaitable<absl::Status> TransferLeadership(std::uint64_t id, absl::Time deadline) override;
  GroupStatus Status() const override;

  // From the transport (node_driver.cc): one peer message.
  absl::Status Deliver(std::string_view request);
  // A send finished (node_transport.cc); for a snapshot, its whole stream.
  void OnSendResult(raft::NodeId to, bool snapshot, const absl::Status& status);
  // For a stream of the snapshot at `index` to `to` started in `term`
  // (node_transport.cc): the deadline of its next chunk, or nullopt when the
  // stream is no longer wanted (leadership lost, the peer no longer waits for
  // this snapshot, or the node is stopping): stop without reporting.
  std::optional<absl::Time> NextChunkDeadline(raft::NodeId to, raft::Term term,
                                              raft::Index index);

 private:
  // Proposal deadlines are enforced by the ticker (ExpireProposalsLocked),
  // not by a timer per call: a timer and a racing coroutine per proposal
  // cost more CPU than the rest of the proposal's path on the leader.
  struct Waiter {
    raft::Term term = 0;
    std::shared_ptr<ProposeChannel> done;
    absl::Time deadline = absl::InfiniteFuture();
  };
  struct PendingProposal {
    std::string data;
    std::shared_ptr<ProposeChannel> done;
    absl::Time deadline = absl::InfiniteFuture();
  };
  struct ReadWaiter {
    std::shared_ptr<ReadChannel> done;
    // Known once the core answered; serve when applied reaches it.
    std::optional<raft::Index> index;
  };
  struct ApplyItem {
    std::optional<raft::Snapshot> snapshot;
    std::vector<raft::Entry> entries;
  };
  // One Ready's share of the disk work, in the order the core handed it out.
  struct PersistJob {
    std::optional<raft::Snapshot> snapshot;
    std::vector<raft::Entry> entries;
    std::optional<raft::HardState> hard_state;
    std::vector<raft::Message> after;
    raft::LogPosition mark;
  };
  struct Compaction {
    raft::Index index = 0;
    std::string data;
  };

  // node_start.cc
  absl::Status OpenStorage(raft::RestoreState* state);
  absl::Status LoadSnapshot(raft::RestoreState* state);
  absl::Status RestoreStateMachine(const std::string& data);
  raft::CoreOptions CoreOptionsFor() const;

  // node_driver.cc
  Awaitable<void> TickLoop();
  Awaitable<void> DriveLoop();
  void Kick();
  void KickPersist();
  void ProcessReadies();
  Awaitable<void> PersistLoop();
  // Makes `jobs` durable in order: contiguous entries of consecutive jobs
  // share one Wal::Append (one fsync).
  absl::Status PersistJobs(std::deque<PersistJob>& jobs);
  void DrainProposalsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Completes proposals whose deadline is at or before `now` with
  // kDeadlineExceeded (queued ones, never appended, are marked not sent).
  void ExpireProposalsLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleReadStatesLocked(std::vector<raft::ReadState> states)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveSnapshot(const raft::SnapshotMetadata& meta, const std::string& data);
  absl::Status RunCompaction();
  void SendMessages(std::vector<raft::Message> messages);
  // node_transport.cc
  // Takes the chunk out of `envelope`.
  absl::Status DeliverChunkLocked(Envelope& envelope) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Address book: what conf-change entries and snapshots say (never this
  // member's own address, nor one listed in options_.members).
  void LearnAddressLocked(raft::NodeId id, std::string_view address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LearnAddressesLocked(const std::vector<raft::Entry>& entries)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The addresses of the current configuration's members, for a snapshot.
  std::map<raft::NodeId, std::string> MemberAddressesLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(const absl::Status& status);
  void LoopDone();

  // node_apply.cc
  Awaitable<void> ApplyLoop();
  absl::Status ApplyItemNow(ApplyItem item);
  void ReleaseReadsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeSnapshot();

  // node_api.cc
  absl::Status NotLeaderLocked(std::string_view what) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckRunningLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<LeaderHint> LeaderLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IsMemberLocked(raft::NodeId id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Polls `cond` every tick until it yields true, an error, or `deadline`.
  Awaitable<absl::Status> PollUntil(std::function<absl::StatusOr<bool>()> cond,
                                    absl::Time deadline, std::string what);
  Awaitable<absl::Status> ChangeConf(raft::ConfChange change, absl::Time deadline,
                                     std::function<bool(const raft::ConfState&)> done);
  void FailAllWaitersLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Completing a waiter may resume its coroutine inline (when it runs on the
  // calling thread's executor), so completions are queued under mu_ and
  // delivered by FlushCompletions() once mu_ is released.
  void CompleteLocked(const std::shared_ptr<ProposeChannel>& done, ProposeResult result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteLocked(const std::shared_ptr<ReadChannel>& done, ReadResult result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushCompletions() ABSL_LOCKS_EXCLUDED(mu_);

  const Context ctx_;
  const RaftNodeOptions options_;
  transport::Transport& transport_;
  StateMachine& sm_;
  std::unique_ptr<wal::FileSystem> owned_fs_;
  wal::FileSystem* fs_;
  LoggerPtr log_;
  const NodeMetrics metrics_;
  asio::strand<Executor> core_strand_;
  asio::strand<Executor> apply_strand_;
  asio::strand<Executor> persist_strand_;
  std::shared_ptr<Link> link_;
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<wal::SnapshotStore> store_;
  KickChannel kick_;
  KickChannel apply_kick_;
  KickChannel persist_kick_;
  KickChannel loops_done_;
  asio::cancellation_signal tick_cancel_;

  mutable absl::Mutex mu_;
  std::unique_ptr<raft::Core> core_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::map<raft::NodeId, std::string> addresses_ ABSL_GUARDED_BY(mu_);
  std::map<raft::NodeId, absl::Time> last_contact_ ABSL_GUARDED_BY(mu_);
  std::set<raft::NodeId> logged_unknown_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingProposal> pending_proposals_ ABSL_GUARDED_BY(mu_);
  std::map<raft::Index, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::uint64_t next_read_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, ReadWaiter> reads_ ABSL_GUARDED_BY(mu_);
  std::deque<ApplyItem> apply_queue_ ABSL_GUARDED_BY(mu_);
  std::deque<PersistJob> persist_queue_ ABSL_GUARDED_BY(mu_);
  // Applied by the state machine (the core learns it through OnApplied).
  raft::Index applied_ ABSL_GUARDED_BY(mu_) = 0;
  raft::Index snapshot_index_ ABSL_GUARDED_BY(mu_) = 0;
  // Command bytes applied since the last snapshot was captured.
  std::uint64_t applied_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<Compaction> compaction_ ABSL_GUARDED_BY(mu_);
  bool snapshot_in_progress_ ABSL_GUARDED_BY(mu_) = false;
  raft::CoreRole last_role_ ABSL_GUARDED_BY(mu_) = raft::CoreRole::kFollower;
  raft::NodeId last_leader_ ABSL_GUARDED_BY(mu_) = raft::kNoNode;
  std::vector<std::function<void()>> completions_ ABSL_GUARDED_BY(mu_);
  // The snapshot being received in chunks.
  SnapshotAssembler assembler_ ABSL_GUARDED_BY(mu_);
  // Snapshot streams refused for size, logged once per (peer, index).
  std::set<std::pair<raft::NodeId, raft::Index>> logged_refusals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_NODE_IMPL_H_
