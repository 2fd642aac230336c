#include "consensus/node/snapshot_assembler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/crc32c.h"

namespace cohort::consensus::node {

void SnapshotAssembler::Reset() {
  key_.reset();
  header_ = raft::Message();
  total_ = 0;
  crc_ = 0;
  std::string().swap(buffer_);
}

absl::StatusOr<std::optional<raft::Message>> SnapshotAssembler::Add(const raft::Message& header,
                                                                    SnapshotChunk chunk) {
  const raft::SnapshotMetadata& meta = *header.snapshot;
  const Key key{header.term, meta.index, meta.term, header.from};
  const std::string stream = absl::StrCat("snapshot at index ", meta.index, " from member ",
                                          header.from, " (term ", header.term, ")");
  if (chunk.total_bytes > max_bytes_) {
    if (key_ == key) Reset();
    return absl::ResourceExhaustedError(
        absl::StrCat(stream, " is ", chunk.total_bytes, " bytes; this member accepts at most ",
                     max_bytes_, " (raise RaftNodeOptions.max_snapshot_bytes on it)"));
  }
  if (key_ != key) {
    if (chunk.offset != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(stream, ": chunk at offset ", chunk.offset,
                       " of a stream this member is not receiving; restart it from offset 0"));
    }
    if (key_.has_value() && key < *key_) {
      return absl::FailedPreconditionError(
          absl::StrCat(stream, " is older than the snapshot being received"));
    }
    Reset();
    key_ = key;
    header_ = header;
    total_ = chunk.total_bytes;
    crc_ = chunk.crc32c;
    buffer_.reserve(total_);
  } else if (chunk.total_bytes != total_ || chunk.crc32c != crc_) {
    Reset();
    return absl::DataLossError(absl::StrCat(stream, ": chunks disagree on its size (", total_,
                                            " vs ", chunk.total_bytes, ") or checksum; discarded"));
  }
  if (chunk.offset > buffer_.size()) {
    return absl::FailedPreconditionError(absl::StrCat(stream, ": chunk at offset ", chunk.offset,
                                                      " but only ", buffer_.size(),
                                                      " bytes received; restart the stream"));
  }
  const std::uint64_t end = chunk.offset + chunk.data.size();
  if (end <= buffer_.size() && !(buffer_.empty() && total_ == 0)) {
    return std::optional<raft::Message>();  // Already held.
  }
  if (end > buffer_.size()) buffer_.append(chunk.data, buffer_.size() - chunk.offset);
  if (buffer_.size() < total_) return std::optional<raft::Message>();
  const std::uint32_t crc = crc32c::Value(buffer_);
  if (crc != crc_) {
    Reset();
    return absl::DataLossError(absl::StrCat(stream, ": CRC32C ", crc, " of the ", total_,
                                            " bytes received, but the leader sent ", crc_,
                                            "; discarded, the leader resends"));
  }
  raft::Message complete = std::move(header_);
  complete.snapshot_data = std::move(buffer_);
  Reset();
  return std::optional<raft::Message>(std::move(complete));
}

}  // namespace cohort::consensus::node
