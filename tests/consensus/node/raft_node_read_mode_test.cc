// ReadOptions::consistency chosen per call: kLease needs lease_reads, and
// kLinearizable confirms leadership with a quorum round even when leases are
// enabled.
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
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

const int kSeeds = SeedCount(10);

TEST(RaftNodeReadMode, LeaseReadWithoutLeaseReadsSaysHowToEnableIt) {
  TestCluster c(3, 5);
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  for (std::uint64_t id : c.ids()) {
    EXPECT_THAT(c.ReadBarrier(id, ReadConsistency::kLease).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease_reads = true")))
        << "member " << id;
    EXPECT_THAT(c.ReadBarrier(id, ReadConsistency::kLinearizable).status(), IsOk());
  }
}

// Cut off from its followers, a leader with a fresh lease still answers
// lease reads (within the lease) but never a linearizable one: that one
// waits for a heartbeat quorum that cannot come.
TEST(RaftNodeReadMode, LinearizableReadTakesTheQuorumRoundEvenWithLeases) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, [](RaftNodeOptions& o) { o.lease_reads = true; });
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    auto applied = c.Propose(leader, "x");
    ASSERT_THAT(applied.status(), IsOk());
    ASSERT_THAT(c.ReadBarrier(leader, ReadConsistency::kLinearizable).status(), IsOk());
    std::vector<std::string> others;
    for (std::uint64_t id : c.ids()) {
      if (id != leader) others.push_back(TestCluster::Address(id));
    }
    c.net().Partition({TestCluster::Address(leader)}, others);
    auto lease = c.ReadBarrier(leader, ReadConsistency::kLease);
    ASSERT_THAT(lease.status(), IsOk()) << "the lease was fresh";
    EXPECT_GE(*lease, applied->index);
    auto linearizable = c.ReadBarrier(leader, ReadConsistency::kLinearizable);
    EXPECT_FALSE(linearizable.ok()) << "answered without a quorum round";
    EXPECT_TRUE(linearizable.status().code() == absl::StatusCode::kDeadlineExceeded ||
                linearizable.status().code() == absl::StatusCode::kUnavailable)
        << linearizable.status();
  }
}

// With leases on, both modes stay linearizable on followers, which forward
// the request (and its mode) to the leader.
TEST(RaftNodeReadMode, FollowersServeBothModesWithLeasesOn) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, [](RaftNodeOptions& o) { o.lease_reads = true; });
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    for (int i = 0; i < 3; ++i) {
      const std::string command = absl::StrCat("m", i);
      auto applied = c.Propose(leader, command);
      ASSERT_THAT(applied.status(), IsOk());
      for (std::uint64_t id : c.ids()) {
        for (ReadConsistency mode : {ReadConsistency::kLease, ReadConsistency::kLinearizable}) {
          auto read = c.ReadBarrier(id, mode);
          ASSERT_THAT(read.status(), IsOk()) << "member " << id;
          EXPECT_GE(*read, applied->index);
          EXPECT_EQ(c.sm(id).commands().back(), command) << "member " << id;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cohort::consensus::testing
