// Adding, removing and transferring leadership between members.
#include <algorithm>
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

const int kSeeds = SeedCount(10);

Awaitable<absl::Status> Add(RaftNode* node, Member member, absl::Time deadline) {
  co_return co_await node->AddMember(member, deadline);
}
Awaitable<absl::Status> Remove(RaftNode* node, std::uint64_t id, absl::Time deadline) {
  co_return co_await node->RemoveMember(id, deadline);
}
Awaitable<absl::Status> Transfer(RaftNode* node, std::uint64_t id, absl::Time deadline) {
  co_return co_await node->TransferLeadership(id, deadline);
}

bool IsVoter(const GroupStatus& s, std::uint64_t id) {
  return std::any_of(s.members.begin(), s.members.end(),
                     [id](const Member& m) { return m.id == id && !m.learner; });
}
bool IsMember(const GroupStatus& s, std::uint64_t id) {
  return std::any_of(s.members.begin(), s.members.end(),
                     [id](const Member& m) { return m.id == id; });
}

TEST(RaftNodeMembership, AddedMemberCatchesUpAndVotes) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    for (int i = 0; i < 10; ++i) ASSERT_THAT(c.Propose(leader, absl::StrCat("a", i)).status(), IsOk());
    ASSERT_THAT(c.Start(4, /*founder=*/false), IsOk());
    auto added = c.Run(Add(c.node(leader), {4, TestCluster::Address(4)},
                           c.clock().Now() + absl::Seconds(30)));
    ASSERT_TRUE(added.has_value());
    ASSERT_THAT(*added, IsOk());
    EXPECT_TRUE(IsVoter(c.node(leader)->Status(), 4));
    auto last = c.Propose(leader, "after-add");
    ASSERT_THAT(last.status(), IsOk());
    ASSERT_TRUE(c.WaitForApplied(last->index));
    EXPECT_EQ(c.sm(4).commands(), c.sm(leader).commands());
    EXPECT_TRUE(IsVoter(c.node(4)->Status(), 4));
    // Two of four members down: no quorum of 3 without the new voter.
    std::uint64_t down = 0;
    for (std::uint64_t id : {1, 2, 3}) {
      if (id != leader && down == 0) down = id;
    }
    c.Crash(down);
    auto with_new = c.Propose(leader, "needs-the-new-voter");
    ASSERT_THAT(with_new.status(), IsOk());
  }
}

TEST(RaftNodeMembership, RemovedFollowerAndRemovedLeader) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(5, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    const std::uint64_t follower = leader % 5 + 1;
    auto removed = c.Run(Remove(c.node(leader), follower, c.clock().Now() + absl::Seconds(30)));
    ASSERT_TRUE(removed.has_value());
    ASSERT_THAT(*removed, IsOk());
    EXPECT_FALSE(IsMember(c.node(leader)->Status(), follower));
    c.Stop(follower);
    ASSERT_THAT(c.Propose(leader, "four").status(), IsOk());
    // The leader removes itself and hands over.
    auto self = c.Run(Remove(c.node(leader), leader, c.clock().Now() + absl::Seconds(30)));
    ASSERT_TRUE(self.has_value());
    ASSERT_THAT(*self, IsOk());
    c.Stop(leader);
    const std::uint64_t next = c.WaitForLeader();
    ASSERT_NE(next, 0u);
    EXPECT_NE(next, leader);
    EXPECT_FALSE(IsMember(c.node(next)->Status(), leader));
    auto three = c.Propose(next, "three");
    ASSERT_THAT(three.status(), IsOk());
    ASSERT_TRUE(c.WaitForApplied(three->index));
  }
}

TEST(RaftNodeMembership, TransferLeadershipToChosenAndToBestVoter) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    const std::uint64_t target = leader % 3 + 1;
    auto moved = c.Run(Transfer(c.node(leader), target, c.clock().Now() + absl::Seconds(10)));
    ASSERT_TRUE(moved.has_value());
    ASSERT_THAT(*moved, IsOk());
    EXPECT_EQ(c.WaitForLeader(), target);
    ASSERT_THAT(c.Propose(target, "on-new-leader").status(), IsOk());
    auto again = c.Run(Transfer(c.node(target), 0, c.clock().Now() + absl::Seconds(10)));
    ASSERT_TRUE(again.has_value());
    ASSERT_THAT(*again, IsOk());
    const std::uint64_t third = c.WaitForLeader();
    EXPECT_NE(third, target);
    EXPECT_NE(third, 0u);
    // Only the leader transfers.
    const std::uint64_t follower = third % 3 + 1;
    auto refused = c.Run(Transfer(c.node(follower), third, c.clock().Now() + absl::Seconds(1)));
    ASSERT_TRUE(refused.has_value());
    EXPECT_THAT(*refused, StatusIs(absl::StatusCode::kUnavailable));
  }
}

}  // namespace
}  // namespace cohort::consensus::testing
