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
    batch_start = std::filesystem::file_size(dir_ / "wal" / SegmentName(1));
    ASSERT_THAT((*wal)->Append(Batch({entries.begin() + 5, entries.end()})), IsOk());
  }
  const std::string seg = (dir_ / "wal" / SegmentName(1)).string();
  auto bytes = ReadWholeFile(*fs_, seg);
  ASSERT_THAT(bytes.status(), IsOk());
  full = *bytes;
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
