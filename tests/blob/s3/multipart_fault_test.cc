// Multipart paths s3rver cannot show, against an in-memory fake S3: resume
// reconciled with ListParts, a vanished upload, a part that never gets an
// answer (the deadline, then the abort), garbage documents, wrong ETags and
// refused credentials. None of them leaves an object under the key.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "absl/strings/escaping.h"
#include "blob/digest.h"
#include "blob/s3/s3_storage.h"
#include "blob/transfer_journal.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/blob/transfer.h"
#include "cohort/testing/status_matchers.h"
#include "fake_multipart_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "multipart_fixture.h"
#include "test_util.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MultipartFaultTest : public ::testing::Test {
 protected:
  MultipartFaultTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 9;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("cohort_mpf_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    journal_ = (dir_ / "journal").string();
    S3Options options;
    options.bucket = "bucket";
    options.endpoint = fake_.url();
    options.path_style = true;
    options.part_size = 5 * kMiB;
    options.part_checksum = PartChecksum::kContentMd5;  // the ETag is checked
    options.credentials = NewStaticCredentialsProvider(
        Credentials{.access_key_id = "AKID", .secret_access_key = "secret"});
    storage_ = OpenS3(options, ctx_).value();
  }
  ~MultipartFaultTest() override { std::filesystem::remove_all(dir_); }

  template <typename T>
  T Run(Awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    RunIoUntilAdvancing(io_, clock_, [&] { return result.has_value(); });
    return std::move(result).value();
  }

  std::string WriteFile(const std::string& data) {
    const std::string path = (dir_ / "source").string();
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }

  // A journal for `path` recording `parts` of upload `upload_id`.
  void WriteJournal(const std::string& path, const std::string& upload_id, const std::string& data,
                    const std::vector<int>& parts) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    internal::JournalHeader header{.bucket = "bucket",
                                   .key = "k",
                                   .upload_id = upload_id,
                                   .part_size = 5 * kMiB,
                                   .size = data.size(),
                                   .mtime_ns = st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec};
    auto writer = internal::JournalWriter::Create(journal_, header);
    ASSERT_THAT(writer, IsOk());
    for (int n : parts) {
      const std::string part = data.substr((n - 1) * 5 * kMiB, 5 * kMiB);
      ASSERT_THAT(writer->Append({n, part.size(), internal::Md5Hex(part)}), IsOk());
    }
  }

  TransferOptions Options() {
    TransferOptions o;
    o.part_size = 5 * kMiB;
    o.concurrency = 1;
    o.journal_path = journal_;
    return o;
  }

  FakeMultipartServer fake_;
  asio::io_context io_;
  SimulatedClock clock_{absl::Now()};
  Context ctx_;
  std::filesystem::path dir_;
  std::string journal_;  // in dir_, set by the constructor
  std::unique_ptr<BlobStorage> storage_;
};

TEST_F(MultipartFaultTest, ResumeResendsOnlyPartsTheServerDoesNotList) {
  const std::string data = RandomBytes(18 * kMiB, 31);  // 4 parts
  const std::string path = WriteFile(data);
  journal_ = (dir_ / "journal").string();
  fake_.AddUpload("up-1", {{1, data.substr(0, 5 * kMiB)},
                           {2, data.substr(5 * kMiB, 5 * kMiB)},
                           {3, data.substr(10 * kMiB, 5 * kMiB)}});
  fake_.HideFromListing(2);  // journaled, but the server lost it
  WriteJournal(path, "up-1", data, {1, 2, 3});
  ASSERT_THAT(Run(UploadFile(*storage_, path, "k", Options())), IsOk());
  EXPECT_THAT(fake_.PartsReceived(), ElementsAre(2, 4));
  EXPECT_EQ(fake_.creates(), 0);
  EXPECT_TRUE(fake_.Object("k") == data);
  EXPECT_FALSE(std::filesystem::exists(journal_));
}

TEST_F(MultipartFaultTest, VanishedUploadStartsOver) {
  const std::string data = RandomBytes(11 * kMiB, 32);
  const std::string path = WriteFile(data);
  journal_ = (dir_ / "journal").string();
  WriteJournal(path, "gone", data, {1});  // ListParts: NoSuchUpload
  ASSERT_THAT(Run(UploadFile(*storage_, path, "k", Options())), IsOk());
  EXPECT_EQ(fake_.creates(), 1);
  EXPECT_THAT(fake_.PartsReceived(), ElementsAre(1, 2, 3));
  EXPECT_TRUE(fake_.Object("k") == data);
}

TEST_F(MultipartFaultTest, TornJournalLineIsSentAgain) {
  const std::string data = RandomBytes(11 * kMiB, 33);
  const std::string path = WriteFile(data);
  journal_ = (dir_ / "journal").string();
  fake_.AddUpload("up-1", {{1, data.substr(0, 5 * kMiB)}, {2, data.substr(5 * kMiB, 5 * kMiB)}});
  WriteJournal(path, "up-1", data, {1, 2});
  // A crash in the middle of appending part 2's line.
  std::filesystem::resize_file(journal_, std::filesystem::file_size(journal_) - 5);
  ASSERT_THAT(Run(UploadFile(*storage_, path, "k", Options())), IsOk());
  EXPECT_THAT(fake_.PartsReceived(), ElementsAre(2, 3));
  EXPECT_TRUE(fake_.Object("k") == data);
}

TEST_F(MultipartFaultTest, DamagedJournalHeaderIsDataLoss) {
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 34));
  journal_ = (dir_ / "journal").string();
  std::ofstream(journal_) << "cohort-upload-journal v1 bucket=b crc=00000000\n";
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("delete it")));
}

TEST_F(MultipartFaultTest, ServerThatStopsAnsweringMidPartHitsTheDeadline) {
  fake_.HangPart(2);
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 35));
  TransferOptions options = Options();
  options.journal_path.clear();
  options.deadline = clock_.Now() + absl::Seconds(30);
  std::optional<absl::StatusOr<BlobAttributes>> result;
  asio::co_spawn(io_, UploadFile(*storage_, path, "k", options),
                 [&](std::exception_ptr, absl::StatusOr<BlobAttributes> r) { result = r; });
  // Time passes only once the part hangs: the deadline then fires.
  RunIoUntil(io_, [&] {
    if (fake_.hanging() && clock_.Now() < options.deadline) clock_.SetTime(options.deadline);
    return result.has_value();
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(fake_.aborts(), 1);
  EXPECT_EQ(fake_.completes(), 0);
  EXPECT_FALSE(fake_.Object("k").has_value());
}

TEST_F(MultipartFaultTest, GarbageCreateAnswerIsUnavailable) {
  fake_.FailCreate(200, "<<<not xml");
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 36));
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("malformed")));
  // Parsed after the client's retries: kUnavailable tells the caller that a
  // retry of the whole call is safe.
  EXPECT_EQ(fake_.creates(), 1);
}

// Malformed answers to idempotent multipart calls are retried like resets.
TEST_F(MultipartFaultTest, PartAnswerWithoutEtagIsRetried) {
  fake_.Garble("UploadPart", 1, 200, "");
  const std::string data = RandomBytes(11 * kMiB, 39);
  ASSERT_THAT(Run(UploadFile(*storage_, WriteFile(data), "k", Options())), IsOk());
  EXPECT_EQ(fake_.requests("UploadPart"), 4);  // 3 parts, one sent twice
  EXPECT_TRUE(fake_.Object("k") == data);
}

TEST_F(MultipartFaultTest, CompleteAnswering200WithAnErrorIsRetried) {
  // S3 documents this: 200 OK, then an <Error> in the body.
  fake_.Garble("Complete", 1, 200,
               "<Error><Code>InternalError</Code><Message>We encountered an internal error. "
               "Please try again.</Message></Error>");
  const std::string data = RandomBytes(11 * kMiB, 40);
  ASSERT_THAT(Run(UploadFile(*storage_, WriteFile(data), "k", Options())), IsOk());
  EXPECT_EQ(fake_.requests("Complete"), 2);
  EXPECT_TRUE(fake_.Object("k") == data);
}

TEST_F(MultipartFaultTest, TruncatedCompleteAnswerIsRetried) {
  fake_.Garble("Complete", 1, 200, "<CompleteMultipartUploadResult><Key>k</Ke");
  const std::string data = RandomBytes(11 * kMiB, 41);
  ASSERT_THAT(Run(UploadFile(*storage_, WriteFile(data), "k", Options())), IsOk());
  EXPECT_EQ(fake_.requests("Complete"), 2);
  EXPECT_TRUE(fake_.Object("k") == data);
}

TEST_F(MultipartFaultTest, TruncatedListPartsAnswerIsRetried) {
  const std::string data = RandomBytes(11 * kMiB, 42);  // 3 parts
  const std::string path = WriteFile(data);
  fake_.AddUpload("up-1", {{1, data.substr(0, 5 * kMiB)}});
  WriteJournal(path, "up-1", data, {1});
  fake_.Garble("ListParts", 1, 200, "<ListPartsResult><Part><PartNumber>1</Part");
  ASSERT_THAT(Run(UploadFile(*storage_, path, "k", Options())), IsOk());
  EXPECT_EQ(fake_.requests("ListParts"), 2);
  EXPECT_THAT(fake_.PartsReceived(), ElementsAre(2, 3));
  EXPECT_TRUE(fake_.Object("k") == data);
}

// The server completes the upload and the answer is lost; the retried
// Complete finds the upload gone (NoSuchUpload), and the HEAD finds exactly
// our parts under the key: success, not a failure to report.
TEST_F(MultipartFaultTest, LostCompleteAnswerIsCheckedAgainstTheObject) {
  fake_.LoseCompleteAnswers(1);
  const std::string data = RandomBytes(12 * kMiB, 44);  // parts of 5, 5, 2 MiB
  auto put = Run(storage_->Put("k", data, {}));
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(fake_.requests("Complete"), 2);
  std::string digests;
  for (std::uint64_t at = 0; at < data.size(); at += 5 * kMiB) {
    digests += absl::HexStringToBytes(internal::Md5Hex(data.substr(at, 5 * kMiB)));
  }
  EXPECT_EQ(put->etag, internal::Md5Hex(digests) + "-3");
  EXPECT_TRUE(fake_.Object("k") == data);
  EXPECT_EQ(fake_.aborts(), 0);
}

// NoSuchUpload from Complete and no object with our parts under the key:
// someone aborted the upload; nothing is claimed, the caller must upload again.
TEST_F(MultipartFaultTest, CompleteFindingTheUploadGoneAndNoObjectIsAborted) {
  fake_.Garble("Complete", 1, 404,
               "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist."
               "</Message></Error>");
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 43));
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("upload again")));
  EXPECT_FALSE(fake_.Object("k").has_value());
}

TEST_F(MultipartFaultTest, WrongPartEtagIsDataLossAndAborts) {
  fake_.CorruptEtags();
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 37));
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("MD5")));
  EXPECT_EQ(fake_.aborts(), 1);
  EXPECT_FALSE(fake_.Object("k").has_value());
  EXPECT_FALSE(std::filesystem::exists(journal_));
}

TEST_F(MultipartFaultTest, RefusedCredentialsAndMissingBucketSayWhatHappened) {
  const std::string path = WriteFile(RandomBytes(11 * kMiB, 38));
  fake_.FailCreate(400, "<Error><Code>ExpiredToken</Code><Message>expired</Message></Error>");
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ExpiredToken")));
  fake_.FailCreate(403, "<Error><Code>InvalidAccessKeyId</Code><Message>no</Message></Error>");
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("InvalidAccessKeyId")));
  fake_.FailCreate(404, "<Error><Code>NoSuchBucket</Code><Message>no</Message></Error>");
  EXPECT_THAT(Run(UploadFile(*storage_, path, "k", Options())),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("NoSuchBucket")));
  EXPECT_EQ(fake_.creates(), 3);  // none of them retried
}

}  // namespace
}  // namespace cohort::blob::s3::testing
