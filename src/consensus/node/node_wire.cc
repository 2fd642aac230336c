#include "consensus/node/node_wire.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/status.h"
#include "consensus/raft/message_codec.h"

namespace cohort::consensus::node {
namespace {

constexpr std::uint64_t kFormatMessage = 1;
constexpr std::uint64_t kFormatChunk = 2;

void PutHeader(std::uint64_t format, std::uint64_t cluster_id, std::string_view from_address,
               const raft::Message& message, std::string* out) {
  coding::PutVarint(format, out);
  coding::PutVarint(cluster_id, out);
  coding::PutString(from_address, out);
  std::string body;
  raft::EncodeMessage(message, &body);
  coding::PutString(body, out);
}

absl::Status ReadChunk(coding::Reader& reader, const raft::Message& header, SnapshotChunk* chunk) {
  if (header.type != raft::MessageType::kSnapshot || !header.snapshot.has_value() ||
      !header.snapshot_data.empty()) {
    return absl::DataLossError(
        "raft envelope: a snapshot chunk's header must be a kSnapshot message without data");
  }
  COHORT_ASSIGN_OR_RETURN(chunk->offset, reader.Varint("chunk offset"));
  COHORT_ASSIGN_OR_RETURN(chunk->total_bytes, reader.Varint("chunk total_bytes"));
  COHORT_ASSIGN_OR_RETURN(std::uint64_t crc, reader.Varint("chunk crc32c"));
  if (crc > std::numeric_limits<std::uint32_t>::max()) {
    return absl::DataLossError(absl::StrCat("raft envelope: chunk crc32c ", crc, " overflows"));
  }
  chunk->crc32c = static_cast<std::uint32_t>(crc);
  COHORT_ASSIGN_OR_RETURN(std::string_view data, reader.String("chunk data"));
  if (chunk->offset > chunk->total_bytes || data.size() > chunk->total_bytes - chunk->offset) {
    return absl::DataLossError(absl::StrCat("raft envelope: chunk of ", data.size(),
                                            " bytes at offset ", chunk->offset,
                                            " overruns the snapshot's ", chunk->total_bytes));
  }
  chunk->data.assign(data.data(), data.size());
  return absl::OkStatus();
}

}  // namespace

std::string EncodeEnvelope(std::uint64_t cluster_id, std::string_view from_address,
                           const raft::Message& message) {
  std::string out;
  PutHeader(kFormatMessage, cluster_id, from_address, message, &out);
  return out;
}

std::string EncodeSnapshotChunk(std::uint64_t cluster_id, std::string_view from_address,
                                const raft::Message& header, const SnapshotChunk& chunk) {
  std::string out;
  PutHeader(kFormatChunk, cluster_id, from_address, header, &out);
  coding::PutVarint(chunk.offset, &out);
  coding::PutVarint(chunk.total_bytes, &out);
  coding::PutVarint(chunk.crc32c, &out);
  coding::PutString(chunk.data, &out);
  return out;
}

absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes) {
  coding::Reader reader(bytes, "raft envelope");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t format, reader.Varint("format"));
  if (format != kFormatMessage && format != kFormatChunk) {
    return absl::DataLossError(absl::StrCat("raft envelope: unsupported format ", format));
  }
  Envelope envelope;
  COHORT_ASSIGN_OR_RETURN(envelope.cluster_id, reader.Varint("cluster_id"));
  COHORT_ASSIGN_OR_RETURN(std::string_view from, reader.String("from_address"));
  envelope.from_address = std::string(from);
  COHORT_ASSIGN_OR_RETURN(std::string_view body, reader.String("message"));
  COHORT_ASSIGN_OR_RETURN(envelope.message, raft::DecodeMessage(body));
  if (format == kFormatChunk) {
    envelope.chunk.emplace();
    COHORT_RETURN_IF_ERROR(ReadChunk(reader, envelope.message, &*envelope.chunk));
  }
  COHORT_RETURN_IF_ERROR(reader.ExpectEnd());
  return envelope;
}

std::string EncodeNodeSnapshotHeader(const std::map<raft::NodeId, std::string>& addresses) {
  std::string header;
  coding::PutVarint(addresses.size(), &header);
  for (const auto& [id, address] : addresses) {
    coding::PutVarint(id, &header);
    coding::PutString(address, &header);
  }
  std::string out(kNodeSnapshotMagic);
  const auto n = static_cast<std::uint32_t>(header.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out += header;
  return out;
}

absl::StatusOr<NodeSnapshot> DecodeNodeSnapshot(std::string_view bytes) {
  NodeSnapshot snapshot;
  if (bytes.substr(0, kNodeSnapshotMagic.size()) != kNodeSnapshotMagic) {
    snapshot.state_machine = bytes;
    return snapshot;
  }
  bytes.remove_prefix(kNodeSnapshotMagic.size());
  if (bytes.size() < 4) return absl::DataLossError("raft node snapshot: truncated header length");
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= std::uint32_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  bytes.remove_prefix(4);
  if (n > bytes.size()) {
    return absl::DataLossError(absl::StrCat("raft node snapshot: header of ", n,
                                            " bytes overruns the ", bytes.size(), " left"));
  }
  coding::Reader reader(bytes.substr(0, n), "raft node snapshot");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count, reader.Varint("address count"));
  if (count > n / 2) {
    return absl::DataLossError(
        absl::StrCat("raft node snapshot: ", count, " addresses in ", n, " bytes"));
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    COHORT_ASSIGN_OR_RETURN(std::uint64_t id, reader.Varint("member id"));
    COHORT_ASSIGN_OR_RETURN(std::string_view address, reader.String("member address"));
    snapshot.addresses[id] = std::string(address);
  }
  COHORT_RETURN_IF_ERROR(reader.ExpectEnd());
  snapshot.state_machine = bytes.substr(n);
  return snapshot;
}

}  // namespace cohort::consensus::node
