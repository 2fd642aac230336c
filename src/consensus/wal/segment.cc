#include "consensus/wal/segment.h"

#include <cinttypes>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace cohort::consensus::wal {
namespace {

constexpr std::string_view kPrefix = "wal-";
constexpr std::string_view kSuffix = ".log";
constexpr std::string_view kTempSuffix = ".tmp";

std::string Hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

std::optional<std::uint64_t> ParseWithSuffix(std::string_view name, std::string_view suffix) {
  if (name.size() != kPrefix.size() + 16 + suffix.size()) return std::nullopt;
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
  std::uint64_t seq = 0;
  for (char c : name.substr(kPrefix.size(), 16)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    seq = seq * 16 + static_cast<std::uint64_t>(digit);
  }
  return seq;
}

std::uint64_t LastNonZero(std::string_view data) {
  std::size_t end = data.size();
  while (end > 0 && data[end - 1] == 0) --end;
  return end;
}

}  // namespace

std::string SegmentName(std::uint64_t seq) {
  return std::string(kPrefix) + Hex16(seq) + std::string(kSuffix);
}

std::string SegmentTempName(std::uint64_t seq) {
  return std::string(kPrefix) + Hex16(seq) + std::string(kTempSuffix);
}

std::optional<std::uint64_t> ParseSegmentName(std::string_view name) {
  return ParseWithSuffix(name, kSuffix);
}

bool IsSegmentTempName(std::string_view name) {
  return ParseWithSuffix(name, kTempSuffix).has_value();
}

SegmentScan ScanSegment(std::string_view data, std::uint32_t max_payload) {
  SegmentScan scan;
  scan.dirty_end = LastNonZero(data);
  std::uint64_t pos = 0;
  while (pos < data.size()) {
    const DecodedRecord d = DecodeRecord(data.substr(pos), max_payload);
    if (d.outcome == DecodeOutcome::kRecord) {
      scan.records.push_back(ScannedRecord{d.type, d.payload, pos, static_cast<std::uint32_t>(d.size)});
      pos += d.size;
      continue;
    }
    if (d.outcome == DecodeOutcome::kZeros && scan.dirty_end <= pos) break;
    scan.clean = false;
    scan.bad_offset = pos;
    scan.bad_reason = d.outcome == DecodeOutcome::kZeros
                          ? "zero bytes followed by non-zero bytes"
                          : d.reason;
    break;
  }
  scan.valid_end = pos;
  if (scan.clean) return scan;
  // A torn write leaves nothing decodable after it; a damaged record in the
  // middle leaves the records after it intact. Only garbage up to dirty_end
  // can hold a record, which bounds the search to the dirty region.
  const std::string_view dirty = data.substr(0, scan.dirty_end);
  for (std::uint64_t q = scan.bad_offset + 1; q + kRecordHeaderSize <= dirty.size(); ++q) {
    const DecodedRecord d = DecodeRecord(dirty.substr(q), max_payload);
    if (d.outcome == DecodeOutcome::kRecord) {
      scan.valid_record_after_bad = true;
      break;
    }
  }
  return scan;
}

}  // namespace cohort::consensus::wal
