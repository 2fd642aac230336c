// Crashes (unsynced data lost) and partitions.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;

const int kSeeds = SeedCount(20);

// Every member applied the same sequence, and it holds every acknowledged
// command.
void ExpectConverged(TestCluster& c, const std::set<std::string>& acked) {
  std::vector<std::string> reference;
  for (std::uint64_t id : c.ids()) {
    if (!c.up(id)) continue;
    std::vector<std::string> commands = c.sm(id).commands();
    if (reference.empty()) reference = commands;
    EXPECT_EQ(commands, reference) << "member " << id;
  }
  std::set<std::string> applied(reference.begin(), reference.end());
  EXPECT_EQ(applied.size(), reference.size()) << "a command was applied twice";
  for (const std::string& a : acked) EXPECT_TRUE(applied.count(a) > 0) << "lost " << a;
}

TEST(RaftNodeFault, LeaderCrashAndRestartLosesNoAcknowledgedWrite) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    std::set<std::string> acked;
    for (int round = 0; round < 3; ++round) {
      const std::uint64_t leader = c.WaitForLeader();
      ASSERT_NE(leader, 0u) << "round " << round;
      std::vector<std::string> batch;
      for (int i = 0; i < 30; ++i) batch.push_back(absl::StrCat("r", round, "-", i));
      // Half are acknowledged before the crash; the rest are in flight.
      auto first = c.ProposeMany(leader, {batch.begin(), batch.begin() + 15});
      for (std::size_t i = 0; i < first.size(); ++i) {
        ASSERT_THAT(first[i].status(), IsOk()) << batch[i];
        acked.insert(batch[i]);
      }
      c.ProposeAsync(leader, {batch.begin() + 15, batch.end()});
      c.RunFor(absl::Milliseconds(seed % 4));
      c.Crash(leader);
      ASSERT_NE(c.WaitForLeader(), 0u);
      auto after = c.ProposeMany(c.WaitForLeader(), {absl::StrCat("after", round)});
      ASSERT_THAT(after[0].status(), IsOk());
      acked.insert(absl::StrCat("after", round));
      ASSERT_THAT(c.Start(leader), IsOk());
      ASSERT_TRUE(c.WaitForApplied(after[0]->index));
    }
    ExpectConverged(c, acked);
  }
}

TEST(RaftNodeFault, MinorityCannotCommitAndMajorityContinues) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(5, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t old_leader = c.WaitForLeader();
    ASSERT_NE(old_leader, 0u);
    ASSERT_THAT(c.Propose(old_leader, "before").status(), IsOk());
    const std::uint64_t buddy = old_leader % 5 + 1;
    std::vector<std::string> minority = {TestCluster::Address(old_leader),
                                         TestCluster::Address(buddy)};
    std::vector<std::string> majority;
    for (std::uint64_t id : c.ids()) {
      if (id != old_leader && id != buddy) majority.push_back(TestCluster::Address(id));
    }
    c.net().Partition(minority, majority);
    // The old leader cannot commit: its proposal times out or is refused
    // once it notices it lost the quorum.
    auto stuck = c.Propose(old_leader, "minority", absl::Seconds(3));
    EXPECT_FALSE(stuck.ok());
    EXPECT_TRUE(stuck.status().code() == absl::StatusCode::kDeadlineExceeded ||
                stuck.status().code() == absl::StatusCode::kUnavailable)
        << stuck.status();
    // The majority elects a leader among itself and commits.
    std::uint64_t new_leader = 0;
    for (int i = 0; i < 100 && new_leader == 0; ++i) {
      c.RunFor(absl::Milliseconds(100));
      for (std::uint64_t id : c.ids()) {
        if (id != old_leader && id != buddy && c.node(id)->Status().role == Role::kLeader) {
          new_leader = id;
        }
      }
    }
    ASSERT_NE(new_leader, 0u);
    auto committed = c.Propose(new_leader, "majority");
    ASSERT_THAT(committed.status(), IsOk());
    EXPECT_NE(c.node(old_leader)->Status().role, Role::kLeader);
    c.net().Heal();
    ASSERT_TRUE(c.WaitForApplied(committed->index));
    ExpectConverged(c, {"before", "majority"});
    for (std::uint64_t id : c.ids()) {
      for (const std::string& cmd : c.sm(id).commands()) EXPECT_NE(cmd, "minority") << id;
    }
  }
}

TEST(RaftNodeFault, LossyReorderingNetworkStillAppliesOnceInOrder) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    transport::LinkOptions link;
    link.min_delay = absl::Milliseconds(1);
    link.max_delay = absl::Milliseconds(30);
    link.loss = 0.05;
    link.duplicate = 0.05;
    ASSERT_THAT(c.net().SetDefaultLink(link), IsOk());
    ASSERT_THAT(c.StartAll(), IsOk());
    std::set<std::string> acked;
    for (int i = 0; i < 30; ++i) {
      const std::uint64_t leader = c.WaitForLeader();
      ASSERT_NE(leader, 0u);
      const std::string command = absl::StrCat("l", i);
      if (c.Propose(leader, command).ok()) acked.insert(command);
    }
    EXPECT_GE(acked.size(), 20u);
    ASSERT_THAT(c.net().SetDefaultLink({}), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    auto last = c.Propose(leader, "final");
    ASSERT_THAT(last.status(), IsOk());
    acked.insert("final");
    ASSERT_TRUE(c.WaitForApplied(last->index));
    ExpectConverged(c, acked);
  }
}

TEST(RaftNodeFault, WholeClusterRestartKeepsEverySyncedEntry) {
  for (int seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    std::vector<std::string> commands;
    for (int i = 0; i < 20; ++i) commands.push_back(absl::StrCat("w", i));
    for (const auto& r : c.ProposeMany(leader, commands)) ASSERT_THAT(r.status(), IsOk());
    for (std::uint64_t id : c.ids()) c.Crash(id);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t again = c.WaitForLeader();
    ASSERT_NE(again, 0u);
    auto next = c.Propose(again, "after");
    ASSERT_THAT(next.status(), IsOk());
    ASSERT_TRUE(c.WaitForApplied(next->index));
    commands.push_back("after");
    for (std::uint64_t id : c.ids()) EXPECT_EQ(c.sm(id).commands(), commands) << id;
  }
}

}  // namespace
}  // namespace cohort::consensus::testing
