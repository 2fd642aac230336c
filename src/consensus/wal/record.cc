#include "consensus/wal/record.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/crc32c.h"
#include "cohort/base/status.h"

namespace cohort::consensus::wal {
namespace {

void PutFixed32(std::uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t GetFixed32(const char* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << (8 * i);
  return v;
}

// Reads a varint from the front of `in` (the entry payload has no reader
// position to ask for, since its data runs to the end).
bool GetVarint(std::string_view* in, std::uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(in->front());
    in->remove_prefix(1);
    if (shift == 63 && byte > 1) return false;
    *v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool KnownType(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(RecordType::kHeader) &&
         type <= static_cast<std::uint8_t>(RecordType::kSnapshot);
}

}  // namespace

void AppendRecord(RecordType type, std::string_view payload, std::string* out) {
  const std::size_t start = out->size();
  out->resize(start + kRecordHeaderSize);
  char* header = out->data() + start;
  PutFixed32(static_cast<std::uint32_t>(payload.size()), header + 4);
  header[8] = static_cast<char>(type);
  std::uint32_t crc = crc32c::Extend(0, header + 4, 5);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  PutFixed32(crc32c::Mask(crc), header);
  out->append(payload);
}

std::string EncodeHeader(const SegmentHeader& h) {
  std::string out;
  coding::PutVarint(h.format_version, &out);
  coding::PutVarint(h.cluster_id, &out);
  coding::PutVarint(h.node_id, &out);
  coding::PutVarint(h.segment_seq, &out);
  coding::PutVarint(h.prev_last_index, &out);
  coding::PutVarint(h.prev_last_term, &out);
  return out;
}

std::string EncodeEntry(const raft::Entry& e) {
  std::string out;
  coding::PutVarint(e.term, &out);
  coding::PutVarint(e.index, &out);
  out.push_back(static_cast<char>(e.type));
  out.append(e.data);
  return out;
}

std::string EncodeHardState(const raft::HardState& s) {
  std::string out;
  coding::PutVarint(s.term, &out);
  coding::PutVarint(s.vote, &out);
  coding::PutVarint(s.commit, &out);
  return out;
}

std::string EncodeSnapshotMarker(const SnapshotMarker& m) {
  std::string out;
  coding::PutVarint(m.index, &out);
  coding::PutVarint(m.term, &out);
  return out;
}

absl::StatusOr<SegmentHeader> DecodeHeader(std::string_view payload) {
  coding::Reader r(payload, "WAL segment header");
  SegmentHeader h;
  COHORT_ASSIGN_OR_RETURN(const std::uint64_t version, r.Varint("format_version"));
  if (version > 0xffffffffu) return absl::DataLossError("WAL segment header format_version out of range");
  h.format_version = static_cast<std::uint32_t>(version);
  COHORT_ASSIGN_OR_RETURN(h.cluster_id, r.Varint("cluster_id"));
  COHORT_ASSIGN_OR_RETURN(h.node_id, r.Varint("node_id"));
  COHORT_ASSIGN_OR_RETURN(h.segment_seq, r.Varint("segment_seq"));
  COHORT_ASSIGN_OR_RETURN(h.prev_last_index, r.Varint("prev_last_index"));
  COHORT_ASSIGN_OR_RETURN(h.prev_last_term, r.Varint("prev_last_term"));
  COHORT_RETURN_IF_ERROR(r.ExpectEnd());
  return h;
}

absl::StatusOr<raft::Entry> DecodeEntry(std::string_view payload) {
  raft::Entry e;
  if (!GetVarint(&payload, &e.term)) return absl::DataLossError("WAL entry: bad term varint");
  if (!GetVarint(&payload, &e.index)) return absl::DataLossError("WAL entry: bad index varint");
  if (payload.empty()) return absl::DataLossError("WAL entry truncated in field 'type'");
  const auto type = static_cast<std::uint8_t>(payload[0]);
  if (type > static_cast<std::uint8_t>(raft::EntryType::kConfChange)) {
    return absl::DataLossError(absl::StrCat("WAL entry has unknown type ", type));
  }
  e.type = static_cast<raft::EntryType>(type);
  e.data.assign(payload.substr(1));
  return e;
}

absl::StatusOr<raft::HardState> DecodeHardState(std::string_view payload) {
  coding::Reader r(payload, "WAL hard state");
  raft::HardState s;
  COHORT_ASSIGN_OR_RETURN(s.term, r.Varint("term"));
  COHORT_ASSIGN_OR_RETURN(s.vote, r.Varint("vote"));
  COHORT_ASSIGN_OR_RETURN(s.commit, r.Varint("commit"));
  COHORT_RETURN_IF_ERROR(r.ExpectEnd());
  return s;
}

absl::StatusOr<SnapshotMarker> DecodeSnapshotMarker(std::string_view payload) {
  coding::Reader r(payload, "WAL snapshot marker");
  SnapshotMarker m;
  COHORT_ASSIGN_OR_RETURN(m.index, r.Varint("index"));
  COHORT_ASSIGN_OR_RETURN(m.term, r.Varint("term"));
  COHORT_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

DecodedRecord DecodeRecord(std::string_view in, std::uint32_t max_payload) {
  DecodedRecord d;
  const std::size_t head = std::min(in.size(), kRecordHeaderSize);
  if (std::all_of(in.begin(), in.begin() + static_cast<long>(head), [](char c) { return c == 0; })) {
    d.outcome = DecodeOutcome::kZeros;
    return d;
  }
  if (in.size() < kRecordHeaderSize) {
    d.outcome = DecodeOutcome::kTruncated;
    d.reason = "the file ends inside a record header";
    return d;
  }
  const std::uint32_t length = GetFixed32(in.data() + 4);
  if (length > max_payload) {
    d.reason = "record length exceeds the limit";
    return d;
  }
  if (in.size() - kRecordHeaderSize < length) {
    d.outcome = DecodeOutcome::kTruncated;
    d.reason = "the file ends inside a record";
    return d;
  }
  const std::uint32_t crc = crc32c::Extend(0, in.data() + 4, kRecordHeaderSize - 4 + length);
  if (crc32c::Mask(crc) != GetFixed32(in.data())) {
    d.reason = "record checksum mismatch";
    return d;
  }
  const auto type = static_cast<std::uint8_t>(in[8]);
  if (!KnownType(type)) {
    d.reason = "unknown record type (written by a newer version?)";
    return d;
  }
  d.outcome = DecodeOutcome::kRecord;
  d.type = static_cast<RecordType>(type);
  d.payload = in.substr(kRecordHeaderSize, length);
  d.size = kRecordHeaderSize + length;
  return d;
}

}  // namespace cohort::consensus::wal
