#include "consensus/node/node_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace cohort::consensus::node {

NodeMetrics NodeMetrics::Create(MetricsSink& sink, std::uint64_t cluster_id,
                                std::uint64_t member) {
  const MetricLabels labels = {{"cluster", absl::StrCat(cluster_id)},
                               {"member", absl::StrCat(member)}};
  auto info = [&labels](const char* name, const char* help) {
    return MetricInfo{name, help, labels};
  };
  // 50 us to about 6.5 s.
  const std::vector<double> latency = ExponentialBounds(50e-6, 2, 18);
  NodeMetrics m;
  m.proposals = sink.NewCounter(info("cohort_raft_proposals_total", "Proposals this member queued as leader, once answered"));
  m.proposals_failed = sink.NewCounter(
      info("cohort_raft_proposals_failed_total", "Queued proposals answered with an error (deadline, leadership lost)"));
  m.proposal_seconds = sink.NewHistogram(
      info("cohort_raft_proposal_seconds", "Propose call to applied result"), latency);
  m.read_barrier_seconds = sink.NewHistogram(
      info("cohort_raft_read_barrier_seconds", "ReadBarrier call to readable"), latency);
  m.leader_changes = sink.NewCounter(
      info("cohort_raft_leader_changes_total", "Times this member saw a new leader"));
  m.term = sink.NewGauge(info("cohort_raft_term", "Current term"));
  m.is_leader = sink.NewGauge(info("cohort_raft_is_leader", "1 while this member leads"));
  m.commit_index = sink.NewGauge(info("cohort_raft_commit_index", "Highest committed index"));
  m.applied_index = sink.NewGauge(
      info("cohort_raft_applied_index", "Highest index applied to the state machine"));
  m.wal_sync_seconds = sink.NewHistogram(
      info("cohort_raft_wal_sync_seconds", "One log append: write and fsync"), latency);
  m.wal_batch_entries = sink.NewHistogram(
      info("cohort_raft_wal_batch_entries", "Entries per log append (group commit)"),
      ExponentialBounds(1, 2, 14));
  m.snapshots = sink.NewCounter(
      info("cohort_raft_snapshots_total", "Snapshots taken locally and the log compacted"));
  return m;
}

}  // namespace cohort::consensus::node
