// Internals of the Raft simulation (sim.h), shared by its source files.
#ifndef COHORT_TESTS_CONSENSUS_RAFT_SIM_INTERNAL_H_
#define COHORT_TESTS_CONSENSUS_RAFT_SIM_INTERNAL_H_

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cohort/base/random.h"
#include "consensus/raft/core.h"
#include "consensus/raft/sim.h"
#include "consensus/raft/sim_checker.h"

namespace cohort::consensus::raft::sim::internal {


inline constexpr std::uint64_t kUnitsPerTick = 10;

// What a member has on disk: all that survives a crash.
struct Durable {
  HardState hard_state{};
  SnapshotMetadata snapshot{};
  std::string snapshot_data;
  std::vector<Entry> entries;
};

struct PendingPersist {
  std::uint64_t due = 0;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;
  std::optional<HardState> hard_state;
  std::vector<Message> after;
  LogPosition mark;
};

struct Member {
  NodeId id = kNoNode;
  bool up = true;
  std::uint64_t incarnation = 0;
  std::unique_ptr<Core> core;
  Durable durable;
  std::deque<PendingPersist> persists;
  Index sm_applied = 0;
  std::uint64_t sm_chain = 0;
  std::uint64_t restart_at = 0;
  std::uint64_t disk_stalled_until = 0;
};

struct Packet {
  Message message;
  std::uint64_t sender_incarnation = 0;
};

// Everything a seed decides about a run.
struct Params {
  int voters = 3;
  int universe = 5;
  CoreOptions options;
  double loss = 0;
  double dup = 0;
  std::uint64_t max_delay = 5;
  double long_delay = 0;
  double crash = 0;
  // Crashes aimed at the leader: the churn that exposes commit-rule bugs
  // (Raft paper, Figure 8).
  double leader_crash = 0;
  // Probability that a leader crashes right after advancing its commit
  // index, before followers learn it.
  double crash_on_commit = 0;
  double partition = 0;
  double heal = 0.1;
  double stall = 0;
  std::uint64_t disk_delay = 2;
  Index compact_threshold = 1000;
  int proposals_per_tick = 1;
  double read = 0;
  double conf = 0;
  double transfer = 0;
};

// Draws the run's parameters (cluster size, fault rates, limits) from r.
Params ParamsFor(Random& r);

class Simulation {
 public:
  explicit Simulation(const SimConfig& config)
      : config_(config), rng_(config.seed), params_(ParamsFor(rng_)) {}

  SimResult Run();

 private:
  Member& At(NodeId id) { return members_[id - 1]; }
  void Fail(const std::string& what);
  void Check(const std::string& err) {
    if (!err.empty()) Fail(err);
  }
  void Log(const std::string& line) const {
    if (!config_.verbose) return;
    std::fprintf(stderr, "[%llu] %s\n", static_cast<unsigned long long>(now_), line.c_str());
  }
  void Mix(std::uint64_t v) { result_.digest = (result_.digest ^ v) * 1099511628211ull; }

  void Start(Member& m, RestoreState state);
  void Crash(Member& m);
  void Restart(Member& m);
  void Drain(Member& m);
  void DrainAll();
  void HandleReady(Member& m, Ready ready);
  void CompletePersist(Member& m);
  void MaybeCompact(Member& m);
  void Send(const Member& from, const Message& msg);
  void Deliver(const Packet& packet);
  void ReportSnapshotResult(const Packet& packet, bool ok);
  void AfterStep();

  void FaultTick();
  void ClientTick();
  void ProposeConfChange(Member& leader);
  Member* Leader();

  SimConfig config_;
  Random rng_;
  Params params_;
  bool faults_ = true;
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t counter_ = 0;
  Index max_commit_seen_ = 0;
  std::vector<Member> members_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Packet> network_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::map<std::pair<NodeId, NodeId>, std::uint64_t> last_delivery_;
  std::vector<std::pair<NodeId, NodeId>> unreachable_;
  std::map<NodeId, Index> leader_commit_;
  Checker checker_;
  SimResult result_;
};

}  // namespace cohort::consensus::raft::sim::internal

#endif  // COHORT_TESTS_CONSENSUS_RAFT_SIM_INTERNAL_H_
