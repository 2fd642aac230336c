// Elections, replication in order, leader hints, limits and options.
#include <string>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

const int kSeeds = SeedCount(20);

void ElectCommitApply(int members, std::uint64_t seed) {
  SCOPED_TRACE(absl::StrCat("seed ", seed, ", ", members, " members"));
  TestCluster c(members, seed);
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  std::vector<std::string> expected;
  std::uint64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string command = absl::StrCat("cmd", i);
    auto applied = c.Propose(leader, command);
    ASSERT_THAT(applied.status(), IsOk());
    ASSERT_THAT(applied->result.status(), IsOk());
    EXPECT_EQ(*applied->result, absl::StrCat(command, "@", applied->index));
    EXPECT_GT(applied->index, last);
    last = applied->index;
    expected.push_back(command);
  }
  ASSERT_TRUE(c.WaitForApplied(last));
  for (std::uint64_t id : c.ids()) EXPECT_EQ(c.sm(id).commands(), expected) << "member " << id;
}

TEST(RaftNodeBasic, ThreeMembersElectCommitAndApplyInOrder) {
  for (int seed = 1; seed <= kSeeds; ++seed) ElectCommitApply(3, seed);
}

TEST(RaftNodeBasic, FiveMembersElectCommitAndApplyInOrder) {
  for (int seed = 1; seed <= kSeeds; ++seed) ElectCommitApply(5, seed);
}

TEST(RaftNodeBasic, ConcurrentProposalsShareFsyncsAndAllApply) {
  for (int seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    std::vector<std::string> commands;
    for (int i = 0; i < 200; ++i) commands.push_back(absl::StrCat("p", i));
    const std::uint64_t syncs_before = c.fs(leader).steps();
    auto results = c.ProposeMany(leader, commands);
    std::uint64_t last = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      ASSERT_THAT(results[i].status(), IsOk()) << "proposal " << i;
      last = std::max(last, results[i]->index);
    }
    // Far fewer file-system calls than proposals: one append per batch.
    EXPECT_LT(c.fs(leader).steps() - syncs_before, 200u);
    ASSERT_TRUE(c.WaitForApplied(last));
    for (std::uint64_t id : c.ids()) EXPECT_EQ(c.sm(id).commands(), commands) << id;
  }
}

TEST(RaftNodeBasic, FollowerAnswersUnavailableWithLeaderHint) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed);
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    const std::uint64_t follower = leader % 3 + 1;
    auto result = c.Propose(follower, "x");
    ASSERT_THAT(result.status(), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_TRUE(WasNotSent(result.status()));
    auto hint = LeaderHintOf(result.status());
    ASSERT_TRUE(hint.has_value());
    EXPECT_EQ(hint->id, leader);
    EXPECT_EQ(hint->address, TestCluster::Address(leader));
    GroupStatus status = c.node(follower)->Status();
    EXPECT_EQ(status.role, Role::kFollower);
    EXPECT_EQ(status.members.size(), 3u);
    GroupStatus leader_status = c.node(leader)->Status();
    EXPECT_EQ(leader_status.role, Role::kLeader);
    EXPECT_EQ(leader_status.peers.size(), 2u);
  }
}

TEST(RaftNodeBasic, ProposalOverLimitIsInvalidArgument) {
  TestCluster c(3, 1, [](RaftNodeOptions& o) { o.max_proposal_bytes = 100; });
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  EXPECT_THAT(c.Propose(leader, std::string(101, 'x')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_proposal_bytes")));
  EXPECT_THAT(c.Propose(leader, std::string(100, 'x')).status(), IsOk());
  EXPECT_THAT(c.Propose(leader, "").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RaftNodeBasic, StateMachineErrorsReachTheProposer) {
  TestCluster c(3, 3);
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto applied = c.Propose(leader, "fail-please");
  ASSERT_THAT(applied.status(), IsOk());
  EXPECT_THAT(applied->result.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RaftNodeBasic, DataDirectoryOfAnotherClusterOrMemberIsRefused) {
  TestCluster c(3, 5);
  ASSERT_THAT(c.StartAll(), IsOk());
  ASSERT_NE(c.WaitForLeader(), 0u);
  c.Stop(1);
  RaftNodeOptions options = c.OptionsFor(1);
  options.cluster_id = 8;
  EXPECT_THAT(c.StartWith(1, options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cluster")));
  options = c.OptionsFor(1);
  options.id = 9;
  EXPECT_THAT(c.StartWith(1, options), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(c.Start(1), IsOk());
}

TEST(RaftNodeBasic, OptionsAreValidatedWithActionableMessages) {
  RaftNodeOptions o;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  o.id = 1;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cluster_id")));
  o.cluster_id = 1;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("data_dir")));
  o.data_dir = "/d";
  EXPECT_THAT(o.Validate(), IsOk());
  o.election_ticks = 1;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("election_ticks")));
  o.election_ticks = 10;
  o.lease_reads = true;
  o.check_quorum = false;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check_quorum")));
  o.check_quorum = true;
  o.max_proposal_bytes = 0;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_proposal_bytes")));
  o.max_proposal_bytes = 10;
  o.members = {{1, "a"}, {1, "b"}};
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

}  // namespace
}  // namespace cohort::consensus::testing
