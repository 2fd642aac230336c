// Record framing and payload codecs, and the segment scan's verdicts.
#include "consensus/wal/record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cohort/testing/status_matchers.h"
#include "consensus/wal/segment.h"
#include "consensus/wal/snapshot_store.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;

TEST(RecordTest, PayloadsRoundTrip) {
  const raft::Entry e{7, 1ull << 40, raft::EntryType::kConfChange, std::string("a\0b", 3)};
  EXPECT_THAT(DecodeEntry(EncodeEntry(e)), IsOkAndHolds(e));
  const raft::HardState hs{9, 3, 1234567};
  EXPECT_THAT(DecodeHardState(EncodeHardState(hs)), IsOkAndHolds(hs));
  const SnapshotMarker m{100, 4};
  EXPECT_THAT(DecodeSnapshotMarker(EncodeSnapshotMarker(m)), IsOkAndHolds(m));
  const SegmentHeader h{kFormatVersion, 11, 12, 13, 14, 15};
  EXPECT_THAT(DecodeHeader(EncodeHeader(h)), IsOkAndHolds(h));
  raft::SnapshotMetadata meta;
  meta.index = 5;
  meta.term = 6;
  meta.conf_state.voters = {1, 2};
  meta.conf_state.learners_next = {3};
  EXPECT_THAT(DecodeSnapshotMetadata(EncodeSnapshotMetadata(meta)), IsOkAndHolds(meta));
}

TEST(RecordTest, MalformedPayloadsAreDataLoss) {
  EXPECT_THAT(DecodeEntry(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeEntry(std::string("\x01\x01\x07", 3)), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeHardState(std::string("\x01\x01\x01\x01", 4)), StatusIs(absl::StatusCode::kDataLoss));
  // A member count larger than the bytes that could hold it.
  EXPECT_THAT(DecodeSnapshotMetadata(std::string("\x01\x01\xff\x7f\x00", 5)),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RecordTest, FramesDecode) {
  std::string buf;
  AppendRecord(RecordType::kHardState, EncodeHardState({1, 2, 3}), &buf);
  const DecodedRecord d = DecodeRecord(buf, 100);
  ASSERT_EQ(d.outcome, DecodeOutcome::kRecord);
  EXPECT_EQ(d.type, RecordType::kHardState);
  EXPECT_EQ(d.size, buf.size());
  EXPECT_EQ(d.payload, EncodeHardState({1, 2, 3}));
}

TEST(RecordTest, VerdictsOnBadFrames) {
  std::string buf;
  AppendRecord(RecordType::kEntry, EncodeEntry({1, 1, raft::EntryType::kNormal, "xyz"}), &buf);
  EXPECT_EQ(DecodeRecord(std::string(20, '\0'), 100).outcome, DecodeOutcome::kZeros);
  EXPECT_EQ(DecodeRecord(std::string(3, '\0'), 100).outcome, DecodeOutcome::kZeros);
  EXPECT_EQ(DecodeRecord(buf.substr(0, buf.size() - 1), 100).outcome, DecodeOutcome::kTruncated);
  EXPECT_EQ(DecodeRecord(buf.substr(0, 5), 100).outcome, DecodeOutcome::kTruncated);
  // The limit is checked before the checksum (and before any allocation).
  EXPECT_EQ(DecodeRecord(buf, 2).outcome, DecodeOutcome::kCorrupt);
  for (std::size_t i = 0; i < buf.size(); ++i) {
    std::string bad = buf;
    bad[i] ^= 0x04;
    EXPECT_NE(DecodeRecord(bad, 100).outcome, DecodeOutcome::kRecord) << "byte " << i;
  }
}

TEST(RecordTest, ScanTellsTornTailsFromCorruption) {
  std::string seg;
  for (int i = 1; i <= 3; ++i) {
    AppendRecord(RecordType::kEntry, EncodeEntry({1, static_cast<raft::Index>(i), raft::EntryType::kNormal, "data"}), &seg);
  }
  const std::size_t rec = seg.size() / 3;
  std::string padded = seg + std::string(100, '\0');
  SegmentScan clean = ScanSegment(padded, 100);
  EXPECT_TRUE(clean.clean);
  EXPECT_EQ(clean.records.size(), 3u);
  EXPECT_EQ(clean.valid_end, seg.size());

  std::string torn = seg.substr(0, seg.size() - 2) + std::string(100, '\0');
  SegmentScan t = ScanSegment(torn, 100);
  EXPECT_FALSE(t.clean);
  EXPECT_FALSE(t.valid_record_after_bad);
  EXPECT_EQ(t.valid_end, 2 * rec);

  std::string mid = padded;
  mid[rec + 10] ^= 1;
  SegmentScan m = ScanSegment(mid, 100);
  EXPECT_FALSE(m.clean);
  EXPECT_TRUE(m.valid_record_after_bad);
  EXPECT_EQ(m.bad_offset, rec);
}

TEST(SegmentNameTest, RoundTrips) {
  EXPECT_EQ(SegmentName(0x2a), "wal-000000000000002a.log");
  EXPECT_EQ(ParseSegmentName("wal-000000000000002a.log"), 0x2au);
  EXPECT_EQ(ParseSegmentName("wal-000000000000002A.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentName("wal-2a.log"), std::nullopt);
  EXPECT_TRUE(IsSegmentTempName(SegmentTempName(3)));
}

}  // namespace
}  // namespace cohort::consensus::wal
