// Recovery at every byte offset: a tail cut or zeroed at each offset of the
// last batch is repaired (the intact prefix kept, the rest cut), while a
// damaged byte in any record that is followed by good records is kDataLoss
// naming the file and offset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/fault_file_system.h"
#include "consensus/wal/segment.h"
#include "consensus/wal/wal.h"
#include "wal_test_util.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using namespace ::cohort::consensus::wal::testing;  // NOLINT

constexpr char kDir[] = "/data/wal";

struct Fixture {
  FaultFileSystem fs;
  std::string segment;     // path of the last segment
  std::string contents;    // its bytes after the final batch
  std::uint64_t batch_start = 0;  // where the final batch begins
  std::uint64_t batch_end = 0;
  std::vector<raft::Entry> entries;
};

WalOptions Options(FileSystem* fs, bool preallocate) {
  WalOptions o = SmallOptions(fs, kDir);
  o.segment_bytes = 64 << 10;
  o.preallocate = preallocate;
  return o;
}

// Three batches; the last has three entries and no hard state, so its last
// record is an entry.
void Build(Fixture& f, bool preallocate) {
  f.entries = MakeEntries(1, 9, 2, 30);
  auto wal = Wal::Open(Options(&f.fs, preallocate));
  ASSERT_THAT(wal.status(), IsOk());
  ASSERT_THAT((*wal)->Append(Batch({f.entries.begin(), f.entries.begin() + 3}, raft::HardState{2, 1, 0})), IsOk());
  ASSERT_THAT((*wal)->Append(Batch({f.entries.begin() + 3, f.entries.begin() + 6}, raft::HardState{2, 1, 3})), IsOk());
  f.segment = absl::StrCat(kDir, "/", SegmentName(1));
  auto before = f.fs.Contents(f.segment);
  ASSERT_THAT(before.status(), IsOk());
  ASSERT_THAT((*wal)->Append(Batch({f.entries.begin() + 6, f.entries.end()})), IsOk());
  auto after = f.fs.Contents(f.segment);
  ASSERT_THAT(after.status(), IsOk());
  f.contents = *after;
  const SegmentScan scan = ScanSegment(f.contents, 1 << 20);
  ASSERT_TRUE(scan.clean);
  f.batch_end = scan.valid_end;
  f.batch_start = scan.records[scan.records.size() - 3].offset;
}

// Entries whose records end at or before `offset`.
raft::Index EntriesBefore(const Fixture& f, std::uint64_t offset) {
  raft::Index n = 0;
  for (const auto& r : ScanSegment(f.contents.substr(0, offset), 1 << 20).records) {
    if (r.type == RecordType::kEntry) ++n;
  }
  return n;
}

void ExpectRecoversTo(Fixture& f, bool preallocate, raft::Index last, const std::string& where) {
  SCOPED_TRACE(where);
  auto wal = Wal::Open(Options(&f.fs, preallocate));
  ASSERT_THAT(wal.status(), IsOk());
  ASSERT_EQ((*wal)->LastIndex(), last);
  EXPECT_THAT(AllEntries(**wal), ElementsAreArray(f.entries.begin(), f.entries.begin() + static_cast<long>(last)));
  EXPECT_EQ((*wal)->hard_state(), (raft::HardState{2, 1, 3}));
  // The repaired log takes new writes, and they survive the next reopen.
  const raft::Entry next = MakeEntry(last + 1, 3, 5);
  ASSERT_THAT((*wal)->Append(Batch({next})), IsOk());
  wal->reset();
  auto again = Wal::Open(Options(&f.fs, preallocate));
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ((*again)->LastIndex(), last + 1);
  EXPECT_EQ((*again)->TermAt(last + 1), 3u);
}

class TornTailTest : public ::testing::TestWithParam<bool> {};

TEST_P(TornTailTest, TailCutAtEveryOffsetKeepsTheIntactPrefix) {
  const bool preallocate = GetParam();
  Fixture base;
  Build(base, preallocate);
  for (std::uint64_t o = base.batch_start; o <= base.batch_end; ++o) {
    Fixture f;
    Build(f, preallocate);
    std::string cut = f.contents.substr(0, o);
    // Preallocated: the unwritten rest reads as zeros; otherwise the file
    // simply ends at the cut.
    if (preallocate) cut.resize(f.contents.size(), '\0');
    ASSERT_THAT(f.fs.SetContents(f.segment, cut), IsOk());
    ExpectRecoversTo(f, preallocate, 6 + (EntriesBefore(f, o) - 6), absl::StrCat("cut at ", o));
  }
}

TEST_P(TornTailTest, GarbageAfterTheTailIsCut) {
  const bool preallocate = GetParam();
  for (std::uint64_t o = 0; o < 40; ++o) {
    Fixture f;
    Build(f, preallocate);
    std::string bytes = f.contents;
    if (bytes.size() < f.batch_end + 40) bytes.resize(f.batch_end + 40, '\0');
    bytes[f.batch_end + o] = '\x5a';
    ASSERT_THAT(f.fs.SetContents(f.segment, bytes), IsOk());
    ExpectRecoversTo(f, preallocate, 9, absl::StrCat("garbage at tail + ", o));
  }
}

TEST_P(TornTailTest, DamagedByteInTheLastRecordIsATornTail) {
  const bool preallocate = GetParam();
  Fixture base;
  Build(base, preallocate);
  const auto records = ScanSegment(base.contents, 1 << 20).records;
  const std::uint64_t last_start = records.back().offset;
  for (std::uint64_t o = last_start; o < base.batch_end; ++o) {
    Fixture f;
    Build(f, preallocate);
    std::string bytes = f.contents;
    bytes[o] = static_cast<char>(bytes[o] ^ 0x40);
    ASSERT_THAT(f.fs.SetContents(f.segment, bytes), IsOk());
    ExpectRecoversTo(f, preallocate, 8, absl::StrCat("flip at ", o));
  }
}

TEST_P(TornTailTest, DamagedByteFollowedByGoodRecordsIsDataLoss) {
  const bool preallocate = GetParam();
  Fixture base;
  Build(base, preallocate);
  const auto records = ScanSegment(base.contents, 1 << 20).records;
  // Every byte of every record but the last: the header, the hard states
  // and the entries of all three batches.
  for (std::size_t r = 0; r + 1 < records.size(); ++r) {
    for (std::uint64_t o = records[r].offset; o < records[r].offset + records[r].size; ++o) {
      Fixture f;
      Build(f, preallocate);
      std::string bytes = f.contents;
      bytes[o] = static_cast<char>(bytes[o] ^ 0x01);
      ASSERT_THAT(f.fs.SetContents(f.segment, bytes), IsOk());
      EXPECT_THAT(Wal::Open(Options(&f.fs, preallocate)).status(),
                  StatusIs(absl::StatusCode::kDataLoss,
                           HasSubstr(absl::StrCat(f.segment, " at offset ", records[r].offset))))
          << "flip at " << o;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Preallocated, TornTailTest, ::testing::Bool());

TEST(WalCorruptionTest, DamageInAnEarlierSegmentIsDataLoss) {
  FaultFileSystem fs;
  {
    auto wal = Wal::Open(SmallOptions(&fs));
    ASSERT_THAT(wal.status(), IsOk());
    for (raft::Index i = 1; i <= 100; i += 10) {
      ASSERT_THAT((*wal)->Append(Batch(MakeEntries(i, i + 9, 1, 100))), IsOk());
    }
  }
  const std::string first = absl::StrCat("/data/wal/", SegmentName(1));
  auto bytes = fs.Contents(first);
  ASSERT_THAT(bytes.status(), IsOk());
  const auto records = ScanSegment(*bytes, 1 << 20).records;
  // The last record of a segment that is not the last one.
  (*bytes)[records.back().offset + 12] ^= 0x10;
  ASSERT_THAT(fs.SetContents(first, *bytes), IsOk());
  EXPECT_THAT(Wal::Open(SmallOptions(&fs)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not the last")));
}

TEST(WalCorruptionTest, NewestSegmentCutInsideItsHeaderIsRemoved) {
  FaultFileSystem fs;
  std::vector<raft::Entry> kept;
  {
    auto wal = Wal::Open(SmallOptions(&fs));
    ASSERT_THAT(wal.status(), IsOk());
    for (raft::Index i = 1; (*wal)->GetStats().segments < 2; i += 10) {
      kept = AllEntries(**wal);
      ASSERT_THAT((*wal)->Append(Batch(MakeEntries(i, i + 9, 1, 100))), IsOk());
    }
  }
  const std::string second = absl::StrCat("/data/wal/", SegmentName(2));
  for (std::size_t cut = 0; cut < 12; ++cut) {
    auto bytes = fs.Contents(second);
    ASSERT_THAT(bytes.status(), IsOk());
    ASSERT_THAT(fs.SetContents(second, bytes->substr(0, cut)), IsOk());
    auto wal = Wal::Open(SmallOptions(&fs));
    ASSERT_THAT(wal.status(), IsOk()) << "cut at " << cut;
    EXPECT_THAT(AllEntries(**wal), ElementsAreArray(kept));
    // The log continues in a fresh segment 2.
    ASSERT_THAT((*wal)->Append(Batch(MakeEntries(kept.size() + 1, kept.size() + 10, 1, 100))), IsOk());
    EXPECT_TRUE(fs.Exists(second));
  }
}

TEST(WalCorruptionTest, MissingMiddleSegmentIsDataLoss) {
  FaultFileSystem fs;
  {
    auto wal = Wal::Open(SmallOptions(&fs));
    ASSERT_THAT(wal.status(), IsOk());
    for (raft::Index i = 1; i <= 100; i += 10) {
      ASSERT_THAT((*wal)->Append(Batch(MakeEntries(i, i + 9, 1, 100))), IsOk());
    }
    ASSERT_GE((*wal)->GetStats().segments, 4u);
  }
  ASSERT_THAT(fs.Unlink(absl::StrCat("/data/wal/", SegmentName(2))), IsOk());
  EXPECT_THAT(Wal::Open(SmallOptions(&fs)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("are missing")));
}

}  // namespace
}  // namespace cohort::consensus::wal
