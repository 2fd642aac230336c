// Elections: randomized timeouts, term and vote rules, PreVote, CheckQuorum,
// the no-op, and stepping down on a stalled disk.
#include <algorithm>

#include "cohort/testing/status_matchers.h"
#include "consensus/raft/core.h"
#include "consensus/raft/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft {
namespace {

using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;
using testing::TestCluster;
using testing::TestOptions;

TEST(CoreOptionsTest, RejectsBadOptionsWithActionableMessages) {
  CoreOptions o = TestOptions(1);
  o.id = 0;
  EXPECT_THAT(ValidateCoreOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("id must be non-zero")));
  o = TestOptions(1);
  o.election_ticks = 1;
  EXPECT_THAT(ValidateCoreOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("election_ticks must be >")));
  o = TestOptions(1);
  o.lease_reads = true;
  o.check_quorum = false;
  EXPECT_THAT(ValidateCoreOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("lease_reads requires")));
  o = TestOptions(1);
  o.lease_drift_ticks = 10;
  EXPECT_THAT(ValidateCoreOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("lease_drift_ticks must be in")));
  EXPECT_THAT(Core::Create(o, RestoreState{}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CoreRestoreTest, RefusesCommitPastTheDurableLog) {
  RestoreState state = BootstrapState({1, 2, 3});
  state.hard_state.commit = 5;
  EXPECT_THAT(Core::Create(TestOptions(1), state).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("past the last durable entry")));
}

TEST(CoreElectionTest, SingleVoterLeadsAfterTimeoutAndCommitsItsNoop) {
  TestCluster c(1);
  EXPECT_EQ(c[1].role(), CoreRole::kFollower);
  c.Tick(9);
  EXPECT_EQ(c[1].role(), CoreRole::kFollower) << "campaigned before election_ticks";
  EXPECT_EQ(c.ElectLeader(20), 1u);
  EXPECT_EQ(c[1].term(), 2u);
  EXPECT_EQ(c[1].commit(), 2u);  // bootstrap entry + no-op of term 2
  EXPECT_EQ(c[1].log().At(2).data, "");
}

TEST(CoreElectionTest, ThreeMembersElectExactlyOneLeaderWhoseNoopCommits) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  ASSERT_NE(leader, kNoNode);
  c.Tick(2);
  int leaders = 0;
  for (NodeId id = 1; id <= 3; ++id) {
    leaders += c[id].role() == CoreRole::kLeader ? 1 : 0;
    EXPECT_EQ(c[id].term(), c[leader].term());
    EXPECT_EQ(c[id].leader(), leader);
    EXPECT_EQ(c[id].commit(), 2u);
  }
  EXPECT_EQ(leaders, 1);
}

TEST(CoreElectionTest, VoteRepliesWaitForThePersist) {
  // Without CheckQuorum, voters need not wait out a first election timeout.
  TestCluster c(3, 3, [](CoreOptions& o) {
    o.pre_vote = false;
    o.check_quorum = false;
  });
  for (int i = 0; i < 30 && c[1].role() != CoreRole::kCandidate; ++i) c[1].Tick();
  ASSERT_EQ(c[1].role(), CoreRole::kCandidate);
  Ready r = c[1].TakeReady();
  ASSERT_TRUE(r.hard_state.has_value());
  EXPECT_EQ(r.hard_state->vote, 1u);
  EXPECT_TRUE(r.messages.empty()) << "vote requests must wait for the durable vote";
  EXPECT_EQ(r.messages_after_persist.size(), 2u);
  Message vote = r.messages_after_persist[0];
  ASSERT_EQ(vote.type, MessageType::kVote);
  ASSERT_TRUE(c[vote.to].Step(vote).ok());
  Ready v = c[vote.to].TakeReady();
  ASSERT_TRUE(v.hard_state.has_value());
  EXPECT_EQ(v.hard_state->vote, 1u);
  ASSERT_EQ(v.messages_after_persist.size(), 1u);
  EXPECT_EQ(v.messages_after_persist[0].type, MessageType::kVoteResp);
  EXPECT_FALSE(v.messages_after_persist[0].reject);
}

TEST(CoreElectionTest, OneVotePerTermAndOnlyForUpToDateLogs) {
  CoreOptions o = TestOptions(1);
  o.pre_vote = false;
  o.check_quorum = false;
  RestoreState state = BootstrapState({1, 2, 3});
  state.entries.push_back({.term = 1, .index = 2, .data = "x"});
  auto core = *Core::Create(o, state);
  (void)core->TakeReady();
  // A candidate whose log is behind ours is refused.
  ASSERT_TRUE(core->Step({.type = MessageType::kVote, .from = 2, .to = 1, .term = 2,
                          .log_term = 1, .index = 1})
                  .ok());
  Ready r = core->TakeReady();
  ASSERT_EQ(r.messages_after_persist.size(), 1u);
  EXPECT_TRUE(r.messages_after_persist[0].reject);
  EXPECT_EQ(core->term(), 2u);
  // An up-to-date one gets the vote; a second candidate in the same term
  // does not.
  ASSERT_TRUE(core->Step({.type = MessageType::kVote, .from = 3, .to = 1, .term = 2,
                          .log_term = 1, .index = 2})
                  .ok());
  r = core->TakeReady();
  ASSERT_EQ(r.messages_after_persist.size(), 1u);
  EXPECT_FALSE(r.messages_after_persist[0].reject);
  EXPECT_EQ(core->vote(), 3u);
  ASSERT_TRUE(core->Step({.type = MessageType::kVote, .from = 2, .to = 1, .term = 2,
                          .log_term = 5, .index = 9})
                  .ok());
  r = core->TakeReady();
  ASSERT_EQ(r.messages_after_persist.size(), 1u);
  EXPECT_TRUE(r.messages_after_persist[0].reject);
  EXPECT_EQ(core->vote(), 3u);
}

TEST(CoreElectionTest, PreVoteKeepsAPartitionedMemberFromRaisingTerms) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  const NodeId loner = leader == 3 ? 2 : 3;
  const Term term = c[leader].term();
  c.Isolate(loner);
  c.Tick(100);
  EXPECT_EQ(c[loner].term(), term) << "pre-votes must not raise the term";
  c.Heal();
  c.Tick(5);
  EXPECT_EQ(c[leader].role(), CoreRole::kLeader) << "the rejoining member deposed the leader";
  EXPECT_EQ(c[leader].term(), term);
}

TEST(CoreElectionTest, WithoutPreVoteAPartitionedMemberRaisesItsTerm) {
  TestCluster c(3, 3, [](CoreOptions& o) { o.pre_vote = false; });
  const NodeId leader = c.ElectLeader();
  const NodeId loner = leader == 3 ? 2 : 3;
  const Term term = c[leader].term();
  c.Isolate(loner);
  c.Tick(100);
  EXPECT_GT(c[loner].term(), term + 2);
}

TEST(CoreElectionTest, CheckQuorumMakesAnIsolatedLeaderStepDown) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Isolate(leader);
  c.Tick(9);
  EXPECT_EQ(c[leader].role(), CoreRole::kLeader);
  c.Tick(11);
  EXPECT_EQ(c[leader].role(), CoreRole::kFollower);
  // The majority elects a new leader meanwhile.
  int leaders = 0;
  c.Tick(30);
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != leader && c[id].role() == CoreRole::kLeader) ++leaders;
  }
  EXPECT_EQ(leaders, 1);
}

TEST(CoreElectionTest, FollowersInLeaseIgnoreVotesButNotTransfers) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  const NodeId follower = leader == 1 ? 2 : 1;
  const Term term = c[follower].term();
  ASSERT_TRUE(c[follower]
                  .Step({.type = MessageType::kVote, .from = 3, .to = follower, .term = term + 1,
                         .log_term = 9, .index = 99})
                  .ok());
  EXPECT_EQ(c[follower].term(), term) << "a vote inside the lease must be ignored";
  ASSERT_TRUE(c[follower]
                  .Step({.type = MessageType::kVote, .from = 3, .to = follower, .term = term + 1,
                         .log_term = 9, .index = 99, .context = kTransferContext})
                  .ok());
  EXPECT_EQ(c[follower].term(), term + 1);
  EXPECT_EQ(c[follower].vote(), 3u);
}

TEST(CoreElectionTest, LeaderWithAStalledDiskStepsDown) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  c.HoldDisk(leader);
  ASSERT_TRUE(c[leader].Propose("x").ok());
  c.Tick(9);
  EXPECT_EQ(c[leader].role(), CoreRole::kLeader);
  c.Tick(2);
  EXPECT_NE(c[leader].role(), CoreRole::kLeader) << "a leader whose disk is stuck must step down";
}

TEST(CoreElectionTest, MisaddressedMessagesAreRejected) {
  TestCluster c(3);
  EXPECT_THAT(c[1].Step({.type = MessageType::kHeartbeat, .from = 2, .to = 3, .term = 9}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(c[1].Step({.type = MessageType::kHeartbeat, .from = 0, .to = 1, .term = 9}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Entries that do not continue the log after `index`, or of a later term
  // than the message's, are refused before they touch anything.
  EXPECT_THAT(c[1].Step({.type = MessageType::kAppend, .from = 2, .to = 1, .term = 2,
                         .index = 1, .entries = {{.term = 2, .index = 3}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("carries entry 3")));
  EXPECT_THAT(c[1].Step({.type = MessageType::kAppend, .from = 2, .to = 1, .term = 2,
                         .index = 1, .entries = {{.term = 5, .index = 2}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(c[1].Step({.type = MessageType::kSnapshot, .from = 2, .to = 1, .term = 2}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(c[1].term(), 1u);
}

// Regression (simulation seed 2531): a candidate that missed the commit of
// a membership change needed the vote of a removed member with a longer log.
// Vote answers carry the voter's commit point, which the candidate adopts
// when it holds the same entry.
TEST(CoreElectionTest, CandidateLearnsTheCommitIndexFromVoteAnswers) {
  CoreOptions o = TestOptions(1);
  o.pre_vote = false;
  RestoreState state = BootstrapState({1, 2, 3});
  state.entries.push_back({.term = 1, .index = 2, .data = "a"});
  state.entries.push_back({.term = 1, .index = 3, .data = "b"});
  auto core = *Core::Create(o, state);
  (void)core->TakeReady();
  ASSERT_EQ(core->commit(), 1u);
  // A mismatching term teaches nothing.
  ASSERT_TRUE(core->Step({.type = MessageType::kVoteResp, .from = 2, .to = 1, .term = 1,
                          .log_term = 7, .index = 3, .reject = true})
                  .ok());
  EXPECT_EQ(core->commit(), 1u);
  ASSERT_TRUE(core->Step({.type = MessageType::kVoteResp, .from = 2, .to = 1, .term = 1,
                          .log_term = 1, .index = 2, .reject = true})
                  .ok());
  EXPECT_EQ(core->commit(), 2u);
  Ready r = core->TakeReady();
  ASSERT_EQ(r.committed_entries.size(), 1u);
  EXPECT_EQ(r.committed_entries[0].data, "a");
}

// Regression (simulation seed 3622): a member that may not campaign (not a
// voter in its configuration yet) reset its election timer at every timeout
// and so refused votes as if it still heard from a leader, forever.
TEST(CoreElectionTest, NonVoterStopsRefusingVotesAfterAnElectionTimeout) {
  // Whatever the randomized timeout, every moment past the first election
  // timeout must accept a vote.
  for (int ticks = 10; ticks < 50; ++ticks) {
    auto joiner = *Core::Create(TestOptions(4), RestoreState{});
    ASSERT_TRUE(
        joiner->Step({.type = MessageType::kHeartbeat, .from = 1, .to = 4, .term = 2}).ok());
    for (int i = 0; i < ticks; ++i) joiner->Tick();
    ASSERT_TRUE(joiner->Step({.type = MessageType::kVote, .from = 2, .to = 4, .term = 3}).ok());
    EXPECT_EQ(joiner->vote(), 2u) << "vote refused " << ticks << " ticks after the heartbeat";
  }
}

TEST(CoreElectionTest, SameSeedSameElection) {
  auto run = [] {
    TestCluster c(5);
    const NodeId leader = c.ElectLeader();
    return std::make_pair(leader, c[leader].term());
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace cohort::consensus::raft
