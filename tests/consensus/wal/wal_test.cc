// The log's behaviour without crashes: round trips, reopen, conflicting
// suffixes, rollover, compaction, the entry cache, and bad input.
#include "consensus/wal/wal.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/fault_file_system.h"
#include "wal_test_util.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using namespace ::cohort::consensus::wal::testing;  // NOLINT

std::unique_ptr<Wal> MustOpen(const WalOptions& options) {
  auto wal = Wal::Open(options);
  EXPECT_THAT(wal.status(), IsOk());
  return wal.ok() ? std::move(*wal) : nullptr;
}

TEST(WalTest, NewLogIsEmpty) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->FirstIndex(), 1u);
  EXPECT_EQ(wal->LastIndex(), 0u);
  EXPECT_EQ(wal->hard_state(), raft::HardState{});
  EXPECT_EQ(wal->TermAt(0), 0u);
  EXPECT_EQ(wal->TermAt(1), std::nullopt);
  EXPECT_THAT(wal->Entries(1, 1, 100).status(), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(WalTest, AppendThenReopenRoundTrips) {
  FaultFileSystem fs;
  const auto entries = MakeEntries(1, 50, 3, 40);
  const raft::HardState hs{3, 2, 10};
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch({entries.begin(), entries.begin() + 20}, hs)), IsOk());
    ASSERT_THAT(wal->Append(Batch({entries.begin() + 20, entries.end()})), IsOk());
    EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
    ASSERT_THAT(wal->Close(), IsOk());
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->hard_state(), hs);
  EXPECT_EQ(wal->LastIndex(), 50u);
  EXPECT_EQ(wal->TermAt(37), 3u);
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
}

TEST(WalTest, EntryTypesAndEmptyDataRoundTrip) {
  FaultFileSystem fs;
  std::vector<raft::Entry> entries = {{1, 1, raft::EntryType::kNormal, ""},
                                      {1, 2, raft::EntryType::kConfChange, std::string("\0\1\2", 3)}};
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch(entries)), IsOk());
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
}

TEST(WalTest, HardStateIsDurableWhenAppendReturns) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  ASSERT_THAT(wal->Append(Batch({}, raft::HardState{5, 3, 0})), IsOk());
  EXPECT_EQ(fs.UnsyncedBytes(), 0u);
  wal.reset();
  fs.Crash(CrashMode::kDropUnsynced, 1);
  wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->hard_state(), (raft::HardState{5, 3, 0}));
}

TEST(WalTest, ConflictingSuffixIsReplaced) {
  FaultFileSystem fs;
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 10, 1))), IsOk());
    ASSERT_THAT(wal->Append(Batch(MakeEntries(6, 8, 2))), IsOk());
    EXPECT_EQ(wal->LastIndex(), 8u);
    EXPECT_EQ(wal->TermAt(5), 1u);
    EXPECT_EQ(wal->TermAt(6), 2u);
  }
  auto wal = MustOpen(SmallOptions(&fs));
  auto expected = MakeEntries(1, 5, 1);
  for (auto& e : MakeEntries(6, 8, 2)) expected.push_back(e);
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(expected));
}

TEST(WalTest, RejectsBadBatches) {
  FaultFileSystem fs;
  auto options = SmallOptions(&fs);
  options.max_record_bytes = 8192;
  auto wal = MustOpen(options);
  ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 5, 1), raft::HardState{1, 1, 3})), IsOk());
  EXPECT_THAT(wal->Append(Batch(MakeEntries(7, 8, 1))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[1, 6]")));
  auto gap = MakeEntries(6, 7, 1);
  gap[1].index = 9;
  EXPECT_THAT(wal->Append(Batch(gap)), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("consecutive")));
  EXPECT_THAT(wal->Append(Batch(MakeEntries(3, 4, 2))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("committed")));
  EXPECT_THAT(wal->Append(Batch({MakeEntry(6, 1, 20000)})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_record_bytes")));
  EXPECT_EQ(wal->LastIndex(), 5u);
}

TEST(WalTest, RejectsBadOptions) {
  FaultFileSystem fs;
  auto o = SmallOptions(&fs);
  o.cluster_id = 0;
  EXPECT_THAT(Wal::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cluster_id")));
  o = SmallOptions(&fs);
  o.segment_bytes = 100;
  EXPECT_THAT(Wal::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segment_bytes")));
  o = SmallOptions(nullptr);
  EXPECT_THAT(Wal::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fs")));
}

TEST(WalTest, DirectoryOfAnotherNodeOrClusterIsRefused) {
  FaultFileSystem fs;
  { auto wal = MustOpen(SmallOptions(&fs)); }
  auto o = SmallOptions(&fs);
  o.node_id = 2;
  EXPECT_THAT(Wal::Open(o).status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("belongs to cluster 7 node 1")));
  o = SmallOptions(&fs);
  o.cluster_id = 8;
  EXPECT_THAT(Wal::Open(o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("own data directory")));
}

TEST(WalTest, RollsOverSegmentsAndReadsBackBeyondTheCache) {
  FaultFileSystem fs;
  const auto entries = MakeEntries(1, 300, 4, 100);
  {
    auto wal = MustOpen(SmallOptions(&fs));
    for (std::size_t i = 0; i < entries.size(); i += 10) {
      ASSERT_THAT(wal->Append(Batch({entries.begin() + i, entries.begin() + i + 10})), IsOk());
    }
    const auto stats = wal->GetStats();
    EXPECT_GT(stats.segments, 5u);
    EXPECT_LE(stats.cached_bytes, 1024u);
    EXPECT_GT(stats.cached_entries, 0u);
    EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
    EXPECT_GT(wal->GetStats().disk_reads, 250u);
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
  auto some = wal->Entries(100, 300, 1000);
  ASSERT_THAT(some.status(), IsOk());
  EXPECT_EQ(some->size(), 10u);  // 10 x 100 bytes of data
  EXPECT_EQ(some->front(), entries[99]);
}

TEST(WalTest, DamageFoundWhenReadingBackIsDataLoss) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 30, 1, 100))), IsOk());
  const std::string segment = "/data/wal/wal-0000000000000001.log";
  auto bytes = fs.Contents(segment);
  ASSERT_THAT(bytes.status(), IsOk());
  // Entry 1 is long out of the 1 KiB cache; damage its data.
  const auto at = bytes->find("entry-1-term-1-");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 3] ^= 1;
  ASSERT_THAT(fs.SetContents(segment, *bytes), IsOk());
  EXPECT_THAT(wal->Entries(1, 1, 1000).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(segment)));
  EXPECT_THAT(wal->Entries(2, 2, 1000).status(), IsOk());
}

TEST(WalTest, BatchLargerThanASegmentGetsItsOwn) {
  FaultFileSystem fs;
  const auto entries = MakeEntries(1, 100, 1, 200);
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 1, 1, 200))), IsOk());
    ASSERT_THAT(wal->Append(Batch({entries.begin() + 1, entries.end()})), IsOk());
    EXPECT_EQ(wal->GetStats().segments, 2u);
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(entries));
}

TEST(WalTest, CompactionDropsSegmentsBelowTheSnapshot) {
  FaultFileSystem fs;
  {
    auto wal = MustOpen(SmallOptions(&fs));
    for (raft::Index i = 1; i <= 200; i += 10) {
      ASSERT_THAT(wal->Append(Batch(MakeEntries(i, i + 9, 2, 100), raft::HardState{2, 1, i + 9})), IsOk());
    }
    const auto before = wal->GetStats().segments;
    ASSERT_THAT(wal->MarkSnapshot({150, 2}), IsOk());
    EXPECT_EQ(wal->FirstIndex(), 151u);
    EXPECT_EQ(wal->TermAt(150), 2u);
    auto deleted = wal->Compact();
    ASSERT_THAT(deleted.status(), IsOk());
    EXPECT_GT(*deleted, 0);
    EXPECT_EQ(wal->GetStats().segments, before - static_cast<std::uint64_t>(*deleted));
    EXPECT_THAT(wal->Compact(), ::cohort::testing::IsOkAndHolds(0));
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->snapshot(), (SnapshotMarker{150, 2}));
  EXPECT_EQ(wal->FirstIndex(), 151u);
  EXPECT_EQ(wal->hard_state(), (raft::HardState{2, 1, 200}));
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(MakeEntries(151, 200, 2, 100)));
}

// Regression (found by the random crash test): a segment may begin with an
// overwrite of entries from before its start; once the older segment is
// compacted away, replay must accept that instead of calling it corruption.
TEST(WalTest, OverwriteAtTheStartOfASegmentSurvivesCompactionOfTheOneBefore) {
  FaultFileSystem fs;
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 30, 1, 100), raft::HardState{1, 1, 20})), IsOk());
    ASSERT_EQ(wal->GetStats().segments, 1u);
    ASSERT_THAT(wal->Append(Batch(MakeEntries(25, 40, 2, 100), raft::HardState{2, 2, 38})), IsOk());
    ASSERT_EQ(wal->GetStats().segments, 2u);
    ASSERT_THAT(wal->MarkSnapshot({35, 2}), IsOk());
    EXPECT_THAT(wal->Compact(), ::cohort::testing::IsOkAndHolds(1));
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->snapshot(), (SnapshotMarker{35, 2}));
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(MakeEntries(36, 40, 2, 100)));
}

TEST(WalTest, SnapshotBeyondTheLogReplacesIt) {
  FaultFileSystem fs;
  {
    auto wal = MustOpen(SmallOptions(&fs));
    ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 10, 1))), IsOk());
    ASSERT_THAT(wal->MarkSnapshot({500, 7}), IsOk());
    EXPECT_EQ(wal->FirstIndex(), 501u);
    EXPECT_EQ(wal->LastIndex(), 500u);
    ASSERT_THAT(wal->Append(Batch(MakeEntries(501, 505, 7))), IsOk());
    EXPECT_THAT(wal->MarkSnapshot({400, 7}), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(wal->Append(Batch(MakeEntries(500, 500, 7))), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  auto wal = MustOpen(SmallOptions(&fs));
  EXPECT_EQ(wal->TermAt(500), 7u);
  EXPECT_THAT(AllEntries(*wal), ElementsAreArray(MakeEntries(501, 505, 7)));
}

TEST(WalTest, SnapshotWithOtherTermDiscardsTheLog) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 10, 1))), IsOk());
  ASSERT_THAT(wal->MarkSnapshot({5, 2}), IsOk());
  EXPECT_EQ(wal->FirstIndex(), 6u);
  EXPECT_EQ(wal->LastIndex(), 5u);
}

TEST(WalTest, ReadsDoNotWaitForASyncInProgress) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  ASSERT_THAT(wal->Append(Batch(MakeEntries(1, 3, 1))), IsOk());
  absl::Notification in_sync, release;
  fs.SetSyncHook([&](const std::string&) {
    in_sync.Notify();
    release.WaitForNotification();
  });
  std::thread writer([&] { EXPECT_THAT(wal->Append(Batch(MakeEntries(4, 5, 1))), IsOk()); });
  in_sync.WaitForNotification();
  // The batch is written but not yet durable: readers see the old log.
  EXPECT_EQ(wal->LastIndex(), 3u);
  EXPECT_THAT(wal->Entries(1, 3, 1000), ::cohort::testing::IsOkAndHolds(ElementsAreArray(MakeEntries(1, 3, 1))));
  release.Notify();
  writer.join();
  fs.SetSyncHook(nullptr);
  EXPECT_EQ(wal->LastIndex(), 5u);
}

TEST(WalTest, IoErrorStopsTheLog) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  fs.FailOp(FsOp::kDataSync, "wal-", absl::InternalError("fdatasync: Input/output error"));
  EXPECT_THAT(wal->Append(Batch(MakeEntries(1, 1, 1))), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(wal->Append(Batch(MakeEntries(1, 1, 1))),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("reopen")));
  EXPECT_EQ(wal->LastIndex(), 0u);
}

TEST(WalTest, DiskFullDuringRolloverIsReported) {
  FaultFileSystem fs;
  auto wal = MustOpen(SmallOptions(&fs));
  fs.FailOp(FsOp::kFallocate, "wal-", absl::ResourceExhaustedError("posix_fallocate: No space left"));
  for (raft::Index i = 1;; i += 10) {
    absl::Status s = wal->Append(Batch(MakeEntries(i, i + 9, 1, 100)));
    if (!s.ok()) {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
      break;
    }
    ASSERT_LT(i, 100u);
  }
  wal.reset();
  fs.ClearFaults();
  fs.Crash(CrashMode::kDropUnsynced, 3);
  EXPECT_THAT(Wal::Open(SmallOptions(&fs)).status(), IsOk());
}

}  // namespace
}  // namespace cohort::consensus::wal
