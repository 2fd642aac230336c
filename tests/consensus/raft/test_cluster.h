// A small synchronous harness for scripted Core tests: every member persists
// at once (unless told otherwise) and messages wait in one FIFO queue until
// the test delivers them, optionally through a filter.
#ifndef COHORT_TESTS_CONSENSUS_RAFT_TEST_CLUSTER_H_
#define COHORT_TESTS_CONSENSUS_RAFT_TEST_CLUSTER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "consensus/raft/core.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft::testing {

inline CoreOptions TestOptions(NodeId id) {
  CoreOptions o;
  o.id = id;
  o.election_ticks = 10;
  o.heartbeat_ticks = 1;
  o.seed = 42 + id;
  return o;
}

class TestCluster {
 public:
  // Founding voters 1..voters; members voters+1..total start empty.
  explicit TestCluster(int voters, int total = 0,
                       std::function<void(CoreOptions&)> tweak = nullptr) {
    if (total < voters) total = voters;
    std::vector<NodeId> ids;
    for (int i = 1; i <= voters; ++i) ids.push_back(static_cast<NodeId>(i));
    for (int i = 1; i <= total; ++i) {
      CoreOptions o = TestOptions(static_cast<NodeId>(i));
      if (tweak) tweak(o);
      auto core = Core::Create(o, i <= voters ? BootstrapState(ids) : RestoreState{});
      EXPECT_TRUE(core.ok()) << core.status();
      cores_[static_cast<NodeId>(i)] = *std::move(core);
    }
    Process();
  }

  Core& operator[](NodeId id) { return *cores_.at(id); }

  // Takes every Ready; persists at once unless the member's disk is held.
  void Process() {
    for (auto& [id, core] : cores_) {
      while (core->HasReady()) {
        Ready r = core->TakeReady();
        for (auto& m : r.messages) queue_.push_back(std::move(m));
        for (const Entry& e : r.committed_entries) applied_[id].push_back(e);
        if (!r.committed_entries.empty()) core->OnApplied(r.committed_entries.back().index);
        for (auto& rs : r.read_states) reads_[id].push_back(rs);
        if (r.snapshot.has_value()) snapshots_[id].push_back(*r.snapshot);
        if (held_disks_.count(id) > 0) {
          held_[id].push_back(std::move(r));
          continue;
        }
        for (auto& m : r.messages_after_persist) queue_.push_back(std::move(m));
        core->OnPersisted(r.persist_mark);
      }
    }
  }

  // Delivers queued messages (and those they cause) until none is left.
  // `drop` returns true for messages to lose.
  void Deliver(const std::function<bool(const Message&)>& drop = nullptr, int limit = 100000) {
    Process();
    while (!queue_.empty() && limit-- > 0) {
      Message m = std::move(queue_.front());
      queue_.pop_front();
      if (isolated_.count(m.from) > 0 || isolated_.count(m.to) > 0 || (drop && drop(m))) {
        continue;
      }
      delivered_.push_back(m);
      EXPECT_TRUE(cores_.at(m.to)->Step(m).ok());
      Process();
    }
  }

  void Tick(int n = 1) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, core] : cores_) core->Tick();
      Deliver();
    }
  }

  // Ticks until some member leads (at most `max` ticks); returns it or 0.
  NodeId ElectLeader(int max = 200) {
    for (int i = 0; i < max; ++i) {
      for (auto& [id, core] : cores_) {
        if (core->role() == CoreRole::kLeader && isolated_.count(id) == 0) return id;
      }
      Tick();
    }
    return kNoNode;
  }

  void Isolate(NodeId id) { isolated_.insert(id); }
  void Heal() { isolated_.clear(); }
  void HoldDisk(NodeId id) { held_disks_.insert(id); }

  std::deque<Message>& queue() { return queue_; }
  std::vector<Message>& delivered() { return delivered_; }
  std::vector<Entry>& applied(NodeId id) { return applied_[id]; }
  std::vector<ReadState>& reads(NodeId id) { return reads_[id]; }
  std::vector<Snapshot>& snapshots(NodeId id) { return snapshots_[id]; }

 private:
  std::map<NodeId, std::unique_ptr<Core>> cores_;
  std::deque<Message> queue_;
  std::vector<Message> delivered_;
  std::set<NodeId> isolated_;
  std::set<NodeId> held_disks_;
  std::map<NodeId, std::vector<Ready>> held_;
  std::map<NodeId, std::vector<Entry>> applied_;
  std::map<NodeId, std::vector<ReadState>> reads_;
  std::map<NodeId, std::vector<Snapshot>> snapshots_;
};

}  // namespace cohort::consensus::raft::testing

#endif  // COHORT_TESTS_CONSENSUS_RAFT_TEST_CLUSTER_H_
