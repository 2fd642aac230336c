// What a RaftNode reports through Context::metrics (names in raft_node.h).
#ifndef COHORT_SRC_CONSENSUS_NODE_NODE_METRICS_H_
#define COHORT_SRC_CONSENSUS_NODE_NODE_METRICS_H_

#include <cstdint>
#include <memory>

#include "cohort/base/metrics.h"

namespace cohort::consensus::node {

struct NodeMetrics {
  // Labelled {cluster, member}.
  static NodeMetrics Create(MetricsSink& sink, std::uint64_t cluster_id, std::uint64_t member);

  std::shared_ptr<Counter> proposals;
  std::shared_ptr<Counter> proposals_failed;
  std::shared_ptr<Histogram> proposal_seconds;
  std::shared_ptr<Histogram> read_barrier_seconds;
  std::shared_ptr<Counter> leader_changes;
  std::shared_ptr<Gauge> term;
  std::shared_ptr<Gauge> is_leader;
  std::shared_ptr<Gauge> commit_index;
  std::shared_ptr<Gauge> applied_index;
  std::shared_ptr<Histogram> wal_sync_seconds;
  std::shared_ptr<Histogram> wal_batch_entries;
  std::shared_ptr<Counter> snapshots;
};

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_NODE_METRICS_H_
