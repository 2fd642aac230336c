// Fuzz target for the WAL record decoder and payload codecs: any bytes,
// scanned as a segment. Properties: no crash and no allocation beyond the
// input; every record that decodes re-frames to exactly its bytes; every
// payload that decodes re-encodes to a payload that decodes to the same value;
// the scan's verdicts are consistent with its records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "consensus/wal/record.h"
#include "consensus/wal/segment.h"
#include "consensus/wal/snapshot_store.h"
#include "support/fuzz_target.h"

namespace {

using namespace cohort::consensus::wal;  // NOLINT

template <typename T, typename Decode, typename Encode>
void CheckPayload(std::string_view payload, Decode decode, Encode encode) {
  auto first = decode(payload);
  if (!first.ok()) return;
  auto second = decode(encode(*first));
  if (!second.ok() || !(*second == *first)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::uint32_t kLimit = 1u << 16;
  const SegmentScan scan = ScanSegment(input, kLimit);
  std::uint64_t pos = 0;
  for (const ScannedRecord& r : scan.records) {
    if (r.offset != pos || r.payload.size() > kLimit) std::abort();
    std::string again;
    AppendRecord(r.type, r.payload, &again);
    if (again != input.substr(r.offset, r.size)) std::abort();
    pos += r.size;
    switch (r.type) {
      case RecordType::kHeader:
        CheckPayload<SegmentHeader>(r.payload, DecodeHeader, EncodeHeader);
        break;
      case RecordType::kEntry:
        CheckPayload<cohort::consensus::raft::Entry>(r.payload, DecodeEntry, EncodeEntry);
        break;
      case RecordType::kHardState:
        CheckPayload<cohort::consensus::raft::HardState>(r.payload, DecodeHardState, EncodeHardState);
        break;
      case RecordType::kSnapshot:
        CheckPayload<SnapshotMarker>(r.payload, DecodeSnapshotMarker, EncodeSnapshotMarker);
        break;
    }
  }
  if (scan.valid_end != pos || scan.valid_end > size) std::abort();
  if (!scan.clean && (scan.bad_offset != pos || scan.dirty_end <= pos)) std::abort();
  // The same bytes as a snapshot metadata block.
  CheckPayload<cohort::consensus::raft::SnapshotMetadata>(input, DecodeSnapshotMetadata,
                                                          EncodeSnapshotMetadata);
  return 0;
}
