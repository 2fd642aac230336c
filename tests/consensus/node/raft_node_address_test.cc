// Addresses of members added later travel in the membership-change entry and
// in snapshots: a member that restarts can reach the new member before it has
// heard anything from it.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;

const int kSeeds = SeedCount(6);

Awaitable<absl::Status> Add(RaftNode* node, Member member, absl::Time deadline) {
  co_return co_await node->AddMember(member, deadline);
}

Awaitable<absl::Status> Transfer(RaftNode* node, std::uint64_t to, absl::Time deadline) {
  co_return co_await node->TransferLeadership(to, deadline);
}

std::string AddressIn(const GroupStatus& s, std::uint64_t id) {
  for (const Member& m : s.members) {
    if (m.id == id) return m.address;
  }
  return "";
}

// Adds member 4, restarts follower `f` (from its log, or from a snapshot that
// compacted the membership entries away when `compact`), keeps 4 silent
// towards f, and makes f the leader: 4 must hear from f.
void RestartedMemberReachesTheNewOne(std::uint64_t seed, bool compact) {
  SCOPED_TRACE(absl::StrCat("seed ", seed, compact ? " from snapshot" : " from log"));
  TestCluster c(3, seed, [compact](RaftNodeOptions& o) {
    if (compact) o.snapshot_threshold = 10;
  });
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_THAT(c.Start(4, /*founder=*/false), IsOk());
  auto added =
      c.Run(Add(c.node(leader), {4, TestCluster::Address(4)}, c.clock().Now() + absl::Seconds(30)));
  ASSERT_TRUE(added.has_value());
  ASSERT_THAT(*added, IsOk());
  const std::uint64_t add_index = c.node(leader)->Status().commit_index;
  std::vector<std::string> commands;
  for (int i = 0; i < (compact ? 30 : 3); ++i) commands.push_back(absl::StrCat("a", i));
  const absl::StatusOr<std::uint64_t> proposed = c.ProposeAll(leader, commands);
  ASSERT_THAT(proposed.status(), IsOk());
  const std::uint64_t last = *proposed;
  ASSERT_TRUE(c.WaitForApplied(last));
  c.RunFor(absl::Seconds(1));
  const std::uint64_t f = leader % 3 + 1;
  if (compact) {
    ASSERT_GT(c.node(f)->Status().snapshot_index, add_index);
  }
  c.Stop(f);
  // From now on f hears nothing from 4.
  c.net().Block(TestCluster::Address(4), TestCluster::Address(f));
  ASSERT_THAT(c.Start(f), IsOk());
  c.RunFor(absl::Seconds(1));
  EXPECT_EQ(AddressIn(c.node(f)->Status(), 4), TestCluster::Address(4));
  auto moved = c.Run(Transfer(c.node(leader), f, c.clock().Now() + absl::Seconds(10)));
  ASSERT_TRUE(moved.has_value());
  ASSERT_THAT(*moved, IsOk());
  c.RunFor(absl::Seconds(1));
  const GroupStatus four = c.node(4)->Status();
  ASSERT_TRUE(four.leader.has_value());
  EXPECT_EQ(four.leader->id, f) << "member 4 never heard from the new leader";
  EXPECT_EQ(four.term, c.node(f)->Status().term);
  // Once 4 can answer, it replicates from f as usual.
  c.net().Heal();
  auto after = c.Propose(f, "after");
  ASSERT_THAT(after.status(), IsOk());
  ASSERT_TRUE(c.WaitForApplied(4, after->index, absl::Seconds(30)));
  EXPECT_EQ(c.sm(4).commands().back(), "after");
}

TEST(RaftNodeAddress, RestartedMemberLearnsTheAddressFromItsLog) {
  for (int seed = 1; seed <= kSeeds; ++seed) RestartedMemberReachesTheNewOne(seed, false);
}

TEST(RaftNodeAddress, RestartedMemberLearnsTheAddressFromItsSnapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) RestartedMemberReachesTheNewOne(seed, true);
}

// A member added after 4 installs the leader's snapshot and knows 4's
// address without any message from 4.
TEST(RaftNodeAddress, MemberSeededBySnapshotKnowsEarlierAddedMembers) {
  TestCluster c(3, 3, [](RaftNodeOptions& o) { o.snapshot_threshold = 10; });
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_THAT(c.Start(4, /*founder=*/false), IsOk());
  auto added =
      c.Run(Add(c.node(leader), {4, TestCluster::Address(4)}, c.clock().Now() + absl::Seconds(30)));
  ASSERT_TRUE(added.has_value());
  ASSERT_THAT(*added, IsOk());
  std::vector<std::string> commands;
  for (int i = 0; i < 30; ++i) commands.push_back(absl::StrCat("b", i));
  for (const auto& r : c.ProposeMany(leader, commands)) ASSERT_THAT(r.status(), IsOk());
  c.RunFor(absl::Seconds(1));
  c.net().Block(TestCluster::Address(4), TestCluster::Address(5));
  ASSERT_THAT(c.Start(5, /*founder=*/false), IsOk());
  auto five = c.Run(Add(c.node(leader), {5, TestCluster::Address(5), /*learner=*/true},
                        c.clock().Now() + absl::Seconds(30)));
  ASSERT_TRUE(five.has_value());
  ASSERT_THAT(*five, IsOk());
  c.RunFor(absl::Seconds(1));
  EXPECT_GE(c.sm(5).restores(), 1u);
  EXPECT_EQ(AddressIn(c.node(5)->Status(), 4), TestCluster::Address(4));
}

}  // namespace
}  // namespace cohort::consensus::testing
