// The log and the snapshot store on the real file system, in a temporary
// directory: round trips, and recovery from a last segment cut at byte
// offsets of its final batch (what a power loss does to a file without
// preallocation).
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/file_system.h"
#include "consensus/wal/segment.h"
#include "consensus/wal/snapshot_store.h"
#include "consensus/wal/wal.h"
#include "wal_test_util.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::testing::ElementsAreArray;
using namespace ::cohort::consensus::wal::testing;  // NOLINT

class PosixWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("cohort_wal_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  WalOptions Options(bool preallocate) {
    WalOptions o = SmallOptions(fs_.get(), (dir_ / "wal").string());
    o.segment_bytes = 16 << 10;
    o.preallocate = preallocate;
    return o;
  }

  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  std::filesystem::path dir_;
};

TEST_F(PosixWalTest, RoundTripAcrossSegmentsAndReopen) {
  const auto entries = MakeEntries(1, 400, 2, 200);
  {
    auto wal = Wal::Open(Options(true));
    ASSERT_THAT(wal.status(), IsOk());
    for (std::size_t i = 0; i < entries.size(); i += 16) {
      ASSERT_THAT((*wal)->Append(Batch({entries.begin() + i, entries.begin() + std::min(entries.size(), i + 16)},
                                       raft::HardState{2, 1, i})),
                  IsOk());
    }
    EXPECT_GT((*wal)->GetStats().segments, 3u);
  }
  auto wal = Wal::Open(Options(true));
  ASSERT_THAT(wal.status(), IsOk());
  EXPECT_THAT(AllEntries(**wal), ElementsAreArray(entries));
  EXPECT_EQ((*wal)->hard_state(), (raft::HardState{2, 1, 384}));
  // Preallocated: segments are full-size files.
  EXPECT_EQ(std::filesystem::file_size(dir_ / "wal" / SegmentName(1)), 16u << 10);
}

TEST_F(PosixWalTest, TruncatedLastSegmentRecoversAtEveryOffset) {
  const auto entries = MakeEntries(1, 8, 1, 40);
  std::string full;
  std::uint64_t batch_start = 0;
  {
    auto wal = Wal::Open(Options(false));
    ASSERT_THAT(wal.status(), IsOk());
    ASSERT_THAT((*wal)->Append(Batch({entries.begin(), entries.begin() + 5}, raft::HardState{1, 1, 2})), IsOk());
    // Where the records end (the file runs on: zeros written ahead).
    auto first = ReadWholeFile(*fs_, (dir_ / "wal" / SegmentName(1)).string());
    ASSERT_THAT(first.status(), IsOk());
    batch_start = ScanSegment(*first, 1 << 20).valid_end;
    ASSERT_THAT((*wal)->Append(Batch({entries.begin() + 5, entries.end()})), IsOk());
  }
  const std::string seg = (dir_ / "wal" / SegmentName(1)).string();
  auto bytes = ReadWholeFile(*fs_, seg);
  ASSERT_THAT(bytes.status(), IsOk());
  // Cuts past the last record fall in the zeros: the same as no cut.
  full = bytes->substr(0, ScanSegment(*bytes, 1 << 20).valid_end);
  for (std::uint64_t o = batch_start; o <= full.size(); ++o) {
    SCOPED_TRACE(absl::StrCat("cut at ", o));
    {
      auto f = fs_->Open(seg, OpenMode::kCreateTruncate);
      ASSERT_THAT(f.status(), IsOk());
      ASSERT_THAT((*f)->PWrite(0, full.substr(0, o)), IsOk());
    }
    raft::Index expected = 5;
    for (const auto& r : ScanSegment(full.substr(0, o), 1 << 20).records) {
      if (r.type == RecordType::kEntry && r.offset >= batch_start) ++expected;
    }
    auto wal = Wal::Open(Options(false));
    ASSERT_THAT(wal.status(), IsOk());
    EXPECT_EQ((*wal)->LastIndex(), expected);
    EXPECT_EQ((*wal)->hard_state(), (raft::HardState{1, 1, 2}));
    EXPECT_THAT(AllEntries(**wal), ElementsAreArray(entries.begin(), entries.begin() + static_cast<long>(expected)));
  }
}

TEST_F(PosixWalTest, ZerosAreWrittenAheadOfTheRecordsInStretches) {
  // Without fallocate the file's size shows how far zeros were written.
  const std::string seg = (dir_ / "wal" / SegmentName(1)).string();
  const auto records_end = [&] {
    auto bytes = ReadWholeFile(*fs_, seg);
    EXPECT_THAT(bytes.status(), IsOk());
    return bytes.ok() ? ScanSegment(*bytes, 1 << 20).valid_end : 0;
  };
  const auto round_up = [](std::uint64_t n) { return (n + 4095) / 4096 * 4096; };
  WalOptions o = Options(false);
  o.zero_ahead_bytes = 4096;
  {
    auto wal = Wal::Open(o);
    ASSERT_THAT(wal.status(), IsOk());
    // The new segment's preamble, then one stretch, synced with it.
    const std::uint64_t first = round_up(records_end()) + 4096;
    EXPECT_EQ(std::filesystem::file_size(seg), first);
    // Records inside the stretch leave it as it is...
    ASSERT_THAT((*wal)->Append(Batch(MakeEntries(1, 2, 1, 100))), IsOk());
    EXPECT_EQ(std::filesystem::file_size(seg), first);
    // ...and the batch that crosses its end writes the next one.
    ASSERT_THAT((*wal)->Append(Batch(MakeEntries(3, 90, 1, 100))), IsOk());
    const std::uint64_t end = records_end();
    ASSERT_GT(end, first);
    EXPECT_EQ(std::filesystem::file_size(seg), std::min<std::uint64_t>(round_up(end) + 4096, 16 << 10));
  }
  // Reopened, the log continues after its last record, not after the zeros.
  auto wal = Wal::Open(o);
  ASSERT_THAT(wal.status(), IsOk());
  EXPECT_EQ((*wal)->LastIndex(), 90u);
  ASSERT_THAT((*wal)->Append(Batch(MakeEntries(91, 91, 1, 100))), IsOk());
  EXPECT_THAT(AllEntries(**wal), ElementsAreArray(MakeEntries(1, 91, 1, 100)));

  // Off: the file ends where the records do.
  std::filesystem::remove_all(dir_);
  o.zero_ahead_bytes = 0;
  auto plain = Wal::Open(o);
  ASSERT_THAT(plain.status(), IsOk());
  ASSERT_THAT((*plain)->Append(Batch(MakeEntries(1, 3, 1, 100))), IsOk());
  EXPECT_EQ(std::filesystem::file_size(seg), records_end());
}

TEST_F(PosixWalTest, SnapshotStoreRoundTrip) {
  SnapshotStoreOptions o;
  o.dir = (dir_ / "snap").string();
  o.fs = fs_.get();
  auto store = SnapshotStore::Open(o);
  ASSERT_THAT(store.status(), IsOk());
  raft::SnapshotMetadata m;
  m.index = 42;
  m.term = 3;
  m.conf_state.voters = {1, 2, 3};
  auto writer = (*store)->Create(m);
  ASSERT_THAT(writer.status(), IsOk());
  const std::string data(3 << 20, 'z');
  ASSERT_THAT((*writer)->Write(data), IsOk());
  ASSERT_THAT((*writer)->Commit(), IsOk());
  auto loaded = (*store)->LoadNewest();
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->metadata, m);
  EXPECT_EQ(loaded->data, data);
  EXPECT_THAT(fs_->List(o.dir), IsOkAndHolds(::testing::ElementsAre("snap-000000000000002a-0000000000000003.snap")));
}

}  // namespace
}  // namespace cohort::consensus::wal
