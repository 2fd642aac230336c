// Linearizable reads (ReadIndex, leases) and leadership transfer.
#include <string>

#include "cohort/testing/status_matchers.h"
#include "consensus/raft/core.h"
#include "consensus/raft/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft {
namespace {

using ::cohort::testing::StatusIs;
using testing::TestCluster;

TEST(CoreReadTest, LeaderReadWaitsForAHeartbeatQuorum) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  ASSERT_TRUE(c[leader].Propose("x").ok());
  c.Deliver();
  const Index commit = c[leader].commit();
  ASSERT_TRUE(c[leader].ReadIndex("r1").ok());
  c.Process();
  EXPECT_TRUE(c.reads(leader).empty()) << "released before leadership was confirmed";
  c.Deliver();
  ASSERT_EQ(c.reads(leader).size(), 1u);
  EXPECT_EQ(c.reads(leader)[0].context, "r1");
  EXPECT_TRUE(c.reads(leader)[0].ok);
  EXPECT_EQ(c.reads(leader)[0].index, commit);
}

TEST(CoreReadTest, IsolatedLeaderNeverConfirmsAndFailsTheReadOnStepDown) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  c.Isolate(leader);
  ASSERT_TRUE(c[leader].ReadIndex("r1").ok());
  c.Tick(5);
  EXPECT_TRUE(c.reads(leader).empty());
  c.Tick(20);  // CheckQuorum: steps down, failing the read.
  ASSERT_EQ(c.reads(leader).size(), 1u);
  EXPECT_FALSE(c.reads(leader)[0].ok);
}

TEST(CoreReadTest, NewLeaderServesReadsOnlyAfterCommittingInItsTerm) {
  TestCluster c(3);
  // Hold every append so that the no-op cannot commit yet.
  NodeId leader = kNoNode;
  for (int i = 0; i < 100 && leader == kNoNode; ++i) {
    for (NodeId id = 1; id <= 3; ++id) c[id].Tick();
    c.Deliver([](const Message& m) { return m.type == MessageType::kAppend; });
    for (NodeId id = 1; id <= 3; ++id) {
      if (c[id].role() == CoreRole::kLeader) leader = id;
    }
  }
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(c[leader].ReadIndex("early").ok());
  c.Deliver([](const Message& m) { return m.type == MessageType::kAppend; });
  EXPECT_TRUE(c.reads(leader).empty()) << "served before this term's first commit";
  c.Tick(3);
  ASSERT_EQ(c.reads(leader).size(), 1u);
  EXPECT_TRUE(c.reads(leader)[0].ok);
  EXPECT_GE(c.reads(leader)[0].index, 2u);
}

TEST(CoreReadTest, FollowerReadIsForwardedToTheLeader) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  const NodeId follower = leader == 1 ? 2 : 1;
  ASSERT_TRUE(c[follower].ReadIndex("f1").ok());
  c.Deliver();
  ASSERT_EQ(c.reads(follower).size(), 1u);
  EXPECT_TRUE(c.reads(follower)[0].ok);
  EXPECT_EQ(c.reads(follower)[0].index, c[leader].commit());
  EXPECT_TRUE(c.reads(leader).empty());
}

TEST(CoreReadTest, ReadWithoutAKnownLeaderIsUnavailable) {
  TestCluster c(3);
  EXPECT_THAT(c[1].ReadIndex("r"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(CoreReadTest, LeaseReadsSkipTheRoundOnlyWhileTheLeaseHolds) {
  TestCluster c(3, 3, [](CoreOptions& o) { o.lease_reads = true; });
  const NodeId leader = c.ElectLeader();
  c.Tick(3);
  ASSERT_TRUE(c[leader].ReadIndex("lease", ReadMode::kLease).ok());
  c.Process();
  ASSERT_EQ(c.reads(leader).size(), 1u) << "a valid lease answers at once";
  c.Isolate(leader);
  c.Tick(9);  // Lease: election_ticks - drift = 8 ticks from the last acked round.
  // Still the leader (or already stepped down by CheckQuorum): either way no
  // answer without a quorum.
  (void)c[leader].ReadIndex("expired", ReadMode::kLease);
  c.Process();
  EXPECT_EQ(c.reads(leader).size(), 1u) << "served from an expired lease";
}

TEST(CoreTransferTest, TransferHandsLeadershipToTheTarget) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  const NodeId target = leader == 3 ? 1 : 3;
  ASSERT_TRUE(c[leader].TransferLeadership(target).ok());
  EXPECT_THAT(c[leader].Propose("x").status(), StatusIs(absl::StatusCode::kUnavailable));
  c.Deliver();
  EXPECT_EQ(c[target].role(), CoreRole::kLeader);
  EXPECT_EQ(c[leader].role(), CoreRole::kFollower);
  c.Tick(1);
  EXPECT_EQ(c[leader].leader(), target);
}

TEST(CoreTransferTest, TransferCatchesTheTargetUpFirst) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  const NodeId target = leader == 3 ? 1 : 3;
  c.Isolate(target);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c[leader].Propose("x").ok());
  c.Deliver();
  c.Heal();
  ASSERT_TRUE(c[leader].TransferLeadership(target).ok());
  c.Tick(2);
  EXPECT_EQ(c[target].role(), CoreRole::kLeader);
  EXPECT_GE(c[target].log().LastIndex(), 7u);
}

TEST(CoreTransferTest, UnreachableTargetAbortsAfterAnElectionTimeout) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  const NodeId target = leader == 3 ? 1 : 3;
  c.Isolate(target);
  ASSERT_TRUE(c[leader].TransferLeadership(target).ok());
  EXPECT_EQ(c[leader].transfer_target(), target);
  c.Tick(10);
  EXPECT_EQ(c[leader].transfer_target(), kNoNode);
  EXPECT_EQ(c[leader].role(), CoreRole::kLeader);
  EXPECT_TRUE(c[leader].Propose("x").ok());
}

TEST(CoreTransferTest, OnlyLeadersTransferAndOnlyToVoters) {
  TestCluster c(3, 4);
  const NodeId leader = c.ElectLeader();
  const NodeId follower = leader == 1 ? 2 : 1;
  EXPECT_THAT(c[follower].TransferLeadership(leader), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(c[leader].TransferLeadership(4), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::consensus::raft
