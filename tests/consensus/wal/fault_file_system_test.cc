// The fault-injecting file system keeps exactly what was synced: the crash
// tests of the log are only as good as this model.
#include "consensus/wal/fault_file_system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cohort/testing/status_matchers.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::unique_ptr<File> MustOpen(FileSystem& fs, const std::string& path, OpenMode mode) {
  auto f = fs.Open(path, mode);
  EXPECT_THAT(f.status(), IsOk());
  return f.ok() ? std::move(*f) : nullptr;
}

TEST(FaultFileSystemTest, UnsyncedDataAndNamesAreDropped) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
  ASSERT_THAT(f->Append("hello"), IsOk());
  ASSERT_THAT(f->Sync(), IsOk());
  ASSERT_THAT(f->Append(" world"), IsOk());
  EXPECT_THAT(fs.Contents("/d/a"), IsOkAndHolds("hello world"));
  // The file's name was never made durable: it disappears entirely.
  fs.Crash(CrashMode::kDropUnsynced, 1);
  EXPECT_THAT(fs.List("/d"), IsOkAndHolds(IsEmpty()));
}

TEST(FaultFileSystemTest, SyncedDataUnderASyncedNameSurvives) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
  ASSERT_THAT(fs.SyncDir("/d"), IsOk());
  ASSERT_THAT(f->PWrite(0, "hello"), IsOk());
  ASSERT_THAT(f->DataSync(), IsOk());
  ASSERT_THAT(f->PWrite(5, " world"), IsOk());
  fs.Crash(CrashMode::kDropUnsynced, 1);
  EXPECT_THAT(fs.Contents("/d/a"), IsOkAndHolds("hello"));
  // Old handles are dead after a crash.
  EXPECT_THAT(f->PWrite(0, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(FaultFileSystemTest, RandomPrefixKeepsWholeWritesThenATornOne) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    FaultFileSystem fs;
    ASSERT_THAT(fs.CreateDir("/d"), IsOk());
    auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
    ASSERT_THAT(fs.SyncDir("/d"), IsOk());
    ASSERT_THAT(f->Append("aaaa"), IsOk());
    ASSERT_THAT(f->Append("bbbb"), IsOk());
    ASSERT_THAT(f->Append("cccc"), IsOk());
    fs.Crash(CrashMode::kKeepRandomPrefix, seed);
    auto got = fs.Contents("/d/a");
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(*got, std::string("aaaabbbbcccc").substr(0, got->size())) << "seed " << seed;
  }
}

TEST(FaultFileSystemTest, RenameIsDurableOnlyAfterDirectorySync) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/tmp", OpenMode::kCreate);
  ASSERT_THAT(f->Append("v1"), IsOk());
  ASSERT_THAT(f->Sync(), IsOk());
  ASSERT_THAT(fs.SyncDir("/d"), IsOk());
  ASSERT_THAT(fs.Rename("/d/tmp", "/d/final"), IsOk());
  fs.Crash(CrashMode::kDropUnsynced, 1);
  EXPECT_THAT(fs.List("/d"), IsOkAndHolds(ElementsAre("tmp")));
  ASSERT_THAT(fs.Rename("/d/tmp", "/d/final"), IsOk());
  ASSERT_THAT(fs.SyncDir("/d"), IsOk());
  fs.Crash(CrashMode::kDropUnsynced, 1);
  EXPECT_THAT(fs.Contents("/d/final"), IsOkAndHolds("v1"));
}

TEST(FaultFileSystemTest, ReorderedMetadataCanLoseAnEarlierUnlink) {
  bool kept_first_lost_second = false;
  for (std::uint64_t seed = 0; seed < 64 && !kept_first_lost_second; ++seed) {
    FaultFileSystem fs;
    ASSERT_THAT(fs.CreateDir("/d"), IsOk());
    MustOpen(fs, "/d/1", OpenMode::kCreate);
    MustOpen(fs, "/d/2", OpenMode::kCreate);
    ASSERT_THAT(fs.SyncDir("/d"), IsOk());
    ASSERT_THAT(fs.Unlink("/d/1"), IsOk());
    ASSERT_THAT(fs.Unlink("/d/2"), IsOk());
    fs.Crash(CrashMode::kReorderMetadata, seed);
    kept_first_lost_second = fs.Exists("/d/1") && !fs.Exists("/d/2");
  }
  EXPECT_TRUE(kept_first_lost_second);
}

TEST(FaultFileSystemTest, CrashAtCallFreezesEverythingFromThere) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);  // call 0
  fs.CrashAtCall(2);
  EXPECT_THAT(f->Append("x"), IsOk());                 // call 1
  EXPECT_THAT(f->Sync(), StatusIs(absl::StatusCode::kInternal));  // call 2
  EXPECT_THAT(f->Append("y"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(fs.Contents("/d/a"), IsOkAndHolds("x"));
}

TEST(FaultFileSystemTest, InjectsErrorsOnChosenCalls) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
  fs.FailOp(FsOp::kDataSync, "/d/a", absl::InternalError("EIO"), 2);
  EXPECT_THAT(f->DataSync(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(f->DataSync(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(f->DataSync(), IsOk());
  fs.FailCall(fs.steps(), absl::ResourceExhaustedError("ENOSPC"));
  EXPECT_THAT(f->Append("x"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(fs.Contents("/d/a"), IsOkAndHolds(""));
}

TEST(FaultFileSystemTest, SyncHookRunsOnEverySync) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  std::vector<std::string> synced;
  fs.SetSyncHook([&](const std::string& path) { synced.push_back(path); });
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
  ASSERT_THAT(f->DataSync(), IsOk());
  ASSERT_THAT(fs.SyncDir("/d"), IsOk());
  EXPECT_THAT(synced, ElementsAre("/d/a", "/d"));
}

TEST(FaultFileSystemTest, FallocateAndTruncateAreDataOperations) {
  FaultFileSystem fs;
  ASSERT_THAT(fs.CreateDir("/d"), IsOk());
  auto f = MustOpen(fs, "/d/a", OpenMode::kCreate);
  ASSERT_THAT(fs.SyncDir("/d"), IsOk());
  ASSERT_THAT(f->Fallocate(8), IsOk());
  EXPECT_THAT(f->Size(), IsOkAndHolds(8u));
  ASSERT_THAT(f->PWrite(2, "ab"), IsOk());
  ASSERT_THAT(f->Sync(), IsOk());
  ASSERT_THAT(f->Truncate(3), IsOk());
  fs.Crash(CrashMode::kDropUnsynced, 1);
  EXPECT_THAT(fs.Contents("/d/a"), IsOkAndHolds(std::string("\0\0ab\0\0\0\0", 8)));
}

}  // namespace
}  // namespace cohort::consensus::wal
