// Per-request read modes: a kReadIndex read always takes a heartbeat round,
// a kLease read skips it only on a leader that allows leases, and a
// follower's forwarded read carries its mode to the leader.
#include <string>

#include "consensus/raft/core.h"
#include "consensus/raft/test_cluster.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft {
namespace {

using testing::TestCluster;

void WithLeases(CoreOptions& o) { o.lease_reads = true; }

bool IsHeartbeat(const Message& m) {
  return m.type == MessageType::kHeartbeat || m.type == MessageType::kHeartbeatResp;
}

TEST(CoreReadModeTest, ReadIndexModeTakesTheRoundEvenUnderAValidLease) {
  TestCluster c(3, 3, WithLeases);
  const NodeId leader = c.ElectLeader();
  ASSERT_NE(leader, kNoNode);
  c.Tick(3);
  ASSERT_TRUE(c[leader].ReadIndex("lease", ReadMode::kLease).ok());
  c.Process();
  ASSERT_EQ(c.reads(leader).size(), 1u) << "the lease is valid, so a lease read answers at once";
  ASSERT_TRUE(c[leader].ReadIndex("quorum", ReadMode::kReadIndex).ok());
  c.Process();
  EXPECT_EQ(c.reads(leader).size(), 1u) << "a kReadIndex read was served from the lease";
  c.Deliver(IsHeartbeat);
  EXPECT_EQ(c.reads(leader).size(), 1u) << "a kReadIndex read was served without its round";
  c.Tick();  // The next heartbeat round gets through.
  ASSERT_EQ(c.reads(leader).size(), 2u);
  EXPECT_EQ(c.reads(leader)[1].context, "quorum");
  EXPECT_TRUE(c.reads(leader)[1].ok);
}

TEST(CoreReadModeTest, LeaseModeOnALeaderWithoutLeasesTakesTheRound) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  ASSERT_NE(leader, kNoNode);
  c.Tick(3);
  ASSERT_TRUE(c[leader].ReadIndex("lease", ReadMode::kLease).ok());
  c.Process();
  EXPECT_TRUE(c.reads(leader).empty()) << "lease_reads is off, yet a lease answered";
  c.Deliver();
  ASSERT_EQ(c.reads(leader).size(), 1u);
  EXPECT_TRUE(c.reads(leader)[0].ok);
}

TEST(CoreReadModeTest, FollowerForwardsItsModeToTheLeader) {
  TestCluster c(3, 3, WithLeases);
  const NodeId leader = c.ElectLeader();
  ASSERT_NE(leader, kNoNode);
  c.Tick(3);
  const NodeId follower = leader % 3 + 1;
  ASSERT_TRUE(c[follower].ReadIndex("fl", ReadMode::kLease).ok());
  ASSERT_TRUE(c[follower].ReadIndex("fq", ReadMode::kReadIndex).ok());
  c.Process();
  int forwarded = 0;
  for (const Message& m : c.queue()) {
    if (m.type != MessageType::kReadIndex) continue;
    ++forwarded;
    EXPECT_EQ(m.lease_read, m.context == "fl") << m.context;
  }
  EXPECT_EQ(forwarded, 2);
  // Without heartbeats only the lease read can be answered.
  c.Deliver(IsHeartbeat);
  ASSERT_EQ(c.reads(follower).size(), 1u);
  EXPECT_EQ(c.reads(follower)[0].context, "fl");
  EXPECT_TRUE(c.reads(follower)[0].ok);
  c.Tick();  // The next heartbeat round gets through.
  ASSERT_EQ(c.reads(follower).size(), 2u);
  EXPECT_EQ(c.reads(follower)[1].context, "fq");
  EXPECT_TRUE(c.reads(follower)[1].ok);
}

}  // namespace
}  // namespace cohort::consensus::raft
