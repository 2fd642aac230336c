// S3BlobStorage against a real S3-compatible server: s3rver 3.7.1, started by
// the test on 127.0.0.1. s3rver parses SigV4 headers and presigned queries and
// checks the access key id, but does not verify signatures, nor If-Match /
// If-None-Match on writes: sigv4_vectors_test.cc covers signing.
#include "blob/s3/s3_storage.h"

#include <asio/io_context.hpp>

#include "absl/strings/str_cat.h"
#include "blob/s3/http_client.h"
#include "cohort/blob/open.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "s3rver.h"
#include "test_util.h"

namespace cohort::blob {
namespace {

using ::cohort::blob::s3::testing::AwaitOn;
using ::cohort::blob::s3::testing::S3rver;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class S3StorageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<S3rver>> server = S3rver::Start({"bucket"});
    if (server.ok()) {
      server_ = std::move(server).value().release();
    } else {
      start_error_ = new std::string(server.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  // A missing s3rver fails every test with the fix, rather than skipping.
  void SetUp() override { ASSERT_NE(server_, nullptr) << *start_error_; }

  S3StorageTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 3;
    // Each test its own key space in the shared bucket.
    prefix_ = absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "/");
  }

  std::unique_ptr<BlobStorage> Open(const std::string& bucket = "bucket",
                                    const std::string& key_id = S3rver::kAccessKeyId,
                                    std::size_t chunk = 8u << 20) {
    S3Options options;
    options.bucket = bucket;
    options.endpoint = server_->endpoint();
    options.path_style = true;
    options.read_chunk_size = chunk;
    options.credentials = s3::NewStaticCredentialsProvider(
        s3::Credentials{.access_key_id = key_id, .secret_access_key = S3rver::kSecretAccessKey});
    auto storage = OpenS3(options, ctx_);
    EXPECT_THAT(storage, IsOk());
    return std::move(storage).value();
  }

  template <typename T>
  T Run(Awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr, T r) { result = std::move(r); });
    s3::testing::RunIoUntilAdvancing(io_, clock_, [&] { return result.has_value(); });
    return std::move(result).value();
  }

  std::string K(const std::string& name) const { return prefix_ + name; }

  static S3rver* server_;
  static std::string* start_error_;
  asio::io_context io_;
  // s3rver rejects signatures dated more than 15 minutes from its own clock,
  // so simulated time starts at the real time.
  SimulatedClock clock_{absl::Now()};
  Context ctx_;
  std::string prefix_;
};

S3rver* S3StorageTest::server_ = nullptr;
std::string* S3StorageTest::start_error_ = nullptr;

TEST_F(S3StorageTest, PutStatGetDelete) {
  auto storage = Open();
  PutOptions put;
  put.content_type = "text/plain";
  put.metadata = {{"Owner", "alice"}, {"x-trace", "t1"}};
  std::uint64_t progress = 0;
  put.progress = [&](std::uint64_t done, std::uint64_t) { progress = done; };
  absl::StatusOr<BlobAttributes> written = Run(storage->Put(K("a.txt"), "hello world", put));
  ASSERT_THAT(written, IsOk());
  EXPECT_FALSE(written->etag.empty());
  EXPECT_EQ(progress, 11u);

  absl::StatusOr<BlobAttributes> stat = Run(storage->Stat(K("a.txt")));
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->size, 11u);
  EXPECT_EQ(stat->etag, written->etag);
  EXPECT_EQ(stat->content_type, "text/plain");
  // Names come back lower-cased, as on every backend.
  EXPECT_EQ(stat->metadata, (std::map<std::string, std::string>{{"owner", "alice"},
                                                                {"x-trace", "t1"}}));
  EXPECT_EQ(written->metadata, stat->metadata);
  EXPECT_GT(stat->modified, absl::UnixEpoch());

  EXPECT_THAT(Run(storage->Get(K("a.txt"), {})), IsOkAndHolds(std::string("hello world")));
  GetOptions range;
  range.range = ByteRange{.offset = 6, .length = 3};
  EXPECT_THAT(Run(storage->Get(K("a.txt"), range)), IsOkAndHolds(std::string("wor")));
  range.range = ByteRange{.offset = 6, .length = 100};
  EXPECT_THAT(Run(storage->Get(K("a.txt"), range)), IsOkAndHolds(std::string("world")));
  range.range = ByteRange{.offset = 11, .length = std::nullopt};
  EXPECT_THAT(Run(storage->Get(K("a.txt"), range)), IsOkAndHolds(std::string()));
  range.range = ByteRange{.offset = 12, .length = std::nullopt};
  EXPECT_THAT(Run(storage->Get(K("a.txt"), range)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("past the end")));
  GetOptions stale;
  stale.if_match = "\"0123\"";
  EXPECT_THAT(Run(storage->Get(K("a.txt"), stale)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  stale.if_match = written->etag;
  EXPECT_THAT(Run(storage->Get(K("a.txt"), stale)), IsOk());

  EXPECT_THAT(Run(storage->Delete(K("a.txt"))), IsOk());
  EXPECT_THAT(Run(storage->Stat(K("a.txt"))), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Run(storage->Get(K("a.txt"), {})),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("NoSuchKey")));
  EXPECT_THAT(Run(storage->Delete(K("a.txt"))), IsOk());  // idempotent
}

TEST_F(S3StorageTest, KeysWithCharactersThatNeedEncoding) {
  auto storage = Open();
  const std::string key = K("dir/sp ace+plus&amp=eq%pct~t/\xc3\xbc.txt");
  ASSERT_THAT(Run(storage->Put(key, "x", {})), IsOk());
  EXPECT_THAT(Run(storage->Get(key, {})), IsOkAndHolds(std::string("x")));
  ListOptions list;
  list.prefix = K("dir/");
  absl::StatusOr<ListPage> page = Run(storage->List(list));
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].key, key);
}

TEST_F(S3StorageTest, ListsWithPrefixDelimiterAndPages) {
  auto storage = Open();
  for (const char* name : {"a/1", "a/2", "b/1", "c", "d", "e"}) {
    ASSERT_THAT(Run(storage->Put(K(name), name, {})), IsOk());
  }
  ListOptions options;
  options.prefix = prefix_;
  options.delimiter = "/";
  absl::StatusOr<ListPage> page = Run(storage->List(options));
  ASSERT_THAT(page, IsOk());
  std::vector<std::string> keys;
  for (const BlobAttributes& a : page->entries) keys.push_back(a.key);
  EXPECT_THAT(keys, ElementsAre(K("c"), K("d"), K("e")));
  EXPECT_THAT(page->common_prefixes, ElementsAre(K("a/"), K("b/")));
  EXPECT_EQ(page->entries[0].size, 1u);

  ListOptions flat;
  flat.prefix = prefix_;
  flat.max_results = 4;
  std::vector<std::string> all;
  int pages = 0;
  do {
    absl::StatusOr<ListPage> p = Run(storage->List(flat));
    ASSERT_THAT(p, IsOk());
    for (const BlobAttributes& a : p->entries) all.push_back(a.key);
    flat.page_token = p->next_page_token;
    ++pages;
  } while (!flat.page_token.empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  EXPECT_THAT(all, ElementsAre(K("a/1"), K("a/2"), K("b/1"), K("c"), K("d"), K("e")));

  ListOptions bad;
  bad.max_results = 0;
  EXPECT_THAT(Run(storage->List(bad)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(S3StorageTest, CopyKeepsContentTypeAndMetadata) {
  auto storage = Open();
  PutOptions put;
  put.content_type = "image/png";
  put.metadata = {{"k", "v"}};
  ASSERT_THAT(Run(storage->Put(K("src"), "pixels", put)), IsOk());
  absl::StatusOr<BlobAttributes> copy = Run(storage->Copy(K("src"), K("dst/copy"), {}));
  ASSERT_THAT(copy, IsOk());
  EXPECT_EQ(copy->size, 6u);
  EXPECT_EQ(copy->content_type, "image/png");
  EXPECT_EQ(copy->metadata, put.metadata);
  EXPECT_THAT(Run(storage->Get(K("dst/copy"), {})), IsOkAndHolds(std::string("pixels")));
  EXPECT_THAT(Run(storage->Copy(K("missing"), K("x"), {})),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(S3StorageTest, StreamsThroughReaderAndWriter) {
  auto storage = Open("bucket", S3rver::kAccessKeyId, /*chunk=*/7);
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer = Run(storage->OpenWriter(K("stream"), {}));
  ASSERT_THAT(writer, IsOk());
  std::string expected;
  for (int i = 0; i < 10; ++i) {
    const std::string piece = absl::StrCat("piece-", i, ";");
    expected += piece;
    ASSERT_THAT(Run((*writer)->Write(std::as_bytes(std::span(piece)))), IsOk());
  }
  ASSERT_THAT(Run((*writer)->Commit()), IsOk());
  EXPECT_THAT(Run((*writer)->Write({})), StatusIs(absl::StatusCode::kFailedPrecondition));

  GetOptions options;
  options.range = ByteRange{.offset = 3, .length = std::nullopt};
  absl::StatusOr<std::unique_ptr<BlobReader>> reader =
      Run(storage->OpenReader(K("stream"), options));
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ((*reader)->attributes().size, expected.size());
  std::string read;
  std::array<std::byte, 5> buffer;
  while (true) {
    absl::StatusOr<std::size_t> n = Run((*reader)->Read(buffer));
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
    read.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  EXPECT_EQ(read, expected.substr(3));
  options.if_match = "\"not-the-etag\"";
  EXPECT_THAT(Run(storage->OpenReader(K("stream"), options)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(S3StorageTest, UnknownAccessKeyAndMissingBucket) {
  auto unknown_key = Open("bucket", "AKIDUNKNOWN");
  EXPECT_THAT(Run(unknown_key->Put(K("k"), "v", {})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("InvalidAccessKeyId")));
  auto no_bucket = Open("no-such-bucket");
  EXPECT_THAT(Run(no_bucket->Get(K("k"), {})),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("NoSuchBucket")));
}

TEST_F(S3StorageTest, PresignedUrlsWorkWithoutCredentials) {
  auto storage = Open();
  PresignOptions presign;
  EXPECT_THAT(storage->PresignUrl(K("p"), presign),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(Run(storage->Put(K("p"), "presigned body", {})), IsOk());
  absl::StatusOr<std::string> url = storage->PresignUrl(K("p"), presign);
  ASSERT_THAT(url, IsOk());
  EXPECT_THAT(*url, HasSubstr("X-Amz-Signature="));

  auto http = std::move(s3::HttpClient::Create({}, ctx_)).value();
  s3::HttpRequest get;
  get.url = *url;
  absl::StatusOr<s3::HttpResponse> response = AwaitOn(io_, http->Send(get));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->body, "presigned body");

  presign.method = PresignMethod::kPut;
  presign.content_type = "text/plain";
  url = storage->PresignUrl(K("p2"), presign);
  ASSERT_THAT(url, IsOk());
  s3::HttpRequest put;
  put.method = "PUT";
  put.url = *url;
  put.headers = {{"Content-Type", "text/plain"}};
  put.body = "uploaded through a presigned URL";
  response = AwaitOn(io_, http->Send(put));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_THAT(Run(storage->Get(K("p2"), {})),
              IsOkAndHolds(std::string("uploaded through a presigned URL")));
}

// blob::Open with an s3:// URI: endpoint and addressing from the URI,
// credentials and region from the environment, as a deployed service does.
TEST_F(S3StorageTest, OpensByUriWithCredentialsFromTheEnvironment) {
  ASSERT_EQ(setenv("AWS_ACCESS_KEY_ID", S3rver::kAccessKeyId, 1), 0);
  ASSERT_EQ(setenv("AWS_SECRET_ACCESS_KEY", S3rver::kSecretAccessKey, 1), 0);
  ASSERT_EQ(setenv("AWS_REGION", "us-east-1", 1), 0);
  const std::string uri =
      absl::StrCat("s3://bucket?endpoint=", server_->endpoint(), "&path_style=true");
  absl::StatusOr<std::unique_ptr<BlobStorage>> storage = ::cohort::blob::Open(uri, ctx_);
  ASSERT_THAT(storage, IsOk()) << uri;
  // The chain reads the environment when a request needs credentials.
  EXPECT_THAT(Run((*storage)->Put(K("by-uri"), "hello", {})), IsOk());
  EXPECT_THAT(Run((*storage)->Get(K("by-uri"), {})), IsOkAndHolds("hello"));
  EXPECT_THAT(Run((*storage)->Delete(K("by-uri"))), IsOk());
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_REGION");
}

TEST_F(S3StorageTest, RejectsBadKeysAndOptions) {
  auto storage = Open();
  EXPECT_THAT(Run(storage->Put("", "v", {})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Run(storage->Put(std::string(1025, 'k'), "v", {})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1024")));
  PutOptions bad_meta;
  bad_meta.metadata = {{"has space", "v"}};
  EXPECT_THAT(Run(storage->Put(K("k"), "v", bad_meta)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has space")));
  S3Options no_bucket;
  EXPECT_THAT(OpenS3(no_bucket, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bucket")));
}

}  // namespace
}  // namespace cohort::blob
