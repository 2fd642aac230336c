// The upload source file's reads: direct reads (O_DIRECT) give the same
// bytes as reads through the page cache, for aligned and unaligned offsets
// and memory, fall back where they cannot be used, and report a file that
// ended early as kDataLoss.
#include "blob/transfer_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::internal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::uint64_t kAlign = kDirectReadAlignment;

class TransferFilesTest : public ::testing::Test {
 protected:
  TransferFilesTest()
      : dir_(std::filesystem::temp_directory_path() /
             absl::StrCat("cohort_transfer_files_", ::getpid())) {
    std::filesystem::create_directories(dir_);
    Random random(7);
    data_.resize(3 * 1024 * 1024 + 1000);
    for (char& c : data_) c = static_cast<char>(random.Next64());
    path_ = (dir_ / "source.bin").string();
    std::ofstream(path_, std::ios::binary).write(data_.data(), data_.size());
  }
  ~TransferFilesTest() override { std::filesystem::remove_all(dir_); }

  // Page-aligned memory with room for a rounded-up read.
  static std::unique_ptr<char, decltype(&std::free)> Buffer(std::size_t size) {
    const std::size_t rounded = (size + 2 * kAlign) / kAlign * kAlign;
    return {static_cast<char*>(std::aligned_alloc(kAlign, rounded)), &std::free};
  }

  std::filesystem::path dir_;
  std::string data_;
  std::string path_;
};

TEST_F(TransferFilesTest, DirectReadsGiveTheFilesBytes) {
  absl::StatusOr<SourceFile> file = OpenSourceFile(path_);
  ASSERT_THAT(file, IsOk());
  Fd direct = OpenForDirectReads(path_, *file);
  struct Case {
    std::uint64_t offset;
    std::uint64_t size;
    std::size_t dest_shift;  // 0: aligned memory
  };
  const std::uint64_t end = data_.size();
  for (const Case& c : {Case{0, 1 << 20, 0}, Case{kAlign * 3, 1 << 20, 0},
                        Case{kAlign * 5, end - kAlign * 5, 0},  // the end: a short read
                        Case{0, 100, 0}, Case{kAlign, 1 << 20, 16},  // memory unaligned
                        Case{100, 1 << 20, 0}}) {                    // offset unaligned
    SCOPED_TRACE(absl::StrCat(c.offset, "+", c.size, " shift ", c.dest_shift));
    auto buffer = Buffer(c.size + c.dest_shift);
    char* dest = buffer.get() + c.dest_shift;
    ASSERT_THAT(PreadDirect(direct.get(), file->fd.get(), dest, c.offset, c.size), IsOk());
    EXPECT_TRUE(std::string_view(dest, c.size) == std::string_view(data_).substr(c.offset, c.size));
  }
  // Without a direct descriptor, the page cache serves the same bytes.
  auto buffer = Buffer(1 << 20);
  ASSERT_THAT(PreadDirect(-1, file->fd.get(), buffer.get(), kAlign, 1 << 20), IsOk());
  EXPECT_TRUE(std::string_view(buffer.get(), 1 << 20) ==
              std::string_view(data_).substr(kAlign, 1 << 20));
}

TEST_F(TransferFilesTest, FileEndingEarlyIsDataLoss) {
  absl::StatusOr<SourceFile> file = OpenSourceFile(path_);
  ASSERT_THAT(file, IsOk());
  Fd direct = OpenForDirectReads(path_, *file);
  std::filesystem::resize_file(path_, 1 << 20);
  auto buffer = Buffer(2 << 20);
  EXPECT_THAT(PreadDirect(direct.get(), file->fd.get(), buffer.get(), 0, 2 << 20),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("changed during the upload")));
}

TEST_F(TransferFilesTest, NoDirectDescriptorForAnotherFileUnderThePath) {
  absl::StatusOr<SourceFile> file = OpenSourceFile(path_);
  ASSERT_THAT(file, IsOk());
  std::filesystem::rename(path_, path_ + ".old");
  std::ofstream(path_, std::ios::binary) << "replaced";
  EXPECT_FALSE(OpenForDirectReads(path_, *file).valid());
}

}  // namespace
}  // namespace cohort::blob::internal
