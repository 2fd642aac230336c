// RaftNodeOptions validation, construction and the factories.
#include <set>
#include <utility>

#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "consensus/node/node_impl.h"
#include "consensus/node/raft_node_internal.h"

namespace cohort::consensus {
namespace {

absl::Status Bad(std::string_view field, std::string_view rule, std::string_view got) {
  return absl::InvalidArgumentError(absl::StrCat(
      "RaftNodeOptions.", absl::string_view(field.data(), field.size()), " must be ",
      absl::string_view(rule.data(), rule.size()), ", got ",
      absl::string_view(got.data(), got.size())));
}

}  // namespace

absl::Status RaftNodeOptions::Validate() const {
  if (id == 0) return Bad("id", "non-zero (this member's stable id)", "0");
  if (cluster_id == 0) return Bad("cluster_id", "non-zero (names the group)", "0");
  if (data_dir.empty()) return Bad("data_dir", "a directory path", "an empty string");
  std::set<std::uint64_t> seen;
  for (const Member& m : members) {
    if (m.id == 0) return Bad("members[].id", "non-zero", "0");
    if (!seen.insert(m.id).second) {
      return Bad("members", "free of duplicate ids", absl::StrCat("id ", m.id, " twice"));
    }
    if (m.address.empty()) {
      return Bad("members[].address", "set (host:port)", absl::StrCat("nothing for id ", m.id));
    }
  }
  if (tick_interval <= absl::ZeroDuration()) {
    return Bad("tick_interval", "> 0", absl::FormatDuration(tick_interval));
  }
  if (heartbeat_ticks < 1) return Bad("heartbeat_ticks", ">= 1", absl::StrCat(heartbeat_ticks));
  if (election_ticks <= heartbeat_ticks) {
    return Bad("election_ticks", absl::StrCat("> heartbeat_ticks (", heartbeat_ticks, ")"),
               absl::StrCat(election_ticks));
  }
  if (lease_reads && !check_quorum) {
    return Bad("check_quorum", "true when lease_reads is set", "false");
  }
  if (lease_reads && election_ticks <= 2) {
    return Bad("election_ticks", "> 2 when lease_reads is set (the lease drift bound is 2)",
               absl::StrCat(election_ticks));
  }
  if (max_proposal_bytes < 1 || max_proposal_bytes > (64u << 20)) {
    return Bad("max_proposal_bytes", "in [1, 64 MiB]", absl::StrCat(max_proposal_bytes));
  }
  if (max_pending_proposals < 1) return Bad("max_pending_proposals", ">= 1", "0");
  if (max_batch_proposals < 1) return Bad("max_batch_proposals", ">= 1", "0");
  if (max_uncommitted_bytes < max_proposal_bytes) {
    return Bad("max_uncommitted_bytes",
               absl::StrCat(">= max_proposal_bytes (", max_proposal_bytes, ")"),
               absl::StrCat(max_uncommitted_bytes));
  }
  if (proposal_timeout <= absl::ZeroDuration()) {
    return Bad("proposal_timeout", "> 0", absl::FormatDuration(proposal_timeout));
  }
  if (send_timeout <= absl::ZeroDuration()) {
    return Bad("send_timeout", "> 0", absl::FormatDuration(send_timeout));
  }
  if (snapshot_threshold < 1) return Bad("snapshot_threshold", ">= 1", "0");
  if (snapshot_bytes < 1) return Bad("snapshot_bytes", ">= 1", "0");
  if (max_inflight_appends < 1) return Bad("max_inflight_appends", ">= 1", "0");
  if (snapshot_chunk_bytes < kMinSnapshotChunkBytes ||
      snapshot_chunk_bytes > kMaxSnapshotChunkBytes) {
    return Bad("snapshot_chunk_bytes",
               absl::StrCat("in [", kMinSnapshotChunkBytes, ", ", kMaxSnapshotChunkBytes,
                            "] (and below the transport's frame limit)"),
               absl::StrCat(snapshot_chunk_bytes));
  }
  if (max_snapshot_bytes < 1) return Bad("max_snapshot_bytes", ">= 1", "0");
  if (wal_segment_bytes < 4096) {
    return Bad("wal_segment_bytes", ">= 4096", absl::StrCat(wal_segment_bytes));
  }
  return absl::OkStatus();
}

namespace node {

NodeImpl::NodeImpl(const Context& ctx, RaftNodeOptions options, transport::Transport& transport,
                   StateMachine& state_machine, wal::FileSystem* fs)
    : ctx_(ctx),
      options_(std::move(options)),
      transport_(transport),
      sm_(state_machine),
      owned_fs_(fs == nullptr ? wal::NewPosixFileSystem() : nullptr),
      fs_(fs == nullptr ? owned_fs_.get() : fs),
      log_(ctx.LoggerOrNull()),
      metrics_(NodeMetrics::Create(ctx.MetricsOrNoop(), options_.cluster_id, options_.id)),
      core_strand_(asio::make_strand(ctx.executor)),
      apply_strand_(asio::make_strand(ctx.executor)),
      persist_strand_(asio::make_strand(options_.disk_executor ? options_.disk_executor
                                                               : ctx.executor)),
      link_(std::make_shared<Link>()),
      kick_(core_strand_, 1),
      apply_kick_(apply_strand_, 1),
      persist_kick_(persist_strand_, 1),
      loops_done_(ctx.executor, kLoops),
      assembler_(options_.max_snapshot_bytes) {
  absl::MutexLock lock(&link_->mu);
  link_->node = this;
}

NodeImpl::~NodeImpl() {
  absl::MutexLock lock(&link_->mu);
  link_->node = nullptr;
}

absl::StatusOr<std::unique_ptr<RaftNode>> NewRaftNodeOnFileSystem(
    const Context& ctx, RaftNodeOptions options, transport::Transport& transport,
    StateMachine& state_machine, wal::FileSystem* fs) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  if (!ctx.executor) return absl::InvalidArgumentError("Context.executor must be set");
  COHORT_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<RaftNode>(
      new NodeImpl(ctx, std::move(options), transport, state_machine, fs));
}

}  // namespace node

absl::StatusOr<std::unique_ptr<RaftNode>> NewRaftNode(const Context& ctx,
                                                      RaftNodeOptions options,
                                                      transport::Transport& transport,
                                                      StateMachine& state_machine) {
  return node::NewRaftNodeOnFileSystem(ctx, std::move(options), transport, state_machine,
                                       nullptr);
}

}  // namespace cohort::consensus
