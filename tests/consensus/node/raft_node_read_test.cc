// Read barriers on the leader and on followers, with ReadIndex and leases.
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

const int kSeeds = SeedCount(20);

// After a write is acknowledged anywhere, a barrier on any member returns
// only once that member's state machine holds the write.
void ReadsSeeEveryAcknowledgedWrite(bool lease, std::uint64_t seed) {
  SCOPED_TRACE(absl::StrCat("seed ", seed, lease ? " lease" : " read-index"));
  TestCluster c(3, seed, [lease](RaftNodeOptions& o) { o.lease_reads = lease; });
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const ReadConsistency consistency =
      lease ? ReadConsistency::kLease : ReadConsistency::kLinearizable;
  for (int i = 0; i < 5; ++i) {
    const std::string command = absl::StrCat("v", i);
    auto applied = c.Propose(leader, command);
    ASSERT_THAT(applied.status(), IsOk());
    for (std::uint64_t id : c.ids()) {
      auto read = c.ReadBarrier(id, consistency);
      ASSERT_THAT(read.status(), IsOk()) << "member " << id;
      EXPECT_GE(*read, applied->index) << "member " << id;
      const auto commands = c.sm(id).commands();
      ASSERT_FALSE(commands.empty());
      EXPECT_EQ(commands.back(), command) << "member " << id;
    }
  }
}

TEST(RaftNodeRead, ReadIndexBarrierIsLinearizableOnLeaderAndFollowers) {
  for (int seed = 1; seed <= kSeeds; ++seed) ReadsSeeEveryAcknowledgedWrite(false, seed);
}

TEST(RaftNodeRead, LeaseBarrierIsLinearizableOnLeaderAndFollowers) {
  for (int seed = 1; seed <= kSeeds; ++seed) ReadsSeeEveryAcknowledgedWrite(true, seed);
}

TEST(RaftNodeRead, IsolatedLeaderCannotServeReads) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    std::vector<std::string> others;
    for (std::uint64_t id : c.ids()) {
      if (id != leader) others.push_back(TestCluster::Address(id));
    }
    c.net().Partition({TestCluster::Address(leader)}, others);
    auto read = c.ReadBarrier(leader);
    EXPECT_FALSE(read.ok());
    EXPECT_TRUE(read.status().code() == absl::StatusCode::kDeadlineExceeded ||
                read.status().code() == absl::StatusCode::kUnavailable)
        << read.status();
  }
}

TEST(RaftNodeRead, NoLeaderKnownIsUnavailable) {
  TestCluster c(3, 9);
  ASSERT_THAT(c.Start(1), IsOk());
  EXPECT_THAT(c.ReadBarrier(1).status(), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace cohort::consensus::testing
