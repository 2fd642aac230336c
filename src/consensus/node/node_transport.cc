// Peer messages: sending Ready messages as raft.Step calls and delivering
// received ones to the core.
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "consensus/node/node_impl.h"
#include "consensus/node/node_wire.h"

namespace cohort::consensus::node {
namespace {

struct Outgoing {
  raft::NodeId to = raft::kNoNode;
  bool snapshot = false;
  std::string address;
  std::string body;
};

Awaitable<void> SendOne(std::shared_ptr<Link> link, transport::Transport& transport,
                        Outgoing out, absl::Time deadline) {
  transport::CallOptions options;
  options.deadline = deadline;
  auto result = co_await transport.Call(out.address, kRaftStepMethod, std::move(out.body),
                                        options);
  absl::MutexLock lock(&link->mu);
  if (link->node == nullptr) co_return;
  link->node->OnSendResult(out.to, out.snapshot, result.status());
}

}  // namespace

void NodeImpl::SendMessages(std::vector<raft::Message> messages) {
  if (messages.empty()) return;
  std::vector<Outgoing> outgoing;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const std::string& self = addresses_[options_.id];
    for (const raft::Message& m : messages) {
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
      outgoing.push_back({m.to, m.type == raft::MessageType::kSnapshot, it->second,
                          EncodeEnvelope(options_.cluster_id, self, m)});
    }
  }
  const absl::Time deadline = ctx_.clock->Now() + options_.send_timeout;
  for (Outgoing& out : outgoing) {
    asio::co_spawn(ctx_.executor, SendOne(link_, transport_, std::move(out), deadline),
                   asio::detached);
  }
}

void NodeImpl::OnSendResult(raft::NodeId to, bool snapshot, const absl::Status& status) {
  if (!snapshot && status.ok()) return;  // The common case: nothing to report.
  absl::MutexLock lock(&mu_);
  if (core_ == nullptr || stopping_) return;
  if (snapshot) core_->ReportSnapshot(to, status.ok());
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
    return absl::FailedPreconditionError(
        absl::StrCat("raft member ", options_.id, " belongs to cluster ", options_.cluster_id,
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
  if (!envelope->from_address.empty()) addresses_[m.from] = envelope->from_address;
  last_contact_[m.from] = ctx_.clock->Now();
  if (m.term != 0 && m.term < core_->term()) {
    log_->debug("node {} term {}: stale {} from {} (term {})", options_.id, core_->term(),
                raft::MessageTypeName(m.type), m.from, m.term);
  }
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
