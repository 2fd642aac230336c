// The simulation's mechanics: members, the Ready contract, persistence,
// crashes, the network, and the run loop.
#include "consensus/raft/sim.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "consensus/raft/conf_change.h"
#include "consensus/raft/sim_internal.h"

namespace cohort::consensus::raft::sim {
namespace internal {


void Simulation::Fail(const std::string& what) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.failure = absl::StrCat("seed ", config_.seed, " at time ", now_, " (tick ",
                                 now_ / kUnitsPerTick, "): ", what);
  if (!config_.verbose) return;
  for (const Member& m : members_) {
    if (!m.up) {
      Log(absl::StrCat("member ", m.id, " down"));
      continue;
    }
    const Core& c = *m.core;
    const ConfState& conf = c.conf_state();
    Log(absl::StrCat("member ", m.id, " ", CoreRoleName(c.role()), " term ", c.term(), " vote ",
                     c.vote(), " leader ", c.leader(), " commit ", c.commit(), " applied ",
                     c.applied(), " persisted ", c.persisted_index(), " log [",
                     c.log().FirstIndex(), ", ", c.log().LastIndex(), "] last term ",
                     c.log().LastTerm(), " voters ", absl::StrJoin(conf.voters, ","),
                     " outgoing ", absl::StrJoin(conf.voters_outgoing, ","), " learners ",
                     absl::StrJoin(conf.learners, ","), " pending persists ", m.persists.size(),
                     m.persists.empty() ? std::string()
                                        : absl::StrCat(" due ", m.persists.front().due),
                     " stalled until ", m.disk_stalled_until));
    for (NodeId id = 1; id <= members_.size(); ++id) {
      const Progress* pr = c.progress(id);
      if (pr == nullptr) continue;
      Log(absl::StrCat("  progress of ", id, ": state ", static_cast<int>(pr->state), " match ",
                       pr->match, " next ", pr->next, " probe_sent ", pr->probe_sent,
                       " pending snapshot ", pr->pending_snapshot, " inflight ",
                       pr->inflights.count()));
    }
  }
}

void Simulation::Start(Member& m, RestoreState state) {
  CoreOptions options = params_.options;
  options.id = m.id;
  options.seed = DeriveSeed(config_.seed, absl::StrCat("member", m.id, ".", m.incarnation));
  m.sm_applied = state.snapshot.index;
  m.sm_chain = 0;
  if (state.snapshot.index > 0) {
    m.sm_chain = std::stoull(state.snapshot_data);
    Check(checker_.OnRestored(m.id, m.sm_applied, m.sm_chain));
  }
  state.applied = state.snapshot.index;
  auto core = Core::Create(options, std::move(state));
  if (!core.ok()) {
    Fail(absl::StrCat("member ", m.id, " failed to start: ", core.status().ToString()));
    return;
  }
  m.core = *std::move(core);
  m.up = true;
  m.persists.clear();
  checker_.OnRestart(m.id);
}

void Simulation::Crash(Member& m) {
  Log(absl::StrCat("crash member ", m.id, " (", m.persists.size(), " unsynced batches lost)"));
  m.up = false;
  m.core.reset();
  m.persists.clear();
  ++m.incarnation;
  ++result_.crashes;
  leader_commit_.erase(m.id);
  m.restart_at = now_ + kUnitsPerTick * (2 + rng_.Uniform(20));
}

void Simulation::Restart(Member& m) {
  Log(absl::StrCat("restart member ", m.id));
  RestoreState state;
  state.hard_state = m.durable.hard_state;
  state.snapshot = m.durable.snapshot;
  state.snapshot_data = m.durable.snapshot_data;
  state.entries = m.durable.entries;
  Start(m, std::move(state));
}

void Simulation::Drain(Member& m) {
  while (result_.ok && m.up && m.core->HasReady()) HandleReady(m, m.core->TakeReady());
}

void Simulation::DrainAll() {
  for (Member& m : members_) Drain(m);
}

void Simulation::HandleReady(Member& m, Ready ready) {
  Core& core = *m.core;
  if (ready.snapshot.has_value()) {
    m.sm_applied = ready.snapshot->metadata.index;
    m.sm_chain = std::stoull(ready.snapshot->data);
    ++result_.snapshots_installed;
    Log(absl::StrCat("member ", m.id, " installs snapshot at ", m.sm_applied));
    Check(checker_.OnRestored(m.id, m.sm_applied, m.sm_chain));
  }
  for (const Entry& e : ready.entries) Check(checker_.OnAppended(core, e));
  for (const Message& msg : ready.messages) Send(m, msg);
  PendingPersist p;
  // A slow disk is a fault too: once healed, an fsync takes under half a tick
  // (Raft needs broadcast time, fsync included, well below the timeout).
  const std::uint64_t disk =
      faults_ ? params_.disk_delay : std::min<std::uint64_t>(params_.disk_delay, 4);
  const std::uint64_t delay = 1 + rng_.Uniform(disk);
  p.due = std::max(m.persists.empty() ? 0 : m.persists.back().due, now_ + delay);
  p.snapshot = std::move(ready.snapshot);
  p.entries = std::move(ready.entries);
  p.hard_state = ready.hard_state;
  p.after = std::move(ready.messages_after_persist);
  p.mark = ready.persist_mark;
  m.persists.push_back(std::move(p));
  for (const Entry& e : ready.committed_entries) {
    if (e.index != m.sm_applied + 1) {
      Fail(absl::StrCat("member ", m.id, " was handed entry ", e.index, " after ", m.sm_applied));
      return;
    }
    m.sm_chain = Fnv(e.data, m.sm_chain ^ (e.term * 31 + e.index));
    m.sm_applied = e.index;
    if (e.type == EntryType::kConfChange) ++result_.conf_changes_applied;
    Check(checker_.OnApplied(core, e, m.sm_chain));
  }
  core.OnApplied(m.sm_applied);
  for (const ReadState& r : ready.read_states) Check(checker_.OnReadState(m.id, r));
  result_.reads += static_cast<int>(ready.read_states.size());
  MaybeCompact(m);
}

void Simulation::MaybeCompact(Member& m) {
  Core& core = *m.core;
  if (m.sm_applied < core.log().SnapshotIndex() + params_.compact_threshold) return;
  if (m.sm_applied > core.applied()) return;
  std::string data = std::to_string(m.sm_chain);
  if (!core.Compact(m.sm_applied, data).ok()) return;
  // The snapshot is written durably (atomically) before the log is trimmed.
  m.durable.snapshot = core.snapshot_metadata();
  m.durable.snapshot_data = std::move(data);
  auto& entries = m.durable.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const Entry& e) { return e.index <= m.sm_applied; }),
                entries.end());
}

void Simulation::CompletePersist(Member& m) {
  PendingPersist p = std::move(m.persists.front());
  m.persists.pop_front();
  Durable& d = m.durable;
  if (p.snapshot.has_value()) {
    d.snapshot = p.snapshot->metadata;
    d.snapshot_data = p.snapshot->data;
    d.entries.clear();
  }
  if (!p.entries.empty()) {
    const Index first = p.entries.front().index;
    while (!d.entries.empty() && d.entries.back().index >= first) d.entries.pop_back();
    for (Entry& e : p.entries) {
      if (e.index <= d.snapshot.index) continue;
      const Index expect = d.entries.empty() ? d.snapshot.index + 1 : d.entries.back().index + 1;
      if (e.index != expect) {
        Fail(absl::StrCat("member ", m.id, " persisted entry ", e.index, " after ", expect - 1));
        return;
      }
      d.entries.push_back(std::move(e));
    }
  }
  if (p.hard_state.has_value()) d.hard_state = *p.hard_state;
  for (const Message& msg : p.after) Send(m, msg);
  m.core->OnPersisted(p.mark);
}

void Simulation::Send(const Member& from, const Message& msg) {
  Mix(static_cast<std::uint64_t>(msg.type) * 1000003 + msg.to * 131 + msg.term);
  Packet packet{msg, from.incarnation};
  if (msg.to < 1 || msg.to > members_.size()) {
    Fail(absl::StrCat("member ", from.id, " sent to unknown member ", msg.to));
    return;
  }
  const int copies = faults_ && rng_.Bernoulli(params_.dup) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    if ((faults_ && rng_.Bernoulli(params_.loss)) || blocked_.count({from.id, msg.to}) > 0) {
      ReportSnapshotResult(packet, false);
      // A transport notices a broken link (not a lost datagram).
      if (blocked_.count({from.id, msg.to}) > 0) unreachable_.emplace_back(from.id, msg.to);
      continue;
    }
    // Raft needs round trips well inside the election timeout; slower links
    // are a fault, healed with the rest.
    const std::uint64_t max_delay =
        faults_ ? params_.max_delay : std::min<std::uint64_t>(params_.max_delay, kUnitsPerTick);
    std::uint64_t delay = 1 + rng_.Uniform(max_delay);
    if (faults_ && rng_.Bernoulli(params_.long_delay)) delay += rng_.Uniform(30 * kUnitsPerTick);
    std::uint64_t at = now_ + delay;
    // Reordering is a fault: once healed, each link is FIFO again (TCP).
    std::uint64_t& last = last_delivery_[{from.id, msg.to}];
    if (!faults_) at = std::max(at, last);
    last = std::max(last, at);
    network_.emplace(std::make_pair(at, ++seq_), packet);
  }
}

void Simulation::ReportSnapshotResult(const Packet& packet, bool ok) {
  if (packet.message.type != MessageType::kSnapshot) return;
  Member& sender = At(packet.message.from);
  if (!sender.up || sender.incarnation != packet.sender_incarnation) return;
  sender.core->ReportSnapshot(packet.message.to, ok);
}

void Simulation::Deliver(const Packet& packet) {
  const Message& msg = packet.message;
  Member& to = At(msg.to);
  if (!to.up || blocked_.count({msg.from, msg.to}) > 0) {
    ReportSnapshotResult(packet, false);
    return;
  }
  Log(absl::StrCat(msg.from, "->", msg.to, " ", MessageTypeName(msg.type), " t", msg.term,
                   " i", msg.index, " lt", msg.log_term, " c", msg.commit, " n",
                   msg.entries.size(), msg.reject ? " reject" : "", " ", msg.context));
  Mix(static_cast<std::uint64_t>(msg.type) + msg.index * 7 + now_);
  ReportSnapshotResult(packet, true);
  auto status = to.core->Step(msg);
  if (!status.ok()) Fail(absl::StrCat("Step failed: ", status.ToString()));
  if (config_.verbose && msg.type != MessageType::kHeartbeat &&
      msg.type != MessageType::kHeartbeatResp) {
    const Core& c = *to.core;
    Log(absl::StrCat("   member ", to.id, " now log [", c.log().FirstIndex(), ", ",
                     c.log().LastIndex(), "] commit ", c.commit(), " persisted ",
                     c.persisted_index(), msg.reject ? absl::StrCat(" hint ", msg.reject_hint)
                                                     : std::string()));
  }
}

void Simulation::AfterStep() {
  // Reported outside the sender's Ready handling, as a transport would.
  while (!unreachable_.empty()) {
    const auto [from, to] = unreachable_.back();
    unreachable_.pop_back();
    if (At(from).up) At(from).core->ReportUnreachable(to);
  }
  DrainAll();
  ++result_.steps;
  for (Member& m : members_) {
    if (!m.up) continue;
    Check(checker_.CheckMember(*m.core));
    max_commit_seen_ = std::max(max_commit_seen_, m.core->commit());
  }
  for (Member& m : members_) {
    if (!m.up || m.core->role() != CoreRole::kLeader) continue;
    Index& seen = leader_commit_[m.id];
    const bool advanced = m.core->commit() > seen;
    seen = m.core->commit();
    if (advanced && faults_ && rng_.Bernoulli(params_.crash_on_commit)) {
      Crash(m);
      AfterStep();
      return;
    }
  }
}

Member* Simulation::Leader() {
  Member* best = nullptr;
  for (Member& m : members_) {
    if (m.up && m.core->role() == CoreRole::kLeader &&
        (best == nullptr || m.core->term() > best->core->term())) {
      best = &m;
    }
  }
  return best;
}

SimResult Simulation::Run() {
  std::vector<NodeId> voters;
  for (int i = 1; i <= params_.voters; ++i) voters.push_back(static_cast<NodeId>(i));
  members_.resize(static_cast<std::size_t>(params_.universe));
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& m = members_[i];
    m.id = i + 1;
    RestoreState state;
    if (static_cast<int>(m.id) <= params_.voters) {
      // Founders write the bootstrap state durably before starting.
      state = BootstrapState(voters);
      m.durable.hard_state = state.hard_state;
      m.durable.entries = state.entries;
    }
    Start(m, std::move(state));
  }
  AfterStep();
  const std::uint64_t fault_end = config_.fault_ticks * kUnitsPerTick;
  const std::uint64_t end = fault_end + config_.liveness_ticks * kUnitsPerTick;
  // The liveness probe's position; index 0 while none is in flight.
  LogPosition probe;
  bool live = false;
  bool had_leader = false;
  for (now_ = 1; now_ <= end && result_.ok && !live; ++now_) {
    if (now_ == fault_end) {
      faults_ = false;
      blocked_.clear();
      for (Member& m : members_) {
        m.disk_stalled_until = 0;
        if (!m.up) Restart(m);
      }
      Log("faults healed");
      AfterStep();
    }
    // Deliveries due now, in (time, send order); delays did the reordering.
    while (result_.ok && !network_.empty() && network_.begin()->first.first <= now_) {
      Packet packet = std::move(network_.begin()->second);
      network_.erase(network_.begin());
      Deliver(packet);
      AfterStep();
    }
    for (Member& m : members_) {
      while (result_.ok && m.up && !m.persists.empty() && m.persists.front().due <= now_ &&
             m.disk_stalled_until <= now_) {
        CompletePersist(m);
        AfterStep();
      }
    }
    if (now_ % kUnitsPerTick != 0) continue;
    for (Member& m : members_) {
      if (!m.up) continue;
      m.core->Tick();
      AfterStep();
    }
    if (faults_) {
      FaultTick();
      ClientTick();
      continue;
    }
    // Recovery: a leader soon, and then a fresh entry must commit (after
    // the backlog the faults left, which slow links and disks drain slowly).
    if (Leader() != nullptr) had_leader = true;
    if (!had_leader && now_ >= fault_end + config_.leader_ticks * kUnitsPerTick) {
      Fail(absl::StrCat("liveness: no leader within ", config_.leader_ticks,
                        " ticks after the faults healed"));
      break;
    }
    if (probe.index != 0 && checker_.max_committed() >= probe.index) {
      live = checker_.CommittedTerm(probe.index) == probe.term;
      if (!live) probe = LogPosition{};
    }
    Member* leader = Leader();
    if (!live && leader != nullptr && (probe.index == 0 || probe.term != leader->core->term())) {
      auto pos = leader->core->Propose("liveness-probe");
      if (pos.ok()) probe = *pos;
      AfterStep();
    }
  }
  if (result_.ok && !live) {
    Member* leader = Leader();
    Fail(absl::StrCat("liveness: nothing committed within ", config_.liveness_ticks,
                      " ticks after the faults healed (leader: ",
                      leader == nullptr ? std::string("none") : absl::StrCat(leader->id), ")"));
  }
  if (result_.ok) {
    std::vector<const Core*> cores;
    for (const Member& m : members_) cores.push_back(m.core.get());
    Check(checker_.CheckLogsMatch(cores));
  }
  result_.committed = checker_.max_committed();
  result_.leaders = checker_.leaders_elected();
  return result_;
}

}  // namespace internal

SimResult RunSimulation(const SimConfig& config) { return internal::Simulation(config).Run(); }

}  // namespace cohort::consensus::raft::sim
