// Metrics hooks: what a node reports through Context::metrics.
#include <string>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;
using ::testing::Optional;

// TestCluster runs cluster 7.
MetricLabels Member(std::uint64_t id) { return {{"cluster", "7"}, {"member", absl::StrCat(id)}}; }

TEST(RaftNodeMetrics, ProposalsReadsLeadershipAndTheLog) {
  TestCluster c(3, 7, [](RaftNodeOptions& o) { o.snapshot_threshold = 5; });
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  std::vector<std::string> commands;
  for (int i = 0; i < 10; ++i) commands.push_back(absl::StrCat("m", i));
  const absl::StatusOr<std::uint64_t> proposed = c.ProposeAll(leader, commands);
  ASSERT_THAT(proposed.status(), IsOk());
  const std::uint64_t last = *proposed;
  ASSERT_TRUE(c.WaitForApplied(last));
  ASSERT_THAT(c.ReadBarrier(leader).status(), IsOk());
  c.RunFor(absl::Seconds(1));

  InMemoryMetrics& m = c.metrics();
  EXPECT_THAT(m.CounterValue("cohort_raft_proposals_total", Member(leader)), Optional(10u));
  EXPECT_THAT(m.CounterValue("cohort_raft_proposals_failed_total", Member(leader)), Optional(0u));
  EXPECT_EQ(m.HistogramOf("cohort_raft_proposal_seconds", Member(leader))->count, 10u);
  EXPECT_EQ(m.HistogramOf("cohort_raft_read_barrier_seconds", Member(leader))->count, 1u);
  const double term = static_cast<double>(c.node(leader)->Status().term);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    SCOPED_TRACE(absl::StrCat("member ", id));
    EXPECT_THAT(m.GaugeValue("cohort_raft_is_leader", Member(id)), Optional(id == leader ? 1 : 0));
    EXPECT_THAT(m.GaugeValue("cohort_raft_term", Member(id)), Optional(term));
    EXPECT_GE(*m.GaugeValue("cohort_raft_commit_index", Member(id)), static_cast<double>(last));
    EXPECT_GE(*m.GaugeValue("cohort_raft_applied_index", Member(id)), static_cast<double>(last));
    EXPECT_GE(*m.CounterValue("cohort_raft_leader_changes_total", Member(id)), 1u);
    const auto sync = m.HistogramOf("cohort_raft_wal_sync_seconds", Member(id));
    EXPECT_GT(sync->count, 0u);
    const auto batch = m.HistogramOf("cohort_raft_wal_batch_entries", Member(id));
    EXPECT_EQ(batch->count, sync->count);
    EXPECT_GE(*m.CounterValue("cohort_raft_snapshots_total", Member(id)), 1u);
  }
  EXPECT_NE(m.Render().find("cohort_raft_proposals_total{cluster=\"7\",member=\""),
            std::string::npos);
}

TEST(RaftNodeMetrics, FailedProposalsAndNewLeadersAreCounted) {
  TestCluster c(3, 11);
  ASSERT_THAT(c.StartAll(), IsOk());
  const std::uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const std::uint64_t follower = leader % 3 + 1;
  // A follower refuses the proposal (not the leader): answered with an error.
  EXPECT_FALSE(c.Propose(follower, "x").ok());
  EXPECT_THAT(c.metrics().CounterValue("cohort_raft_proposals_failed_total", Member(follower)),
              Optional(0u));  // Refused before it was queued: not a proposal answered.
  c.Crash(leader);
  const std::uint64_t next = c.WaitForLeader();
  ASSERT_NE(next, 0u);
  ASSERT_NE(next, leader);
  EXPECT_GE(*c.metrics().CounterValue("cohort_raft_leader_changes_total", Member(next)), 2u);
}

}  // namespace
}  // namespace cohort::consensus::testing
