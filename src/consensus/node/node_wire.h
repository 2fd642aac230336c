// What nodes put on the wire and in snapshots, around the Raft core's own
// formats.
//
// The body of a raft.Step call is an envelope; its first varint says which:
//
//   message  := varint format(=1) varint cluster_id string from_address
//               string message                      (message_codec.h)
//   chunk    := varint format(=2) varint cluster_id string from_address
//               string header varint offset varint total_bytes
//               varint crc32c string data
//
// The sender's address lets members added later be reached without a
// separate address book; the cluster id keeps members of two groups that
// share addresses (a reused port) from mixing their logs.
//
// A kSnapshot message travels as a stream of chunks, each a bounded call
// with its own deadline: `header` is the kSnapshot message without its data
// (in every chunk, so that any chunk names its stream: leader, term and
// snapshot index), `data` the bytes at `offset` of the whole, which is
// `total_bytes` long with CRC32C `crc32c` (unmasked).
//
// The node's snapshot (what the core stores and streams as snapshot data) is
// the state machine's bytes behind a header that carries the members'
// addresses, so that a member restored from a snapshot can reach members
// whose conf-change entries were compacted away:
//
//   node_snapshot := magic(8 bytes, kNodeSnapshotMagic) fixed32le length
//                    header(length bytes) state_machine_bytes
//   header        := varint count (varint id string address)*
//
// Data without the magic is taken as state machine bytes alone (snapshots
// written before the header existed).
#ifndef COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_
#define COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "consensus/raft/message.h"

namespace cohort::consensus::node {

// A piece of a snapshot stream.
struct SnapshotChunk {
  std::uint64_t offset = 0;
  std::uint64_t total_bytes = 0;
  std::uint32_t crc32c = 0;
  std::string data{};

  friend bool operator==(const SnapshotChunk&, const SnapshotChunk&) = default;
};

struct Envelope {
  std::uint64_t cluster_id = 0;
  std::string from_address{};
  // For a chunk: the kSnapshot header (snapshot set, snapshot_data empty).
  raft::Message message{};
  std::optional<SnapshotChunk> chunk{};
};

std::string EncodeEnvelope(std::uint64_t cluster_id, std::string_view from_address,
                           const raft::Message& message);
// `header` must be a kSnapshot message with empty snapshot_data, and
// chunk.offset + chunk.data.size() <= chunk.total_bytes.
std::string EncodeSnapshotChunk(std::uint64_t cluster_id, std::string_view from_address,
                                const raft::Message& header, const SnapshotChunk& chunk);
// kDataLoss naming the malformed field (including a chunk whose header is
// not a data-less kSnapshot or whose data overruns total_bytes).
absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes);

inline constexpr std::string_view kNodeSnapshotMagic{"\0cohort\x01", 8};

// The header of a node snapshot; append the state machine's bytes to it.
std::string EncodeNodeSnapshotHeader(const std::map<raft::NodeId, std::string>& addresses);

struct NodeSnapshot {
  std::map<raft::NodeId, std::string> addresses{};
  // Points into the decoded bytes.
  std::string_view state_machine{};
};
// kDataLoss for a damaged header.
absl::StatusOr<NodeSnapshot> DecodeNodeSnapshot(std::string_view bytes);

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_
