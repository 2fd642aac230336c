// The simulation itself: seeds replay exactly, and the fault and feature
// mix really happens (a harness that never crashes anyone proves nothing).
#include "consensus/raft/sim.h"

#include "gtest/gtest.h"

namespace cohort::consensus::raft::sim {
namespace {

TEST(RaftSimulationTest, ASeedReplaysExactly) {
  for (std::uint64_t seed : {1u, 77u, 4242u}) {
    SimConfig config;
    config.seed = seed;
    const SimResult a = RunSimulation(config);
    const SimResult b = RunSimulation(config);
    ASSERT_TRUE(a.ok) << a.failure;
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ(a.steps, b.steps);
    EXPECT_EQ(a.committed, b.committed);
  }
}

TEST(RaftSimulationTest, TwoHundredSeedsExerciseEveryFault) {
  SimResult total;
  for (std::uint64_t seed = 1000; seed < 1200; ++seed) {
    SimConfig config;
    config.seed = seed;
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\nreplay: raft_sim --seed=" << seed << " --verbose";
    total.committed += r.committed;
    total.crashes += r.crashes;
    total.snapshots_installed += r.snapshots_installed;
    total.conf_changes_applied += r.conf_changes_applied;
    total.reads += r.reads;
    total.transfers += r.transfers;
    total.leaders += r.leaders;
  }
  EXPECT_GT(total.committed, 10000u);
  EXPECT_GT(total.crashes, 100);
  EXPECT_GT(total.snapshots_installed, 100);
  EXPECT_GT(total.conf_changes_applied, 500);
  EXPECT_GT(total.reads, 500);
  EXPECT_GT(total.transfers, 10);
  EXPECT_GT(total.leaders, 300);
}

}  // namespace
}  // namespace cohort::consensus::raft::sim
