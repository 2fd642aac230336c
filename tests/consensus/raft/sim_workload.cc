// The simulation's workload: what a seed decides, the faults it injects,
// and the clients' proposals, reads, transfers and membership changes.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "consensus/raft/conf_change.h"
#include "consensus/raft/sim_internal.h"

namespace cohort::consensus::raft::sim::internal {

Params ParamsFor(Random& r) {
  Params p;
  p.voters = r.Bernoulli(0.3) ? 5 : 3;
  p.universe = p.voters + 2;
  CoreOptions& o = p.options;
  o.election_ticks = 10;
  o.heartbeat_ticks = r.Bernoulli(0.7) ? 1 : 3;
  o.pre_vote = r.Bernoulli(0.8);
  o.check_quorum = r.Bernoulli(0.8);
  o.lease_reads = o.check_quorum && r.Bernoulli(0.4);
  o.max_message_bytes = 64 + r.Uniform(512);
  o.max_inflight_messages = 1 + r.Uniform(8);
  o.max_inflight_bytes = r.Bernoulli(0.5) ? 0 : 256 + r.Uniform(2048);
  o.max_uncommitted_bytes = 1000 + r.Uniform(8000);
  o.max_entry_bytes = 200;
  const double losses[] = {0, 0, 0.01, 0.05, 0.2};
  p.loss = losses[r.Uniform(5)];
  p.dup = r.Bernoulli(0.3) ? 0.05 : 0;
  const std::uint64_t delays[] = {3, 8, 20, 40};
  p.max_delay = delays[r.Uniform(4)];
  p.long_delay = r.Bernoulli(0.3) ? 0.02 : 0;
  const double crashes[] = {0, 0.005, 0.02, 0.05};
  p.crash = crashes[r.Uniform(4)];
  p.leader_crash = r.Bernoulli(0.3) ? 0.03 : 0;
  p.crash_on_commit = r.Bernoulli(0.3) ? 0.05 : 0;
  p.partition = r.Bernoulli(0.5) ? 0.03 : 0;
  p.heal = 0.05 + 0.1 * r.UniformDouble();
  p.stall = r.Bernoulli(0.2) ? 0.01 : 0;
  p.disk_delay = r.Bernoulli(0.2) ? 30 : 1 + r.Uniform(4);
  const Index thresholds[] = {5, 20, 1000};
  p.compact_threshold = thresholds[r.Uniform(3)];
  p.proposals_per_tick = static_cast<int>(1 + r.Uniform(3));
  p.read = r.Bernoulli(0.7) ? 0.3 : 0;
  p.conf = r.Bernoulli(0.5) ? 0.03 : 0;
  p.transfer = r.Bernoulli(0.3) ? 0.01 : 0;
  return p;
}

void Simulation::FaultTick() {
  for (Member& m : members_) {
    if (!m.up && now_ >= m.restart_at) {
      Restart(m);
      AfterStep();
    }
  }
  if (rng_.Bernoulli(params_.crash)) {
    Member& m = members_[rng_.Uniform(members_.size())];
    if (m.up) Crash(m);
    AfterStep();
  }
  if (rng_.Bernoulli(params_.leader_crash)) {
    Member* leader = Leader();
    if (leader != nullptr) {
      Crash(*leader);
      AfterStep();
    }
  }
  if (rng_.Bernoulli(params_.partition)) {
    blocked_.clear();
    if (rng_.Bernoulli(0.5)) {
      // A symmetric split into two sides.
      std::vector<int> side(members_.size());
      for (auto& s : side) s = static_cast<int>(rng_.Uniform(2));
      for (NodeId a = 1; a <= members_.size(); ++a) {
        for (NodeId b = 1; b <= members_.size(); ++b) {
          if (side[a - 1] != side[b - 1]) blocked_.insert({a, b});
        }
      }
      Log("partition (symmetric)");
    } else {
      // One-way: a few links lose one direction only.
      for (int i = 0; i < 3; ++i) {
        const NodeId a = 1 + rng_.Uniform(members_.size());
        const NodeId b = 1 + rng_.Uniform(members_.size());
        if (a != b) blocked_.insert({a, b});
      }
      Log("partition (one-way)");
    }
  } else if (!blocked_.empty() && rng_.Bernoulli(params_.heal)) {
    blocked_.clear();
    Log("partition healed");
  }
  if (rng_.Bernoulli(params_.stall)) {
    Member& m = members_[rng_.Uniform(members_.size())];
    m.disk_stalled_until = now_ + kUnitsPerTick * (5 + rng_.Uniform(30));
    Log(absl::StrCat("disk of member ", m.id, " stalls"));
  }
}

void Simulation::ClientTick() {
  for (int i = 0; i < params_.proposals_per_tick; ++i) {
    // Most clients have found the leader; some ask a random member.
    Member* target = rng_.Bernoulli(0.7) ? Leader() : nullptr;
    if (target == nullptr) target = &members_[rng_.Uniform(members_.size())];
    Member& m = *target;
    if (!m.up) continue;
    std::string data = absl::StrCat("v", ++counter_, std::string(rng_.Uniform(80), 'x'));
    (void)m.core->Propose(std::move(data));
    AfterStep();
  }
  if (rng_.Bernoulli(params_.read)) {
    Member& m = members_[rng_.Uniform(members_.size())];
    if (m.up) {
      const std::string context = absl::StrCat("r", ++counter_);
      checker_.OnReadIssued(context, max_commit_seen_);
      // Alternate the modes without drawing from rng_ (seeds replay as before).
      const ReadMode mode = counter_ % 2 == 0 ? ReadMode::kLease : ReadMode::kReadIndex;
      (void)m.core->ReadIndex(context, mode);
      AfterStep();
    }
  }
  Member* leader = Leader();
  if (leader != nullptr && rng_.Bernoulli(params_.conf)) {
    ProposeConfChange(*leader);
    AfterStep();
  }
  leader = Leader();
  if (leader != nullptr && rng_.Bernoulli(params_.transfer)) {
    const auto& voters = leader->core->conf_state().voters;
    if (!voters.empty()) {
      const NodeId target = voters[rng_.Uniform(voters.size())];
      if (leader->core->TransferLeadership(target).ok()) {
        ++result_.transfers;
        Log(absl::StrCat("transfer leadership ", leader->id, " -> ", target));
      }
      AfterStep();
    }
  }
}

void Simulation::ProposeConfChange(Member& leader) {
  const ConfState& conf = leader.core->conf_state();
  ConfChange change;
  if (IsJoint(conf)) {
    if (conf.auto_leave) return;
    // Leave an explicit joint configuration.
  } else {
    std::vector<NodeId> others;
    for (NodeId id = 1; id <= members_.size(); ++id) {
      if (std::find(conf.voters.begin(), conf.voters.end(), id) == conf.voters.end()) {
        others.push_back(id);
      }
    }
    const auto& voters = conf.voters;
    const NodeId voter = voters[rng_.Uniform(voters.size())];
    const NodeId other = others.empty() ? kNoNode : others[rng_.Uniform(others.size())];
    switch (rng_.Uniform(5)) {
      case 0:
        if (other == kNoNode) return;
        change.changes = {{ConfChangeType::kAddLearner, other}};
        break;
      case 1:
        if (other == kNoNode) return;
        change.changes = {{ConfChangeType::kAddVoter, other}};
        break;
      case 2:
        if (voters.size() <= 2) return;
        change.changes = {{ConfChangeType::kRemoveNode, voter}};
        break;
      case 3:
        if (voters.size() <= 2) return;
        change.changes = {{ConfChangeType::kAddLearner, voter}};
        break;
      default: {
        if (other == kNoNode) return;
        // Replace a voter through joint consensus.
        change.changes = {{ConfChangeType::kAddVoter, other},
                          {ConfChangeType::kRemoveNode, voter}};
        const ConfTransition transitions[] = {ConfTransition::kAuto,
                                              ConfTransition::kJointImplicit,
                                              ConfTransition::kJointExplicit};
        change.transition = transitions[rng_.Uniform(3)];
        break;
      }
    }
  }
  auto pos = leader.core->ProposeConfChange(change);
  if (pos.ok()) {
    Log(absl::StrCat("leader ", leader.id, " proposes conf change at ", pos->index, " (",
                     change.changes.size(), " changes)"));
  }
}

}  // namespace cohort::consensus::raft::sim::internal
