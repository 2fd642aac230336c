// Deterministic simulation of a Raft group built from Cores: a seeded
// scheduler delivers messages with loss, duplication, reordering and delay,
// symmetric and one-way partitions, crashes that keep only what each member
// had persisted (the Ready contract), slow and stalled disks, client
// proposals, reads, leadership transfers, membership changes and log
// compaction. The Checker verifies the safety properties after every step;
// after the faults heal the group must elect a leader and commit within a
// bounded number of ticks. A seed replays exactly.
#ifndef COHORT_TESTS_CONSENSUS_RAFT_SIM_H_
#define COHORT_TESTS_CONSENSUS_RAFT_SIM_H_

#include <cstdint>
#include <string>

namespace cohort::consensus::raft::sim {

struct SimConfig {
  std::uint64_t seed = 1;
  // Ticks with faults, then ticks allowed for recovery after healing.
  int fault_ticks = 150;
  // After healing: a leader within leader_ticks, a fresh proposal committed
  // within liveness_ticks.
  int leader_ticks = 100;
  int liveness_ticks = 1000;
  // Print every event (for replaying a failing seed).
  bool verbose = false;
};

struct SimResult {
  bool ok = true;
  std::string failure{};
  // A digest of every event: equal digests mean identical runs.
  std::uint64_t digest = 0;
  std::uint64_t steps = 0;
  std::uint64_t committed = 0;
  int leaders = 0;
  int crashes = 0;
  int snapshots_installed = 0;
  int conf_changes_applied = 0;
  int reads = 0;
  int transfers = 0;
};

SimResult RunSimulation(const SimConfig& config);

}  // namespace cohort::consensus::raft::sim

#endif  // COHORT_TESTS_CONSENSUS_RAFT_SIM_H_
