// SnapshotAssembler: the follower's side of a snapshot stream (node_wire.h).
//
// Keeps at most one partial snapshot, keyed by (leader, term, snapshot index,
// snapshot term). Chunks must arrive in order: a duplicate of bytes already
// held is acknowledged and ignored (the network may redeliver, and a leader
// that restarts a failed stream resends from offset 0, which then resumes
// where the partial one stopped); a gap is refused so that the leader gives
// up and retries later. A stream for a newer snapshot or a newer leader
// (offset 0, key not older) replaces the partial one; chunks of any other
// stream are refused. The total size is checked against the limit before
// anything is allocated, and the whole is checked against the CRC32C that
// every chunk carries before it is handed out.
//
// Not thread-safe (the node calls it under its mutex).
#ifndef COHORT_SRC_CONSENSUS_NODE_SNAPSHOT_ASSEMBLER_H_
#define COHORT_SRC_CONSENSUS_NODE_SNAPSHOT_ASSEMBLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "consensus/node/node_wire.h"
#include "consensus/raft/message.h"

namespace cohort::consensus::node {

class SnapshotAssembler {
 public:
  // `max_bytes`: largest snapshot accepted (RaftNodeOptions::max_snapshot_bytes).
  explicit SnapshotAssembler(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds `chunk` of the stream `header` names (a kSnapshot message without
  // data). Returns the complete kSnapshot message (header with the data) once
  // the last byte arrived and the checksum matched, nullopt while more is
  // needed (or for a duplicate). Statuses, all answered to the leader, which
  // reports the snapshot failed and retries later:
  //   kResourceExhausted   total_bytes exceeds the limit (nothing allocated).
  //   kFailedPrecondition  a chunk past the bytes held (a gap), of a stream
  //                        not started here, or of a stream older than the
  //                        partial one.
  //   kDataLoss            the whole does not match its CRC32C, or chunks of
  //                        one stream disagree on its size or checksum; the
  //                        partial snapshot is discarded.
  absl::StatusOr<std::optional<raft::Message>> Add(const raft::Message& header,
                                                   SnapshotChunk chunk);

  // Drops the partial snapshot.
  void Reset();
  // Bytes held of the partial snapshot (0 if none).
  std::uint64_t held_bytes() const { return buffer_.size(); }
  bool in_progress() const { return key_.has_value(); }

 private:
  // Ordered so that a later term (then a later snapshot) compares greater.
  using Key = std::tuple<raft::Term, raft::Index, raft::Term, raft::NodeId>;

  const std::uint64_t max_bytes_;
  std::optional<Key> key_;
  raft::Message header_;
  std::uint64_t total_ = 0;
  std::uint32_t crc_ = 0;
  std::string buffer_;
};

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_SNAPSHOT_ASSEMBLER_H_
