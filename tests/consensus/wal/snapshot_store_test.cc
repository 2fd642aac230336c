// Snapshot store: streamed round trips, retention, fallback from a damaged
// newest snapshot, kDataLoss when nothing verifies, and a crash between
// every pair of file-system calls of a save.
#include "consensus/wal/snapshot_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/base/status.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/fault_file_system.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDir[] = "/data/snap";

SnapshotStoreOptions Options(FileSystem* fs, int retain = 2) {
  SnapshotStoreOptions o;
  o.dir = kDir;
  o.fs = fs;
  o.retain = retain;
  o.chunk_bytes = 1000;
  return o;
}

raft::SnapshotMetadata Meta(raft::Index index, raft::Term term) {
  raft::SnapshotMetadata m;
  m.index = index;
  m.term = term;
  m.conf_state.voters = {1, 2, 3};
  m.conf_state.learners = {4};
  m.conf_state.voters_outgoing = {1, 2, 5};
  m.conf_state.auto_leave = true;
  return m;
}

std::string Data(std::size_t size, std::uint64_t seed) {
  Random random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random.Next64());
  return out;
}

absl::Status Save(SnapshotStore& store, const raft::SnapshotMetadata& m, const std::string& data) {
  auto writer = store.Create(m);
  if (!writer.ok()) return writer.status();
  // Uneven pieces, each within the chunk limit.
  for (std::size_t pos = 0; pos < data.size(); pos += 777) {
    COHORT_RETURN_IF_ERROR((*writer)->Write(std::string_view(data).substr(pos, 777)));
  }
  return (*writer)->Commit();
}

std::string SnapPath(raft::Index index, raft::Term term) {
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%s/snap-%016llx-%016llx.snap", kDir,
                static_cast<unsigned long long>(index), static_cast<unsigned long long>(term));
  return buf;
}

TEST(SnapshotStoreTest, EmptyStoreIsNotFound) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs));
  ASSERT_THAT(store.status(), IsOk());
  EXPECT_THAT((*store)->LoadNewest().status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SnapshotStoreTest, RoundTripsInChunks) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs));
  ASSERT_THAT(store.status(), IsOk());
  const std::string data = Data(10'000, 1);
  ASSERT_THAT(Save(**store, Meta(10, 2), data), IsOk());
  auto reader = (*store)->OpenNewest();
  ASSERT_THAT(reader.status(), IsOk());
  EXPECT_EQ((*reader)->metadata(), Meta(10, 2));
  EXPECT_EQ((*reader)->size(), data.size());
  std::string got;
  int chunks = 0;
  while (true) {
    auto chunk = (*reader)->Next();
    ASSERT_THAT(chunk.status(), IsOk());
    if (chunk->empty()) break;
    EXPECT_LE(chunk->size(), 1000u);
    got += *chunk;
    ++chunks;
  }
  EXPECT_EQ(got, data);
  EXPECT_EQ(chunks, 13);  // one per Write() of 777 bytes
}

TEST(SnapshotStoreTest, LargeWritesAreSplitIntoChunks) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs));
  ASSERT_THAT(store.status(), IsOk());
  auto writer = (*store)->Create(Meta(3, 1));
  ASSERT_THAT(writer.status(), IsOk());
  ASSERT_THAT((*writer)->Write(Data(4500, 3)), IsOk());
  ASSERT_THAT((*writer)->Commit(), IsOk());
  auto reader = (*store)->OpenNewest();
  ASSERT_THAT(reader.status(), IsOk());
  std::vector<std::size_t> sizes;
  while (true) {
    auto chunk = (*reader)->Next();
    ASSERT_THAT(chunk.status(), IsOk());
    if (chunk->empty()) break;
    sizes.push_back(chunk->size());
  }
  EXPECT_THAT(sizes, ::testing::ElementsAre(1000, 1000, 1000, 1000, 500));
}

TEST(SnapshotStoreTest, EmptyStateRoundTrips) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs));
  ASSERT_THAT(store.status(), IsOk());
  ASSERT_THAT(Save(**store, Meta(1, 1), ""), IsOk());
  auto loaded = (*store)->LoadNewest();
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->data, "");
}

TEST(SnapshotStoreTest, KeepsTheNewestN) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs, 2));
  ASSERT_THAT(store.status(), IsOk());
  for (raft::Index i = 1; i <= 4; ++i) ASSERT_THAT(Save(**store, Meta(i * 10, 1), Data(100, i)), IsOk());
  auto list = (*store)->List();
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].index, 40u);
  EXPECT_EQ((*list)[1].index, 30u);
  EXPECT_THAT(Save(**store, Meta(40, 1), "x"), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(SnapshotStoreTest, DamagedNewestFallsBackToTheOlder) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs, 2));
  ASSERT_THAT(store.status(), IsOk());
  ASSERT_THAT(Save(**store, Meta(10, 1), Data(3000, 1)), IsOk());
  ASSERT_THAT(Save(**store, Meta(20, 1), Data(3000, 2)), IsOk());
  auto bytes = fs.Contents(SnapPath(20, 1));
  ASSERT_THAT(bytes.status(), IsOk());
  // Every byte of the newest file, damaged in turn.
  for (std::size_t o = 0; o < bytes->size(); o += 7) {
    std::string damaged = *bytes;
    damaged[o] = static_cast<char>(damaged[o] ^ 0x20);
    ASSERT_THAT(fs.SetContents(SnapPath(20, 1), damaged), IsOk());
    auto loaded = (*store)->LoadNewest();
    ASSERT_THAT(loaded.status(), IsOk()) << "offset " << o;
    EXPECT_EQ(loaded->metadata.index, 10u);
    EXPECT_EQ(loaded->data, Data(3000, 1));
  }
  // A truncated newest file too.
  ASSERT_THAT(fs.SetContents(SnapPath(20, 1), bytes->substr(0, bytes->size() - 1)), IsOk());
  auto loaded = (*store)->LoadNewest();
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->metadata.index, 10u);
}

TEST(SnapshotStoreTest, NothingVerifiesIsDataLoss) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs, 1));
  ASSERT_THAT(store.status(), IsOk());
  ASSERT_THAT(Save(**store, Meta(10, 1), Data(3000, 1)), IsOk());
  auto bytes = fs.Contents(SnapPath(10, 1));
  ASSERT_THAT(bytes.status(), IsOk());
  (*bytes)[bytes->size() / 2] ^= 1;
  ASSERT_THAT(fs.SetContents(SnapPath(10, 1), *bytes), IsOk());
  EXPECT_THAT((*store)->LoadNewest().status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum mismatch")));
  EXPECT_THAT((*store)->LoadNewest().status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("remove this member")));
}

TEST(SnapshotStoreTest, AbandonedWriterLeavesNothing) {
  FaultFileSystem fs;
  auto store = SnapshotStore::Open(Options(&fs));
  ASSERT_THAT(store.status(), IsOk());
  {
    auto writer = (*store)->Create(Meta(5, 1));
    ASSERT_THAT(writer.status(), IsOk());
    ASSERT_THAT((*writer)->Write("partial"), IsOk());
  }
  auto names = fs.List(kDir);
  ASSERT_THAT(names.status(), IsOk());
  EXPECT_TRUE(names->empty());
}

TEST(SnapshotStoreTest, RejectsBadOptions) {
  FaultFileSystem fs;
  auto o = Options(&fs);
  o.retain = 0;
  EXPECT_THAT(SnapshotStore::Open(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("retain must be >= 1")));
}

// Save snapshot 20 over an existing snapshot 10, crashing before each call.
TEST(SnapshotStoreTest, CrashAtEveryCallOfASaveKeepsAValidSnapshot) {
  const CrashMode modes[] = {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix,
                             CrashMode::kReorderMetadata};
  for (CrashMode mode : modes) {
    for (std::uint64_t n = 0;; ++n) {
      SCOPED_TRACE(absl::StrCat("mode ", static_cast<int>(mode), " crash before call ", n));
      FaultFileSystem fs;
      absl::Status saved;
      std::uint64_t calls = 0;
      {
        auto store = SnapshotStore::Open(Options(&fs, 1));
        ASSERT_THAT(store.status(), IsOk());
        ASSERT_THAT(Save(**store, Meta(10, 1), Data(2500, 1)), IsOk());
        const std::uint64_t start = fs.steps();
        fs.CrashAtCall(start + n);
        saved = Save(**store, Meta(20, 2), Data(2500, 2));
        calls = fs.steps() - start;
      }
      fs.Crash(mode, n + 77);
      auto store = SnapshotStore::Open(Options(&fs, 1));
      ASSERT_THAT(store.status(), IsOk());
      auto loaded = (*store)->LoadNewest();
      ASSERT_THAT(loaded.status(), IsOk());
      if (saved.ok()) {
        EXPECT_EQ(loaded->metadata, Meta(20, 2));
      }
      if (loaded->metadata.index == 20) {
        EXPECT_EQ(loaded->data, Data(2500, 2));
      } else {
        EXPECT_EQ(loaded->metadata, Meta(10, 1));
        EXPECT_EQ(loaded->data, Data(2500, 1));
      }
      auto names = fs.List(kDir);
      ASSERT_THAT(names.status(), IsOk());
      for (const auto& name : *names) EXPECT_THAT(name, ::testing::Not(HasSubstr(".tmp")));
      if (n > calls) break;
    }
  }
}

}  // namespace
}  // namespace cohort::consensus::wal
