// On-disk records of the write-ahead log.
//
//   record  := masked_crc32c(u32 LE) length(u32 LE) type(u8) payload[length]
//
// The CRC32C (cohort/base/crc32c.h, masked) covers length, type and payload,
// so a damaged length is caught like damaged data. `length` is checked against
// the configured limit before anything is allocated or checksummed. A header
// of nine zero bytes is never a valid record: it marks the end of the log in
// a preallocated (zero-filled) segment.
//
// Payloads (integers are unsigned LEB128 varints):
//   kHeader     format_version cluster_id node_id segment_seq prev_last_index
//               prev_last_term   -- first record of every segment
//   kEntry      term index type data...      (data runs to the end)
//   kHardState  term vote commit
//   kSnapshot   index term                   (a snapshot up to index is durable)
#ifndef COHORT_SRC_CONSENSUS_WAL_RECORD_H_
#define COHORT_SRC_CONSENSUS_WAL_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "consensus/raft/types.h"

namespace cohort::consensus::wal {

inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kRecordHeaderSize = 9;

enum class RecordType : std::uint8_t {
  kHeader = 1,
  kEntry = 2,
  kHardState = 3,
  kSnapshot = 4,
};

struct SegmentHeader {
  std::uint32_t format_version = kFormatVersion;
  std::uint64_t cluster_id = 0;
  std::uint64_t node_id = 0;
  std::uint64_t segment_seq = 0;
  // The log's last index and its term when this segment was started: the
  // segment continues the log from there.
  raft::Index prev_last_index = 0;
  raft::Term prev_last_term = 0;

  friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

// A snapshot covering the log up to `index` (of `term`) is durable.
struct SnapshotMarker {
  raft::Index index = 0;
  raft::Term term = 0;

  friend bool operator==(const SnapshotMarker&, const SnapshotMarker&) = default;
};

// Appends one framed record to `out`.
void AppendRecord(RecordType type, std::string_view payload, std::string* out);

std::string EncodeHeader(const SegmentHeader& header);
std::string EncodeEntry(const raft::Entry& entry);
std::string EncodeHardState(const raft::HardState& state);
std::string EncodeSnapshotMarker(const SnapshotMarker& marker);

// Payload decoders: kDataLoss naming the field on malformed input.
absl::StatusOr<SegmentHeader> DecodeHeader(std::string_view payload);
absl::StatusOr<raft::Entry> DecodeEntry(std::string_view payload);
absl::StatusOr<raft::HardState> DecodeHardState(std::string_view payload);
absl::StatusOr<SnapshotMarker> DecodeSnapshotMarker(std::string_view payload);

enum class DecodeOutcome {
  kRecord,     // a record with a valid checksum
  kZeros,      // a zero header (or only zero bytes left): end of the written log
  kTruncated,  // the input ends inside the record
  kCorrupt,    // bad length, bad checksum or unknown type
};

struct DecodedRecord {
  DecodeOutcome outcome = DecodeOutcome::kCorrupt;
  RecordType type = RecordType::kHeader;
  // Points into the decoder's input.
  std::string_view payload{};
  // Bytes the record occupies (header + payload) when outcome == kRecord.
  std::size_t size = 0;
  // Why it is not a record (for kTruncated and kCorrupt).
  const char* reason = "";
};

// Decodes the record at the front of `in`. Never reads past `in`, never
// allocates; rejects payloads longer than `max_payload` before checksumming.
DecodedRecord DecodeRecord(std::string_view in, std::uint32_t max_payload);

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_RECORD_H_
