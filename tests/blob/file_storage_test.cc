// file:// beyond the conformance suite: durability across reopen, key rules,
// the root lock, temporary-file cleanup and damaged files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cohort/blob/local.h"
#include "cohort/blob/open.h"
#include "cohort/testing/status_matchers.h"
#include "conformance.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// Every regular file under `root`, relative to it, sorted.
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files.push_back(std::filesystem::relative(entry.path(), root).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FileStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.executor = driver_.io().get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 7;
    scratch_ = MakeScratchDirectory();
    root_ = scratch_ + "/root";
  }
  void TearDown() override {
    storage_.reset();
    RemoveTree(scratch_);
  }

  void Reopen() {
    storage_.reset();
    auto opened = OpenFileBlobStorage(root_, FileBlobOptions{}, ctx_);
    ASSERT_THAT(opened, IsOk());
    storage_ = std::move(*opened);
  }

  absl::StatusOr<BlobAttributes> Put(std::string_view key, std::string_view data,
                                     const PutOptions& options = {}) {
    return driver_.Run(storage_->Put(key, data, options));
  }
  absl::StatusOr<std::string> Get(std::string_view key) {
    return driver_.Run(storage_->Get(key, {}));
  }

  Driver driver_;
  SimulatedClock clock_;
  Context ctx_;
  std::string scratch_;
  std::string root_;
  std::unique_ptr<BlobStorage> storage_;
};

TEST_F(FileStorageTest, ReopenKeepsContentAndAttributes) {
  Reopen();
  PutOptions options;
  options.content_type = "application/json";
  options.metadata = {{"Schema", "v3"}, {"owner", "carol"}};
  auto put = Put("cfg/app.json", "{\"a\":1}", options);
  ASSERT_THAT(put, IsOk());
  Reopen();
  auto stat = driver_.Run(storage_->Stat("cfg/app.json"));
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->size, put->size);
  EXPECT_EQ(stat->etag, put->etag);
  EXPECT_EQ(stat->modified, put->modified);
  EXPECT_EQ(stat->content_type, "application/json");
  EXPECT_THAT(stat->metadata, ElementsAre(Pair("owner", "carol"), Pair("schema", "v3")));
  EXPECT_THAT(Get("cfg/app.json"), IsOkAndHolds("{\"a\":1}"));
}

TEST_F(FileStorageTest, ObjectsAreFilesUnderTheRoot) {
  Reopen();
  ASSERT_THAT(Put("a/b/c.txt", "x"), IsOk());
  ASSERT_THAT(Put("top", "y"), IsOk());
  EXPECT_THAT(FilesUnder(root_), ElementsAre(".cohort-lock", "a/b/c.txt", "top"));
}

TEST_F(FileStorageTest, KeysThatCannotBeFilesAreInvalid) {
  Reopen();
  for (const char* key : {"../escape", "a/../../b", "/etc/passwd", "a//b", "a/", "./a", "a/.",
                          ".cohort-tmp-0000", "x/.cohort-lock", "x/.cohort-anything"}) {
    SCOPED_TRACE(key);
    EXPECT_THAT(Put(key, "x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("file://")));
    EXPECT_THAT(driver_.Run(storage_->Stat(key)), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(driver_.Run(storage_->Delete(key)), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Put(std::string(256, 's'), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("255")));
  // Dots inside names are fine.
  EXPECT_THAT(Put("..hidden/a..b/.c", "x"), IsOk());
  EXPECT_THAT(FilesUnder(root_), ElementsAre("..hidden/a..b/.c", ".cohort-lock"));
}

TEST_F(FileStorageTest, KeyAndDirectoryOfTheSameNameConflict) {
  Reopen();
  ASSERT_THAT(Put("a/b", "1"), IsOk());
  EXPECT_THAT(Put("a", "2"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a/")));
  PutOptions if_absent;
  if_absent.if_absent = true;
  EXPECT_THAT(Put("a", "2", if_absent), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(driver_.Run(storage_->Stat("a")), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Put("f", "1"), IsOk());
  EXPECT_THAT(Put("f/g", "2"), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Deleting the last key under a directory prunes it, freeing the name.
  ASSERT_THAT(driver_.Run(storage_->Delete("a/b")), IsOk());
  EXPECT_THAT(Put("a", "3"), IsOk());
  EXPECT_THAT(FilesUnder(root_), ElementsAre(".cohort-lock", "a", "f"));
}

TEST_F(FileStorageTest, OneStorePerRoot) {
  Reopen();
  EXPECT_THAT(OpenFileBlobStorage(root_, FileBlobOptions{}, ctx_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already open")));
  storage_.reset();
  EXPECT_THAT(OpenFileBlobStorage(root_, FileBlobOptions{}, ctx_), IsOk());
}

TEST_F(FileStorageTest, StaleTemporaryFilesAreRemovedOnOpen) {
  Reopen();
  ASSERT_THAT(Put("d/keep", "k"), IsOk());
  storage_.reset();
  std::ofstream(root_ + "/.cohort-tmp-00000000deadbeef") << "half an object";
  std::ofstream(root_ + "/d/.cohort-tmp-0123456789abcdef") << "another";
  Reopen();
  EXPECT_THAT(FilesUnder(root_), ElementsAre(".cohort-lock", "d/keep"));
  EXPECT_THAT(Get("d/keep"), IsOkAndHolds("k"));
}

TEST_F(FileStorageTest, AbortAndFailuresLeaveNoTemporaryFiles) {
  Reopen();
  auto writer = driver_.Run(storage_->OpenWriter("w/x", {}));
  ASSERT_THAT(writer, IsOk());
  EXPECT_EQ(FilesUnder(root_).size(), 2u);  // the lock and the temporary file
  ASSERT_THAT(driver_.Run((*writer)->Abort()), IsOk());
  ASSERT_THAT(Put("y", "1"), IsOk());
  PutOptions if_absent;
  if_absent.if_absent = true;
  EXPECT_THAT(Put("y", "2", if_absent), StatusIs(absl::StatusCode::kAlreadyExists));
  PutOptions if_match;
  if_match.if_match = "nope";
  EXPECT_THAT(Put("y", "3", if_match), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(FilesUnder(root_), ElementsAre(".cohort-lock", "y"));
}

TEST_F(FileStorageTest, DamagedFilesAreDataLoss) {
  Reopen();
  ASSERT_THAT(Put("t", "some content here"), IsOk());
  ASSERT_EQ(::truncate((root_ + "/t").c_str(), 10), 0);
  EXPECT_THAT(Get("t"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"t\"")));
  std::ofstream(root_ + "/foreign") << "a file someone else put here, long enough for a footer";
  EXPECT_THAT(driver_.Run(storage_->Stat("foreign")), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(driver_.Run(storage_->List({})), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(FileStorageTest, BadOpenArguments) {
  FileBlobOptions options;
  EXPECT_THAT(OpenFileBlobStorage("relative/dir", options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  options.io_threads = 0;
  EXPECT_THAT(OpenFileBlobStorage(root_, options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("io_threads")));
  options = {};
  options.io_chunk_bytes = 100;
  EXPECT_THAT(OpenFileBlobStorage(root_, options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("io_chunk_bytes")));
  options = {};
  options.create_root = false;
  EXPECT_THAT(OpenFileBlobStorage(root_, options, ctx_), StatusIs(absl::StatusCode::kNotFound));
  std::ofstream(scratch_ + "/plain") << "x";
  EXPECT_THAT(OpenFileBlobStorage(scratch_ + "/plain", FileBlobOptions{}, ctx_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a directory")));
  Context no_clock = ctx_;
  no_clock.clock = nullptr;
  EXPECT_THAT(OpenFileBlobStorage(root_, FileBlobOptions{}, no_clock),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("clock")));
}

TEST_F(FileStorageTest, NoPresignedUrls) {
  Reopen();
  EXPECT_THAT(storage_->PresignUrl("k", {}), StatusIs(absl::StatusCode::kUnimplemented));
  auto mem = NewMemoryBlobStorage(ctx_);
  ASSERT_THAT(mem, IsOk());
  EXPECT_THAT((*mem)->PresignUrl("k", {}), StatusIs(absl::StatusCode::kUnimplemented));
}

TEST_F(FileStorageTest, UnsyncedStoreWorksTheSame) {
  FileBlobOptions options;
  options.sync = false;
  options.io_threads = 1;
  options.io_chunk_bytes = 4096;
  auto opened = OpenFileBlobStorage(root_, options, ctx_);
  ASSERT_THAT(opened, IsOk());
  storage_ = std::move(*opened);
  const std::string data = PatternBytes(100'000, 4);
  ASSERT_THAT(Put("n/s", data), IsOk());
  EXPECT_THAT(Get("n/s"), IsOkAndHolds(data));
}

}  // namespace
}  // namespace cohort::blob::testing
