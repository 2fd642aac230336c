// Multipart uploads and parallel downloads against s3rver, directly and
// through the fault-injecting proxy: round trips around the part-size
// boundaries, progress, the concurrency bound, per-part retry and abort.
#include <filesystem>
#include <vector>

#include "cohort/blob/transfer.h"
#include "fault_proxy.h"
#include "multipart_fixture.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

class MultipartTest : public MultipartFixture {};

// Progress reports: non-decreasing, ending at (total, total).
struct ProgressLog {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> reports;
  ProgressCallback Callback() {
    return [this](std::uint64_t done, std::uint64_t total) { reports.emplace_back(done, total); };
  }
  void ExpectMonotonicTo(std::uint64_t done, std::uint64_t total) const {
    ASSERT_FALSE(reports.empty());
    for (std::size_t i = 1; i < reports.size(); ++i) {
      EXPECT_LE(reports[i - 1].first, reports[i].first);
    }
    EXPECT_EQ(reports.back(), std::make_pair(done, total));
  }
};

// s3rver's multipart ETags are plain hex (not AWS's "<md5>-<parts>"), so the
// proxy counts the parts instead.
TEST_F(MultipartTest, PutRoundTripsAroundThePartBoundaries) {
  FaultProxy proxy(Endpoint());
  auto storage = Open(proxy.url());
  const std::vector<std::pair<std::uint64_t, int>> cases = {
      {5 * kMiB, 0},      // at the threshold: one PutObject
      {5 * kMiB + 1, 2},  // one byte over: a 1-byte last part
      {10 * kMiB, 2},     // exactly two parts
      {10 * kMiB + 7, 3}};
  int seed = 0;
  for (const auto& [size, parts] : cases) {
    SCOPED_TRACE(size);
    const std::string data = RandomBytes(size, ++seed);
    const std::string key = K(absl::StrCat("obj", size));
    ProgressLog progress;
    const int parts_before = proxy.TotalPartAttempts();
    PutOptions put;
    put.content_type = "application/x-test";
    put.metadata = {{"m", "v"}};
    put.progress = progress.Callback();
    absl::StatusOr<BlobAttributes> written = Run(storage->Put(key, data, put));
    ASSERT_THAT(written, IsOk());
    EXPECT_EQ(written->size, size);
    EXPECT_EQ(proxy.TotalPartAttempts() - parts_before, parts);
    progress.ExpectMonotonicTo(size, size);
    absl::StatusOr<BlobAttributes> stat = Run(storage->Stat(key));
    ASSERT_THAT(stat, IsOk());
    EXPECT_EQ(stat->size, size);
    EXPECT_EQ(stat->etag, written->etag);
    EXPECT_EQ(stat->content_type, "application/x-test");
    EXPECT_EQ(stat->metadata.at("m"), "v");
    EXPECT_TRUE(Run(storage->Get(key, {})).value() == data);
  }
}

TEST_F(MultipartTest, WriterSendsPartsBeforeCommit) {
  FaultProxy proxy(Endpoint());
  auto storage = Open(proxy.url());
  const std::string data = RandomBytes(12 * kMiB + 123, 11);
  ProgressLog progress;
  PutOptions put;
  put.progress = progress.Callback();
  std::unique_ptr<BlobWriter> writer = Run(storage->OpenWriter(K("stream"), put)).value();
  const auto* bytes = reinterpret_cast<const std::byte*>(data.data());
  std::size_t offset = 0;
  for (; offset + kMiB <= 11 * kMiB; offset += kMiB) {
    ASSERT_THAT(Run(writer->Write({bytes + offset, kMiB})), IsOk());
  }
  // Two whole parts were written: the first is on the wire before Commit.
  RunIoUntil(io_, [&] { return proxy.PartAttempts(1) > 0; });
  EXPECT_EQ(proxy.RequestsWith("POST", "uploadId"), 0);  // not completed yet
  ASSERT_THAT(Run(writer->Write({bytes + offset, data.size() - offset})), IsOk());
  absl::StatusOr<BlobAttributes> committed = Run(writer->Commit());
  ASSERT_THAT(committed, IsOk());
  EXPECT_EQ(committed->size, data.size());
  EXPECT_EQ(proxy.TotalPartAttempts(), 3);
  progress.ExpectMonotonicTo(data.size(), 0);
  EXPECT_TRUE(Run(storage->Get(K("stream"), {})).value() == data);
}

TEST_F(MultipartTest, AbortedWriterAbortsTheUploadAndLeavesNothing) {
  FaultProxy proxy(Endpoint());
  auto storage = Open(proxy.url());
  const std::string data = RandomBytes(11 * kMiB, 12);
  std::unique_ptr<BlobWriter> writer = Run(storage->OpenWriter(K("aborted"), {})).value();
  ASSERT_THAT(Run(writer->Write({reinterpret_cast<const std::byte*>(data.data()), data.size()})),
              IsOk());
  EXPECT_THAT(Run(writer->Abort()), IsOk());
  EXPECT_EQ(proxy.RequestsWith("DELETE", "uploadId"), 1);
  EXPECT_EQ(proxy.RequestsWith("POST", "uploadId"), 0);
  EXPECT_THAT(Run(storage->Stat(K("aborted"))), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Run(writer->Write({})), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(MultipartTest, UploadAndDownloadFilesInParallel) {
  auto storage = Open();
  const std::string data = RandomBytes(17 * kMiB + 5, 13);
  const std::string path = WriteFile("in.bin", data);
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 3;
  options.content_type = "application/x-tar";
  ProgressLog up;
  options.progress = up.Callback();
  absl::StatusOr<BlobAttributes> written = Run(UploadFile(*storage, path, K("file"), options));
  ASSERT_THAT(written, IsOk());
  up.ExpectMonotonicTo(data.size(), data.size());
  EXPECT_EQ(Run(storage->Stat(K("file")))->content_type, "application/x-tar");

  TransferOptions down_options;
  down_options.part_size = 3 * kMiB;
  down_options.concurrency = 3;
  ProgressLog down;
  down_options.progress = down.Callback();
  const std::string out = (dir_ / "out.bin").string();
  absl::StatusOr<BlobAttributes> read = Run(DownloadFile(*storage, K("file"), out, down_options));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->etag, written->etag);
  down.ExpectMonotonicTo(data.size(), data.size());
  EXPECT_TRUE(ReadFile(out) == data);
  EXPECT_FALSE(std::filesystem::exists(out + ".cohort-download"));
}

// Direct reads (the default) need parts of whole 4 KiB blocks; other part
// sizes, and uploads that ask for it, read through the page cache. The
// object is the file either way.
TEST_F(MultipartTest, PartsReadDirectlyOrThroughThePageCacheAreTheFile) {
  auto storage = Open();
  const std::string data = RandomBytes(11 * kMiB + 4097, 17);
  const std::string path = WriteFile("direct.bin", data);
  struct Way {
    const char* key;
    std::uint64_t part_size;
    bool bypass;
  };
  for (const Way& way : {Way{"direct", 5 * kMiB, true}, Way{"cached", 5 * kMiB, false},
                         Way{"unaligned", 5 * kMiB + 512, true}}) {
    SCOPED_TRACE(way.key);
    TransferOptions options;
    options.part_size = way.part_size;
    options.bypass_page_cache = way.bypass;
    ASSERT_THAT(Run(UploadFile(*storage, path, K(way.key), options)), IsOk());
    EXPECT_TRUE(Run(storage->Get(K(way.key), {})).value() == data);
  }
}

TEST_F(MultipartTest, SmallFileIsOnePutObject) {
  FaultProxy proxy(Endpoint());
  auto storage = Open(proxy.url());
  const std::string data = RandomBytes(5 * kMiB, 14);
  TransferOptions options;
  options.part_size = 5 * kMiB;
  ASSERT_THAT(Run(UploadFile(*storage, WriteFile("small", data), K("small"), options)), IsOk());
  EXPECT_EQ(proxy.RequestsWith("POST", "uploads"), 0);
  EXPECT_TRUE(Run(storage->Get(K("small"), {})).value() == data);
}

TEST_F(MultipartTest, NoMoreThanConcurrencyPartsInFlight) {
  FaultProxy proxy(Endpoint());
  // Holds the first parts until three are in flight at once, so the maximum
  // is reached deterministically; a fourth would show as a maximum of 4.
  proxy.GateUntilInFlight(3);
  auto storage = Open(proxy.url());
  const std::string data = RandomBytes(26 * kMiB, 15);
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 3;
  ASSERT_THAT(Run(UploadFile(*storage, WriteFile("c", data), K("c"), options)), IsOk());
  EXPECT_EQ(proxy.MaxPartsInFlight(), 3);
  EXPECT_EQ(proxy.TotalPartAttempts(), 6);
  EXPECT_TRUE(Run(storage->Get(K("c"), {})).value() == data);
}

TEST_F(MultipartTest, ResetPartIsRetriedOnItsOwn) {
  FaultProxy proxy(Endpoint());
  proxy.ResetPart(2, 2);  // the third attempt goes through
  // Content-MD5, which s3rver verifies, and the ETag check.
  auto storage =
      Open(proxy.url(), [](S3Options& o) { o.part_checksum = PartChecksum::kContentMd5; });
  const std::string data = RandomBytes(16 * kMiB, 16);
  TransferOptions options;
  options.part_size = 5 * kMiB;
  ASSERT_THAT(Run(UploadFile(*storage, WriteFile("r", data), K("r"), options)), IsOk());
  EXPECT_EQ(proxy.PartAttempts(1), 1);
  EXPECT_EQ(proxy.PartAttempts(2), 3);
  EXPECT_EQ(proxy.PartAttempts(3), 1);
  EXPECT_EQ(proxy.PartAttempts(4), 1);
  EXPECT_TRUE(Run(storage->Get(K("r"), {})).value() == data);
}

// Parts are read with pread, not mmap: a file cut short by someone else
// while it is being uploaded fails the upload with kDataLoss instead of
// killing the process with SIGBUS.
TEST_F(MultipartTest, FileTruncatedDuringTheUploadIsDataLoss) {
  FaultProxy proxy(Endpoint());
  auto storage = Open(proxy.url());
  const std::string path = WriteFile("t", RandomBytes(12 * kMiB, 18));
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 1;  // part 2 is read after part 1 is acknowledged
  options.progress = [&path](std::uint64_t, std::uint64_t) {
    std::filesystem::resize_file(path, 1 * kMiB);
  };
  EXPECT_THAT(Run(UploadFile(*storage, path, K("t"), options)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("changed during the upload")));
  EXPECT_EQ(proxy.PartAttempts(2), 0);
  EXPECT_EQ(proxy.RequestsWith("POST", "uploadId"), 0);  // never completed
  EXPECT_THAT(Run(storage->Stat(K("t"))), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MultipartTest, PartFailingEveryRetryAbortsTheUpload) {
  FaultProxy proxy(Endpoint());
  proxy.ResetPart(2, 1000);
  auto storage = Open(proxy.url());
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 1;
  const std::string path = WriteFile("f", RandomBytes(12 * kMiB, 17));
  EXPECT_THAT(Run(UploadFile(*storage, path, K("f"), options)),
              StatusIs(absl::StatusCode::kUnavailable));
  // RetryOptions{}: 3 attempts; libcurl itself resends once more when a
  // reused connection dies before any answer.
  EXPECT_GE(proxy.PartAttempts(2), 3);
  EXPECT_EQ(proxy.PartAttempts(3), 0);  // stopped after the failure
  EXPECT_EQ(proxy.RequestsWith("DELETE", "uploadId"), 1);
  EXPECT_EQ(proxy.RequestsWith("POST", "uploadId"), 0);
  EXPECT_THAT(Run(storage->Stat(K("f"))), StatusIs(absl::StatusCode::kNotFound));

  // Asked to keep the parts: no abort.
  options.keep_parts_on_failure = true;
  EXPECT_THAT(Run(UploadFile(*storage, path, K("f"), options)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(proxy.RequestsWith("DELETE", "uploadId"), 1);
  EXPECT_THAT(Run(storage->Stat(K("f"))), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MultipartTest, BadOptionsAreRefused) {
  auto storage = Open();
  const std::string path = WriteFile("x", "x");
  TransferOptions options;
  options.concurrency = 0;
  EXPECT_THAT(Run(UploadFile(*storage, path, K("x"), options)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("concurrency")));
  options.concurrency = 4;
  options.part_size = kMiB;
  EXPECT_THAT(Run(UploadFile(*storage, path, K("x"), options)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("part_size")));
  options.part_size = 8 * kMiB;
  EXPECT_THAT(Run(UploadFile(*storage, (dir_ / "missing").string(), K("x"), options)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Run(UploadFile(*storage, path, "", options)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Run(DownloadFile(*storage, K("missing"), (dir_ / "o").string(), options)),
              StatusIs(absl::StatusCode::kNotFound));
  S3Options bad;
  bad.bucket = "b";
  bad.part_size = kMiB;
  EXPECT_THAT(OpenS3(bad, ctx_), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ChoosePartSize(5 * kMiB, kMaxPartSize * kMaxParts + 1),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // 10,000 parts of 5 MiB are not enough for 100 GiB: the part grows.
  EXPECT_THAT(ChoosePartSize(5 * kMiB, 100ull * 1024 * kMiB), IsOkAndHolds(11 * kMiB));
}

}  // namespace
}  // namespace cohort::blob::s3::testing
