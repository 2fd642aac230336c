// UploadFile and DownloadFile on a backend without multipart uploads (mem://):
// the file streams through a BlobWriter, downloads run in parallel ranges
// pinned to one ETag, and an object replaced during a download fails it
// without leaving a file behind.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "cohort/base/simulated_clock.h"
#include "cohort/blob/open.h"
#include "cohort/blob/transfer.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "multipart_fixture.h"

namespace cohort::blob {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using s3::testing::RandomBytes;

// Forwards to `inner`; before the second ranged Get, replaces the object.
class ChangingStorage final : public BlobStorage {
 public:
  explicit ChangingStorage(BlobStorage* inner) : inner_(inner) {}
  Awaitable<absl::StatusOr<BlobAttributes>> Put(std::string_view k, std::string_view d,
                                                const PutOptions& o) override {
    return inner_->Put(k, d, o);
  }
  Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> OpenWriter(std::string_view k,
                                                                    const PutOptions& o) override {
    return inner_->OpenWriter(k, o);
  }
  Awaitable<absl::StatusOr<std::string>> Get(std::string_view k, const GetOptions& o) override {
    if (++gets_ == 2) {
      PutOptions put;
      (void)co_await inner_->Put(k, "replaced", put);
    }
    co_return co_await inner_->Get(k, o);
  }
  Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> OpenReader(std::string_view k,
                                                                    const GetOptions& o) override {
    return inner_->OpenReader(k, o);
  }
  Awaitable<absl::StatusOr<BlobAttributes>> Stat(std::string_view k) override {
    return inner_->Stat(k);
  }
  Awaitable<absl::Status> Delete(std::string_view k) override { return inner_->Delete(k); }
  Awaitable<absl::StatusOr<ListPage>> List(const ListOptions& o) override {
    return inner_->List(o);
  }
  Awaitable<absl::StatusOr<BlobAttributes>> Copy(std::string_view f, std::string_view t,
                                                 const PutOptions& o) override {
    return inner_->Copy(f, t, o);
  }
  absl::StatusOr<std::string> PresignUrl(std::string_view k, const PresignOptions& o) override {
    return inner_->PresignUrl(k, o);
  }

 private:
  BlobStorage* inner_;
  int gets_ = 0;
};

class TransferGenericTest : public ::testing::Test {
 protected:
  TransferGenericTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 4;
    storage_ = Open("mem://transfer", ctx_).value();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("cohort_tg_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  ~TransferGenericTest() override { std::filesystem::remove_all(dir_); }

  template <typename T>
  T Run(Awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    // File I/O runs on the transfer's own thread: wait for it in real time.
    s3::testing::RunIoUntilAdvancing(io_, clock_, [&] { return result.has_value(); });
    return std::move(result).value();
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  asio::io_context io_;
  SimulatedClock clock_;
  Context ctx_;
  std::unique_ptr<BlobStorage> storage_;
  std::filesystem::path dir_;
};

TEST_F(TransferGenericTest, RoundTripThroughWriterAndRanges) {
  const std::string data = RandomBytes(300000, 51);
  std::ofstream(Path("in"), std::ios::binary) << data;
  TransferOptions options;
  options.part_size = 65536;
  options.concurrency = 3;
  std::vector<std::uint64_t> done;
  options.progress = [&](std::uint64_t d, std::uint64_t total) {
    done.push_back(d);
    EXPECT_EQ(total, data.size());
  };
  ASSERT_THAT(Run(UploadFile(*storage_, Path("in"), "k", options)), IsOk());
  EXPECT_EQ(done.back(), data.size());
  EXPECT_TRUE(Run(storage_->Get("k", {})).value() == data);
  done.clear();
  ASSERT_THAT(Run(DownloadFile(*storage_, "k", Path("out"), options)), IsOk());
  EXPECT_EQ(done.size(), 5u);  // ceil(300000 / 65536) ranges
  EXPECT_EQ(done.back(), data.size());
  std::ifstream in(Path("out"), std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(in), {}) == data);
}

TEST_F(TransferGenericTest, ObjectReplacedDuringDownloadFails) {
  ASSERT_THAT(Run(storage_->Put("k", RandomBytes(200000, 52), {})), IsOk());
  ChangingStorage changing(storage_.get());
  TransferOptions options;
  options.part_size = 65536;
  options.concurrency = 1;
  EXPECT_THAT(Run(DownloadFile(changing, "k", Path("out"), options)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(std::filesystem::exists(Path("out")));
  EXPECT_FALSE(std::filesystem::exists(Path("out") + ".cohort-download"));
}

TEST_F(TransferGenericTest, JournalNeedsMultipart) {
  std::ofstream(Path("in")) << "x";
  TransferOptions options;
  options.journal_path = Path("journal");
  EXPECT_THAT(Run(UploadFile(*storage_, Path("in"), "k", options)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("journal_path")));
  EXPECT_THAT(Run(DownloadFile(*storage_, "k", Path("o"), options)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::blob
