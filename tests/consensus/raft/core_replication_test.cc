// Replication: commit and apply, batching, flow control, fast backtracking,
// the current-term commit rule, uncommitted-bytes limits, snapshots.
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
using testing::TestOptions;

TEST(CoreReplicationTest, ProposalsCommitAndApplyEverywhereInOrder) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c[leader].Propose("cmd" + std::to_string(i)).ok());
  c.Tick(3);
  for (NodeId id = 1; id <= 3; ++id) {
    const auto& applied = c.applied(id);
    ASSERT_EQ(applied.size(), 12u) << "member " << id;
    for (std::size_t i = 0; i < applied.size(); ++i) EXPECT_EQ(applied[i].index, i + 1);
    EXPECT_EQ(applied.back().data, "cmd9");
  }
}

TEST(CoreReplicationTest, FollowersAndBadProposalsAreRefused) {
  TestCluster c(3, 3, [](CoreOptions& o) { o.max_entry_bytes = 10; });
  const NodeId leader = c.ElectLeader();
  const NodeId follower = leader == 1 ? 2 : 1;
  EXPECT_THAT(c[follower].Propose("x").status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(c[leader].Propose(std::string(11, 'x')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CoreReplicationTest, ProposalsBetweenBatchesShareAppendsUpToTheByteLimit) {
  TestCluster c(3, 3, [](CoreOptions& o) { o.max_message_bytes = 100; });
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  c.delivered().clear();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c[leader].Propose(std::string(30, 'a')).ok());
  c.Deliver();
  int appends = 0;
  for (const Message& m : c.delivered()) {
    if (m.type != MessageType::kAppend || m.entries.empty()) continue;
    ++appends;
    std::uint64_t bytes = 0;
    for (const Entry& e : m.entries) bytes += EntryBytes(e);
    EXPECT_TRUE(m.entries.size() == 1 || bytes <= 100) << bytes;
    EXPECT_GE(m.entries.size(), 2u) << "46-byte entries fit two per 100-byte message";
  }
  // Ten entries, two per message, to two followers.
  EXPECT_EQ(appends, 10);
}

TEST(CoreReplicationTest, InflightLimitBoundsUnacknowledgedAppends) {
  TestCluster c(3, 3, [](CoreOptions& o) {
    o.max_message_bytes = 1;
    o.max_inflight_messages = 2;
  });
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  const NodeId follower = leader == 1 ? 2 : 1;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c[leader].Propose("p").ok());
  // Lose every answer from the follower: the window fills and stops.
  c.delivered().clear();
  c.Deliver([&](const Message& m) { return m.from == follower; });
  int appends = 0;
  for (const Message& m : c.delivered()) {
    if (m.type == MessageType::kAppend && m.to == follower && !m.entries.empty()) ++appends;
  }
  EXPECT_EQ(appends, 2);
  EXPECT_EQ(c[leader].progress(follower)->inflights.count(), 2u);
  // Once answers flow again (heartbeats free a slot, rejections re-probe),
  // the follower catches up.
  c.Tick(10);
  EXPECT_EQ(c[follower].log().LastIndex(), c[leader].log().LastIndex());
}

TEST(CoreReplicationTest, FastBacktrackingSkipsAConflictingTermPerRoundTrip) {
  // Member 1's log has 50 entries of term 1 beyond the bootstrap entry that
  // never committed; members 2 and 3 moved on in term 2 with other entries.
  auto options = [](NodeId id) {
    CoreOptions o = TestOptions(id);
    o.pre_vote = false;
    return o;
  };
  RestoreState stale = BootstrapState({1, 2, 3});
  for (Index i = 2; i <= 51; ++i) stale.entries.push_back({.term = 1, .index = i, .data = "old"});
  RestoreState fresh = BootstrapState({1, 2, 3});
  fresh.hard_state.term = 2;
  for (Index i = 2; i <= 5; ++i) fresh.entries.push_back({.term = 2, .index = i, .data = "new"});
  auto m1 = *Core::Create(options(1), stale);
  auto m2 = *Core::Create(options(2), fresh);
  // Hand out the bootstrap entry: the configuration takes effect.
  (void)m1->TakeReady();
  (void)m2->TakeReady();
  // Member 2 leads term 3 with member 3 (not simulated) voting for it.
  for (int i = 0; i < 30 && m2->role() != CoreRole::kCandidate; ++i) m2->Tick();
  ASSERT_EQ(m2->role(), CoreRole::kCandidate);
  ASSERT_TRUE(
      m2->Step({.type = MessageType::kVoteResp, .from = 3, .to = 2, .term = m2->term()}).ok());
  ASSERT_EQ(m2->role(), CoreRole::kLeader);
  int rejections = 0;
  for (int round = 0; round < 10; ++round) {
    Ready r2 = m2->TakeReady();
    m2->OnPersisted(r2.persist_mark);
    for (const Message& m : r2.messages) {
      if (m.to != 1 || m.type != MessageType::kAppend) continue;
      ASSERT_TRUE(m1->Step(m).ok());
    }
    Ready r1 = m1->TakeReady();
    m1->OnPersisted(r1.persist_mark);
    for (const Message& m : r1.messages_after_persist) {
      if (m.type == MessageType::kAppendResp && m.reject) ++rejections;
      ASSERT_TRUE(m2->Step(m).ok());
    }
  }
  EXPECT_EQ(m1->log().LastIndex(), m2->log().LastIndex());
  EXPECT_EQ(m1->log().LastTerm(), 3u);
  EXPECT_LE(rejections, 2) << "one round trip per conflicting term, not per entry";
}

TEST(CoreReplicationTest, EntriesOfEarlierTermsCommitOnlyWithOneOfTheCurrentTerm) {
  // Member 1 holds entry 2 of term 1 that never committed; it leads term 2.
  CoreOptions o1 = TestOptions(1);
  o1.pre_vote = false;
  RestoreState s1 = BootstrapState({1, 2, 3});
  s1.entries.push_back({.term = 1, .index = 2, .data = "old"});
  auto leader = *Core::Create(o1, s1);
  (void)leader->TakeReady();
  for (int i = 0; i < 30 && leader->role() != CoreRole::kCandidate; ++i) leader->Tick();
  ASSERT_TRUE(leader->Step({.type = MessageType::kVoteResp, .from = 2, .to = 1, .term = 2}).ok());
  ASSERT_EQ(leader->role(), CoreRole::kLeader);
  Ready r = leader->TakeReady();
  leader->OnPersisted(r.persist_mark);
  ASSERT_EQ(leader->log().LastIndex(), 3u);  // the no-op
  // Member 2 acknowledges entry 2 only (say the no-op was in a later
  // message): a majority holds entry 2, but it is of term 1.
  ASSERT_TRUE(leader->Step({.type = MessageType::kAppendResp, .from = 2, .to = 1, .term = 2,
                            .index = 2})
                  .ok());
  EXPECT_EQ(leader->commit(), 1u) << "committed an earlier term's entry by counting";
  ASSERT_TRUE(leader->Step({.type = MessageType::kAppendResp, .from = 2, .to = 1, .term = 2,
                            .index = 3})
                  .ok());
  EXPECT_EQ(leader->commit(), 3u);
}

TEST(CoreReplicationTest, LeaderCountsItselfOnlyOncePersisted) {
  TestCluster c(1);
  ASSERT_EQ(c.ElectLeader(20), 1u);
  c.HoldDisk(1);
  const Index before = c[1].commit();
  ASSERT_TRUE(c[1].Propose("x").ok());
  c.Process();
  EXPECT_EQ(c[1].commit(), before);
}

TEST(CoreReplicationTest, UncommittedBytesAreBounded) {
  TestCluster c(3, 3, [](CoreOptions& o) {
    o.max_uncommitted_bytes = 200;
    o.max_entry_bytes = 100;
  });
  const NodeId leader = c.ElectLeader();
  c.Tick(2);
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != leader) c.Isolate(id);
  }
  int accepted = 0;
  absl::Status status;
  for (int i = 0; i < 10 && status.ok(); ++i) {
    auto pos = c[leader].Propose(std::string(50, 'x'));
    status = pos.status();
    if (pos.ok()) ++accepted;
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(accepted, 3);  // 66 bytes each against a limit of 200
  c.Heal();
  c.Tick(3);
  EXPECT_TRUE(c[leader].Propose(std::string(50, 'x')).ok()) << "commits free the budget";
}

TEST(CoreReplicationTest, FollowerBehindTheCompactedLogGetsASnapshot) {
  TestCluster c(3);
  const NodeId leader = c.ElectLeader();
  const NodeId lagging = leader == 3 ? 2 : 3;
  c.Isolate(lagging);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c[leader].Propose("v" + std::to_string(i)).ok());
  c.Tick(2);
  const Index applied = c[leader].applied();
  ASSERT_GE(applied, 22u);
  EXPECT_THAT(c[leader].Compact(applied + 1, "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(c[leader].Compact(applied, "state@" + std::to_string(applied)).ok());
  EXPECT_EQ(c[leader].log().FirstIndex(), applied + 1);
  EXPECT_EQ(c[leader].snapshot_metadata().conf_state.voters, (std::vector<NodeId>{1, 2, 3}));
  c.Heal();
  c.delivered().clear();
  c.Tick(5);
  bool sent = false;
  for (const Message& m : c.delivered()) {
    sent = sent || (m.type == MessageType::kSnapshot && m.to == lagging);
  }
  EXPECT_TRUE(sent);
  ASSERT_EQ(c.snapshots(lagging).size(), 1u);
  EXPECT_EQ(c.snapshots(lagging)[0].data, "state@" + std::to_string(applied));
  EXPECT_EQ(c.snapshots(lagging)[0].metadata.index, applied);
  // The sender learns of the delivery from the transport.
  c[leader].ReportSnapshot(lagging, true);
  c.Tick(3);
  EXPECT_EQ(c[lagging].log().LastIndex(), c[leader].log().LastIndex());
  EXPECT_EQ(c[lagging].commit(), c[leader].commit());
}

TEST(CoreReplicationTest, RestartHandsOutALongCommittedLogInBoundedBatches) {
  CoreOptions o = TestOptions(1);
  o.max_apply_bytes = 40;  // two 18-byte entries per batch
  RestoreState s = BootstrapState({1, 2, 3});
  for (Index i = 2; i <= 5; ++i) s.entries.push_back({.term = 1, .index = i, .data = "ab"});
  s.hard_state.commit = 5;
  auto core = *Core::Create(o, s);
  std::vector<std::size_t> batches;
  Index next = 1;
  while (core->HasReady()) {
    Ready r = core->TakeReady();
    if (r.committed_entries.empty()) continue;
    batches.push_back(r.committed_entries.size());
    for (const Entry& e : r.committed_entries) EXPECT_EQ(e.index, next++);
  }
  EXPECT_EQ(next, 6u);
  EXPECT_EQ(batches, (std::vector<std::size_t>{1, 2, 2}));
}

TEST(CoreReplicationTest, ConflictingSuffixIsHandedOutForTruncation) {
  CoreOptions o = TestOptions(1);
  RestoreState s = BootstrapState({1, 2, 3});
  s.entries.push_back({.term = 1, .index = 2, .data = "a"});
  s.entries.push_back({.term = 1, .index = 3, .data = "b"});
  auto core = *Core::Create(o, s);
  (void)core->TakeReady();
  ASSERT_TRUE(core->Step({.type = MessageType::kAppend, .from = 2, .to = 1, .term = 2,
                          .log_term = 1, .index = 2, .commit = 1,
                          .entries = {{.term = 2, .index = 3, .data = "c"}}})
                  .ok());
  Ready r = core->TakeReady();
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].index, 3u);
  EXPECT_EQ(r.entries[0].data, "c");
  EXPECT_LT(core->persisted_index(), 3u) << "the rewritten entry is not durable yet";
  ASSERT_EQ(r.messages_after_persist.size(), 1u);
  EXPECT_EQ(r.messages_after_persist[0].index, 3u);
}

}  // namespace
}  // namespace cohort::consensus::raft
