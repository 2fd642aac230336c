// A cluster of RaftNodes on one SimulatedNetwork, SimulatedClock and
// FaultFileSystem per member, for deterministic node tests.
#ifndef COHORT_TESTS_CONSENSUS_NODE_TEST_CLUSTER_H_
#define COHORT_TESTS_CONSENSUS_NODE_TEST_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "absl/synchronization/mutex.h"
#include "cohort/base/metrics.h"
#include "cohort/base/context.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/consensus/raft_node.h"
#include "cohort/testing/simulation.h"
#include "cohort/transport/simulated_network.h"
#include "consensus/wal/fault_file_system.h"

namespace cohort::consensus::testing {

// Records every applied command; Apply answers "<command>@<index>", or
// FailedPrecondition for commands starting with "fail".
class RecordingStateMachine final : public StateMachine {
 public:
  absl::StatusOr<std::string> Apply(const LogEntry& entry) override;
  absl::StatusOr<std::unique_ptr<SnapshotWriter>> Snapshot() override;
  absl::Status Restore(ByteSource& source) override;
  std::vector<std::string> commands() const;
  std::uint64_t restores() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> commands_ ABSL_GUARDED_BY(mu_);
  std::uint64_t restores_ ABSL_GUARDED_BY(mu_) = 0;
};

// Seeds a test loops over: `fallback`, or RAFT_NODE_SEEDS from the
// environment (for longer local runs).
int SeedCount(int fallback);

class TestCluster {
 public:
  // Members 1..n, founders of cluster 7. `tweak` adjusts every node's options.
  TestCluster(int n, std::uint64_t seed,
              std::function<void(RaftNodeOptions&)> tweak = nullptr);
  ~TestCluster();

  static std::string Address(std::uint64_t id);
  // Members started after this call apply to a state machine made by
  // `factory` (instead of a RecordingStateMachine); see state_machine().
  void SetStateMachineFactory(std::function<std::unique_ptr<StateMachine>()> factory) {
    sm_factory_ = std::move(factory);
  }
  RaftNodeOptions OptionsFor(std::uint64_t id) const;

  // Creates and starts member `id` on its (persistent) file system.
  // `founder` false: starts as a joining member (empty members list).
  absl::Status Start(std::uint64_t id, bool founder = true);
  absl::Status StartAll();
  // Starts member `id` with explicit options.
  absl::Status StartWith(std::uint64_t id, RaftNodeOptions options);
  // Power loss: the network drops it, the node stops, unsynced data is lost.
  void Crash(std::uint64_t id);
  // Graceful stop (synced data only survives either way).
  void Stop(std::uint64_t id);

  void RunFor(absl::Duration d);
  // Runs `op` to completion on the simulated clock (at most `limit`).
  template <typename T>
  std::optional<T> Run(Awaitable<T> op, absl::Duration limit = absl::Seconds(120)) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(op), [&result](std::exception_ptr, T value) {
      result.emplace(std::move(value));
    });
    const absl::Time until = clock_.Now() + limit;
    while (!result.has_value() && clock_.Now() < until) RunFor(absl::Milliseconds(10));
    return result;
  }

  // Runs until one up member leads and every up member agrees; 0 if none.
  std::uint64_t WaitForLeader(absl::Duration limit = absl::Seconds(60));
  // Runs until every up member has applied `index`.
  bool WaitForApplied(std::uint64_t index, absl::Duration limit = absl::Seconds(60));
  bool WaitForApplied(std::uint64_t id, std::uint64_t index, absl::Duration limit);

  absl::StatusOr<Applied> Propose(std::uint64_t id, std::string command,
                                  absl::Duration timeout = absl::Seconds(10));
  // Proposes all at once and runs until every one has completed.
  std::vector<absl::StatusOr<Applied>> ProposeMany(std::uint64_t id,
                                                   std::vector<std::string> commands);
  // ProposeMany, then the highest index applied, or the first error.
  absl::StatusOr<std::uint64_t> ProposeAll(std::uint64_t id, std::vector<std::string> commands);
  // Starts proposals without waiting for them.
  void ProposeAsync(std::uint64_t id, std::vector<std::string> commands);
  absl::StatusOr<std::uint64_t> ReadBarrier(std::uint64_t id, ReadConsistency consistency =
                                                                  ReadConsistency::kLinearizable);

  RaftNode* node(std::uint64_t id) { return members_.at(id).node.get(); }
  bool up(std::uint64_t id) const { return members_.at(id).node != nullptr; }
  RecordingStateMachine& sm(std::uint64_t id) { return *members_.at(id).sm; }
  // The state machine member `id` applies to (the factory's, if set).
  StateMachine& state_machine(std::uint64_t id) {
    Slot& slot = members_.at(id);
    if (slot.custom_sm != nullptr) return *slot.custom_sm;
    return *slot.sm;
  }
  // For tests that run their own coroutines (clients) next to the nodes.
  asio::io_context& io() { return io_; }
  wal::FaultFileSystem& fs(std::uint64_t id) { return *members_.at(id).fs; }
  transport::SimulatedNetwork& net() { return net_; }
  SimulatedClock& clock() { return clock_; }
  // Every member reports here (labelled by member id).
  InMemoryMetrics& metrics() { return metrics_; }
  std::vector<std::uint64_t> ids() const;
  std::uint64_t seed() const { return seed_; }

 private:
  struct Slot {
    std::unique_ptr<wal::FaultFileSystem> fs;
    std::unique_ptr<transport::Transport> endpoint;
    std::unique_ptr<RecordingStateMachine> sm;
    std::unique_ptr<StateMachine> custom_sm;
    std::unique_ptr<RaftNode> node;
    std::uint64_t crashes = 0;
  };
  void Down(std::uint64_t id, bool crash);

  std::uint64_t seed_;
  int founders_;
  std::function<void(RaftNodeOptions&)> tweak_;
  std::function<std::unique_ptr<StateMachine>()> sm_factory_;
  asio::io_context io_;
  SimulatedClock clock_;
  transport::SimulatedNetwork net_;
  InMemoryMetrics metrics_;
  Context ctx_;
  std::map<std::uint64_t, Slot> members_;
};

}  // namespace cohort::consensus::testing

#endif  // COHORT_TESTS_CONSENSUS_NODE_TEST_CLUSTER_H_
