// Snapshots: local compaction, install on lagging and new members, restart
// from a snapshot, and a damaged snapshot refusing to start.
#include <string>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

const int kSeeds = SeedCount(10);

void Small(RaftNodeOptions& o) { o.snapshot_threshold = 10; }

Awaitable<absl::Status> Add(RaftNode* node, Member member, absl::Time deadline) {
  co_return co_await node->AddMember(member, deadline);
}

TEST(RaftNodeSnapshot, LaggingFollowerGetsSnapshotAfterRestart) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, Small);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    const std::uint64_t lagging = leader % 3 + 1;
    c.Crash(lagging);
    std::vector<std::string> commands;
    for (int i = 0; i < 60; ++i) commands.push_back(absl::StrCat("s", i));
    const absl::StatusOr<std::uint64_t> proposed = c.ProposeAll(leader, commands);
    ASSERT_THAT(proposed.status(), IsOk());
    const std::uint64_t last = *proposed;
    c.RunFor(absl::Seconds(1));
    EXPECT_GT(c.node(leader)->Status().snapshot_index, 0u);
    ASSERT_THAT(c.Start(lagging), IsOk());
    ASSERT_TRUE(c.WaitForApplied(last));
    EXPECT_GE(c.sm(lagging).restores(), 1u);
    EXPECT_EQ(c.sm(lagging).commands(), commands);
    EXPECT_EQ(c.sm(leader).commands(), commands);
  }
}

TEST(RaftNodeSnapshot, NewMemberIsSeededFromSnapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, Small);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    std::vector<std::string> commands;
    for (int i = 0; i < 40; ++i) commands.push_back(absl::StrCat("n", i));
    for (const auto& r : c.ProposeMany(leader, commands)) ASSERT_THAT(r.status(), IsOk());
    c.RunFor(absl::Seconds(1));
    ASSERT_THAT(c.Start(4, /*founder=*/false), IsOk());
    auto added = c.Run(Add(c.node(leader), {4, TestCluster::Address(4)},
                           c.clock().Now() + absl::Seconds(30)));
    ASSERT_TRUE(added.has_value());
    ASSERT_THAT(*added, IsOk());
    auto last = c.Propose(leader, "last");
    ASSERT_THAT(last.status(), IsOk());
    ASSERT_TRUE(c.WaitForApplied(last->index));
    commands.push_back("last");
    EXPECT_GE(c.sm(4).restores(), 1u);
    EXPECT_EQ(c.sm(4).commands(), commands);
  }
}

TEST(RaftNodeSnapshot, RestartRestoresFromOwnSnapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, Small);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    std::vector<std::string> commands;
    for (int i = 0; i < 35; ++i) commands.push_back(absl::StrCat("o", i));
    const absl::StatusOr<std::uint64_t> proposed = c.ProposeAll(leader, commands);
    ASSERT_THAT(proposed.status(), IsOk());
    const std::uint64_t last = *proposed;
    ASSERT_TRUE(c.WaitForApplied(last));
    c.RunFor(absl::Seconds(1));
    for (std::uint64_t id : c.ids()) c.Crash(id);
    ASSERT_THAT(c.StartAll(), IsOk());
    for (std::uint64_t id : c.ids()) EXPECT_EQ(c.sm(id).restores(), 1u) << id;
    ASSERT_TRUE(c.WaitForApplied(last));
    for (std::uint64_t id : c.ids()) EXPECT_EQ(c.sm(id).commands(), commands) << id;
  }
}

TEST(RaftNodeSnapshot, DamagedSnapshotRefusesToStartWithDataLoss) {
  TestCluster c(3, 4, Small);
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  std::vector<std::string> commands;
  for (int i = 0; i < 30; ++i) commands.push_back(absl::StrCat("d", i));
  for (const auto& r : c.ProposeMany(leader, commands)) ASSERT_THAT(r.status(), IsOk());
  c.RunFor(absl::Seconds(1));
  ASSERT_GT(c.node(1)->Status().snapshot_index, 0u);
  c.Stop(1);
  const std::string dir = "/raft/data/snap";
  auto names = c.fs(1).List(dir);
  ASSERT_THAT(names.status(), IsOk());
  int damaged = 0;
  for (const std::string& name : *names) {
    ASSERT_THAT(c.fs(1).SetContents(absl::StrCat(dir, "/", name), "not a snapshot"), IsOk());
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  EXPECT_THAT(c.Start(1), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("AddMember")));
}

}  // namespace
}  // namespace cohort::consensus::testing
