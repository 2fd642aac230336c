// Peer messages: sending Ready messages as one-way raft.Step messages
// (snapshots as a stream of acknowledged chunk calls), delivering received
// ones to the core, and the address book.
#include <spdlog/logger.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/crc32c.h"
#include "consensus/node/node_impl.h"
#include "consensus/node/node_wire.h"
#include "consensus/raft/message_codec.h"

namespace cohort::consensus::node {
namespace {

struct Outgoing {
  raft::NodeId to = raft::kNoNode;
  std::string address;
  std::string body;
};

// A snapshot to stream: the kSnapshot message without its data, and the data.
struct OutgoingSnapshot {
  raft::NodeId to = raft::kNoNode;
  std::string address{};
  std::string self{};
  std::uint64_t cluster_id = 0;
  std::uint64_t chunk_bytes = 0;
  raft::Message header{};
  std::string data{};
};

// One chunk at a time, so that a follower assembles in order and the
// leader's memory holds one encoded chunk beside the snapshot.
Awaitable<void> StreamSnapshot(std::shared_ptr<Link> link, transport::Transport& transport,
                               OutgoingSnapshot out) {
  const std::uint64_t total = out.data.size();
  SnapshotChunk chunk{.total_bytes = total, .crc32c = crc32c::Value(out.data)};
  absl::Status status;
  do {
    std::optional<absl::Time> deadline;
    {
      absl::MutexLock lock(&link->mu);
      if (link->node == nullptr) co_return;
      deadline = link->node->NextChunkDeadline(out.to, out.header.term, out.header.snapshot->index);
    }
    if (!deadline.has_value()) co_return;
    const std::uint64_t n = std::min<std::uint64_t>(out.chunk_bytes, total - chunk.offset);
    chunk.data.assign(out.data, chunk.offset, n);
    std::string body = EncodeSnapshotChunk(out.cluster_id, out.self, out.header, chunk);
    transport::CallOptions options;
    options.deadline = *deadline;
    auto result = co_await transport.Call(out.address, kRaftStepMethod, std::move(body), options);
    status = result.status();
    chunk.offset += n;
  } while (status.ok() && chunk.offset < total);
  absl::MutexLock lock(&link->mu);
  if (link->node == nullptr) co_return;
  link->node->OnSendResult(out.to, /*snapshot=*/true, status);
}

}  // namespace

void NodeImpl::SendMessages(std::vector<raft::Message> messages) {
  if (messages.empty()) return;
  std::vector<Outgoing> outgoing;
  std::vector<OutgoingSnapshot> snapshots;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const std::string& self = addresses_[options_.id];
    for (raft::Message& m : messages) {
      auto it = addresses_.find(m.to);
      if (it == addresses_.end()) {
        if (logged_unknown_.insert(m.to).second) {
          log_->warn("node {} term {}: no address for peer {}; its messages are dropped",
                     options_.id, core_->term(), m.to);
        }
        core_->ReportUnreachable(m.to);
        if (m.type == raft::MessageType::kSnapshot) core_->ReportSnapshot(m.to, false);
        continue;
      }
      if (m.type == raft::MessageType::kSnapshot) {
        OutgoingSnapshot s{.to = m.to,
                           .address = it->second,
                           .self = self,
                           .cluster_id = options_.cluster_id,
                           .chunk_bytes = options_.snapshot_chunk_bytes};
        s.data = std::move(m.snapshot_data);
        m.snapshot_data.clear();
        s.header = std::move(m);
        snapshots.push_back(std::move(s));
        continue;
      }
      outgoing.push_back({m.to, it->second, EncodeEnvelope(options_.cluster_id, self, m)});
    }
  }
  // One-way: Raft's answers are messages of their own, so a transport-level
  // response would only cost a frame and a pending call per message. A
  // message lost after it was queued is covered by the core's retries.
  transport::CallOptions options;
  options.deadline = ctx_.clock->Now() + options_.send_timeout;
  for (Outgoing& out : outgoing) {
    absl::Status sent = transport_.Send(out.address, kRaftStepMethod, std::move(out.body), options);
    if (!sent.ok()) OnSendResult(out.to, /*snapshot=*/false, sent);
  }
  for (OutgoingSnapshot& s : snapshots) {
    log_->debug(
        "node {}: streaming the snapshot at index {} ({} bytes) to peer {} in chunks of "
        "{} bytes",
        options_.id, s.header.snapshot->index, s.data.size(), s.to, s.chunk_bytes);
    asio::co_spawn(ctx_.executor, StreamSnapshot(link_, transport_, std::move(s)), asio::detached);
  }
}

std::optional<absl::Time> NodeImpl::NextChunkDeadline(raft::NodeId to, raft::Term term,
                                                      raft::Index index) {
  absl::MutexLock lock(&mu_);
  if (core_ == nullptr || stopping_ || !failed_.ok()) return std::nullopt;
  if (core_->role() != raft::CoreRole::kLeader || core_->term() != term) return std::nullopt;
  const raft::Progress* pr = core_->progress(to);
  if (pr == nullptr || pr->state != raft::ProgressState::kSnapshot ||
      pr->pending_snapshot != index) {
    return std::nullopt;
  }
  return ctx_.clock->Now() + options_.send_timeout;
}

void NodeImpl::OnSendResult(raft::NodeId to, bool snapshot, const absl::Status& status) {
  if (!snapshot && status.ok()) return;  // The common case: nothing to report.
  absl::MutexLock lock(&mu_);
  if (core_ == nullptr || stopping_) return;
  if (snapshot) {
    core_->ReportSnapshot(to, status.ok());
    if (status.code() == absl::StatusCode::kResourceExhausted) {
      const raft::Index index = core_->snapshot_metadata().index;
      if (logged_refusals_.insert({to, index}).second) {
        log_->warn("node {} term {}: peer {} refused the snapshot at index {}: {}", options_.id,
                   core_->term(), to, index, status.ToString());
      }
    } else if (status.ok()) {
      log_->info("node {} term {}: peer {} received the snapshot at index {}", options_.id,
                 core_->term(), to, core_->snapshot_metadata().index);
    } else {
      log_->info("node {} term {}: snapshot to peer {} failed (retried later): {}", options_.id,
                 core_->term(), to, status.ToString());
    }
  }
  if (!status.ok()) {
    log_->debug("node {} term {}: send to peer {} failed: {}", options_.id, core_->term(), to,
                status.ToString());
    core_->ReportUnreachable(to);
  }
  if (snapshot || !status.ok()) Kick();
}

bool NodeImpl::IsMemberLocked(raft::NodeId id) const {
  const raft::ConfState& c = core_->conf_state();
  const auto in = [id](const std::vector<raft::NodeId>& v) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  if (in(c.voters) || in(c.learners) || in(c.voters_outgoing) || in(c.learners_next)) return true;
  // A member still waiting to be added knows no configuration yet.
  return c.voters.empty() && c.voters_outgoing.empty();
}

void NodeImpl::LearnAddressLocked(raft::NodeId id, std::string_view address) {
  if (id == options_.id || id == raft::kNoNode || address.empty()) return;
  // The operator's address book (`members`) wins for the ids it lists.
  for (const Member& m : options_.members) {
    if (m.id == id) return;
  }
  std::string& known = addresses_[id];
  if (known == address) return;
  known = std::string(address);
  logged_unknown_.erase(id);
}

void NodeImpl::LearnAddressesLocked(const std::vector<raft::Entry>& entries) {
  for (const raft::Entry& e : entries) {
    if (e.type != raft::EntryType::kConfChange) continue;
    auto change = raft::DecodeConfChange(e.data);
    if (!change.ok()) continue;  // The core reports a damaged entry.
    for (const raft::ConfChangeSingle& c : change->changes) {
      if (c.type != raft::ConfChangeType::kRemoveNode) LearnAddressLocked(c.node, c.address);
    }
  }
}

std::map<raft::NodeId, std::string> NodeImpl::MemberAddressesLocked() const {
  std::map<raft::NodeId, std::string> out;
  const raft::ConfState& c = core_->conf_state();
  for (const auto* ids : {&c.voters, &c.learners, &c.voters_outgoing, &c.learners_next}) {
    for (raft::NodeId id : *ids) {
      auto it = addresses_.find(id);
      if (it != addresses_.end() && !it->second.empty()) out[id] = it->second;
    }
  }
  return out;
}

absl::Status NodeImpl::DeliverChunkLocked(Envelope& envelope) {
  const raft::Message& header = envelope.message;
  if (header.term < core_->term()) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot chunk of term ", header.term,
                                                      " reached member ", options_.id, " in term ",
                                                      core_->term()));
  }
  if (header.snapshot->index <= core_->commit()) {
    return absl::OkStatus();  // Already holds it (a late or duplicate stream).
  }
  auto complete = assembler_.Add(header, std::move(*envelope.chunk));
  if (!complete.ok()) {
    if (complete.status().code() != absl::StatusCode::kResourceExhausted ||
        logged_refusals_.insert({header.from, header.snapshot->index}).second) {
      log_->warn("node {} term {}: refused a snapshot chunk from {}: {}", options_.id,
                 core_->term(), header.from, complete.status().ToString());
    }
    return complete.status();
  }
  if (!complete->has_value()) return absl::OkStatus();
  absl::Status status = core_->Step(**complete);
  if (!status.ok()) {
    log_->warn("node {} term {}: refused the snapshot from {}: {}", options_.id, core_->term(),
               header.from, status.ToString());
    return status;
  }
  Kick();
  return absl::OkStatus();
}

absl::Status NodeImpl::Deliver(std::string_view request) {
  auto envelope = DecodeEnvelope(request);
  if (!envelope.ok()) {
    log_->warn("node {}: dropping a malformed raft message: {}", options_.id,
               envelope.status().ToString());
    return envelope.status();
  }
  const raft::Message& m = envelope->message;
  absl::MutexLock lock(&mu_);
  if (core_ == nullptr || stopping_ || !failed_.ok()) {
    return absl::UnavailableError(absl::StrCat("raft member ", options_.id, " is not running"));
  }
  if (envelope->cluster_id != options_.cluster_id) {
    if (logged_unknown_.insert(m.from).second) {
      log_->warn("node {}: dropping messages from {} ({}) of cluster {} (this is cluster {})",
                 options_.id, m.from, envelope->from_address, envelope->cluster_id,
                 options_.cluster_id);
    }
    return absl::FailedPreconditionError(absl::StrCat("raft member ", options_.id,
                                                      " belongs to cluster ", options_.cluster_id,
                                                      ", not ", envelope->cluster_id));
  }
  if (m.to != options_.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft message for member ", m.to, " reached member ", options_.id));
  }
  if (!IsMemberLocked(m.from)) {
    if (logged_unknown_.insert(m.from).second) {
      log_->warn("node {} term {}: dropping messages from {} ({}), not a member", options_.id,
                 core_->term(), m.from, envelope->from_address);
    }
    return absl::OkStatus();
  }
  if (!envelope->from_address.empty()) LearnAddressLocked(m.from, envelope->from_address);
  last_contact_[m.from] = ctx_.clock->Now();
  if (envelope->chunk.has_value()) return DeliverChunkLocked(*envelope);
  if (m.type == raft::MessageType::kSnapshot &&
      m.snapshot_data.size() > options_.max_snapshot_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "snapshot of ", m.snapshot_data.size(), " bytes; member ", options_.id, " accepts at most ",
        options_.max_snapshot_bytes, " (RaftNodeOptions.max_snapshot_bytes)"));
  }
  if (m.term != 0 && m.term < core_->term()) {
    log_->debug("node {} term {}: stale {} from {} (term {})", options_.id, core_->term(),
                raft::MessageTypeName(m.type), m.from, m.term);
  }
  if (m.type == raft::MessageType::kAppend) LearnAddressesLocked(m.entries);
  absl::Status status = core_->Step(m);
  if (!status.ok()) {
    log_->warn("node {} term {}: refused {} from {}: {}", options_.id, core_->term(),
               raft::MessageTypeName(m.type), m.from, status.ToString());
    return status;
  }
  Kick();
  return absl::OkStatus();
}

}  // namespace cohort::consensus::node
