// Segment files of the write-ahead log: naming and the recovery scan.
//
// A segment is named wal-<seq as 16 hex digits>.log; a segment being created
// is written as wal-<seq>.tmp and renamed into place once its first records
// are synced, so a .log file always starts with a complete header.
#ifndef COHORT_SRC_CONSENSUS_WAL_SEGMENT_H_
#define COHORT_SRC_CONSENSUS_WAL_SEGMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/wal/record.h"

namespace cohort::consensus::wal {

std::string SegmentName(std::uint64_t seq);
std::string SegmentTempName(std::uint64_t seq);
// The sequence number of a segment name, or nullopt for other names.
std::optional<std::uint64_t> ParseSegmentName(std::string_view name);
bool IsSegmentTempName(std::string_view name);

struct ScannedRecord {
  RecordType type;
  // Points into the scanned bytes.
  std::string_view payload;
  std::uint64_t offset;
  std::uint32_t size;
};

// What a segment holds, read from the front.
struct SegmentScan {
  std::vector<ScannedRecord> records;
  // End of the last good record: where appending continues.
  std::uint64_t valid_end = 0;
  // True if the good records are followed only by zeros (or nothing).
  bool clean = true;
  // When !clean: where the first bad record starts and why it is bad.
  std::uint64_t bad_offset = 0;
  std::string bad_reason{};
  // When !clean: a record with a valid checksum starts after bad_offset, so
  // the damage is not a torn tail but corruption in the middle.
  bool valid_record_after_bad = false;
  // One past the last non-zero byte (what a torn tail repair must zero).
  std::uint64_t dirty_end = 0;
};

SegmentScan ScanSegment(std::string_view data, std::uint32_t max_payload);

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_SEGMENT_H_
