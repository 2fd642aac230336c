// S3's documents: errors mapped to statuses with request ids and retry
// hints, and the result documents of list, copy and multipart calls, read
// from the same files that seed the fuzz target.
#include "blob/s3/s3_xml.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

std::string Corpus(const std::string& name) {
  std::ifstream in(std::filesystem::path(COHORT_S3_TESTDATA) / "xml_corpus" / name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

HttpResponse ErrorResponse(int status, const std::string& code, const std::string& extra = "") {
  HttpResponse r;
  r.status = status;
  r.headers = {{"x-amz-request-id", "HEADERID"}};
  r.body = "<Error><Code>" + code + "</Code><Message>msg " + code + "</Message>" + extra +
           "</Error>";
  return r;
}

TEST(S3ErrorTest, MapsCodesToStatuses) {
  const std::pair<std::string, absl::StatusCode> cases[] = {
      {"NoSuchKey", absl::StatusCode::kNotFound},
      {"NoSuchBucket", absl::StatusCode::kNotFound},
      {"AccessDenied", absl::StatusCode::kPermissionDenied},
      {"SignatureDoesNotMatch", absl::StatusCode::kPermissionDenied},
      {"InvalidAccessKeyId", absl::StatusCode::kPermissionDenied},
      {"ExpiredToken", absl::StatusCode::kPermissionDenied},
      {"SlowDown", absl::StatusCode::kUnavailable},
      {"InternalError", absl::StatusCode::kUnavailable},
      {"PreconditionFailed", absl::StatusCode::kFailedPrecondition},
      {"InvalidRange", absl::StatusCode::kInvalidArgument},
      {"ConditionalRequestConflict", absl::StatusCode::kAborted},
      {"BadDigest", absl::StatusCode::kDataLoss},
  };
  for (const auto& [code, expected] : cases) {
    EXPECT_THAT(S3ErrorStatus(ErrorResponse(400, code), "GetObject"),
                StatusIs(expected, AllOf(HasSubstr("S3 GetObject: " + code),
                                         HasSubstr("msg " + code))))
        << code;
  }
}

TEST(S3ErrorTest, FallsBackToTheHttpStatusWithoutABody) {
  // HEAD responses carry no body.
  HttpResponse r;
  r.headers = {{"x-amz-request-id", "HEADREQ"}};
  const std::pair<int, absl::StatusCode> cases[] = {
      {404, absl::StatusCode::kNotFound},        {403, absl::StatusCode::kPermissionDenied},
      {412, absl::StatusCode::kFailedPrecondition}, {304, absl::StatusCode::kFailedPrecondition},
      {503, absl::StatusCode::kUnavailable},     {500, absl::StatusCode::kUnavailable},
      {429, absl::StatusCode::kUnavailable},     {400, absl::StatusCode::kInvalidArgument},
      {409, absl::StatusCode::kAborted},         {418, absl::StatusCode::kUnknown}};
  for (const auto& [status, expected] : cases) {
    r.status = status;
    EXPECT_THAT(S3ErrorStatus(r, "HeadObject"),
                StatusIs(expected, HasSubstr("[request id HEADREQ]")))
        << status;
  }
}

TEST(S3ErrorTest, UnknownCodeUsesHttpStatusAndGarbageBodyIsTolerated) {
  EXPECT_THAT(S3ErrorStatus(ErrorResponse(503, "SomethingNew"), "PutObject"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SomethingNew (HTTP 503)")));
  HttpResponse garbage;
  garbage.status = 502;
  garbage.body = "<html>Bad Gateway";
  EXPECT_THAT(S3ErrorStatus(garbage, "PutObject"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(S3ErrorTest, CarriesTheRequestIdFromTheBodyAndRetryAfter) {
  HttpResponse r = ErrorResponse(503, "SlowDown", "<RequestId>BODYID</RequestId>");
  r.headers.push_back({"Retry-After", "3"});
  absl::Status status = S3ErrorStatus(r, "PutObject");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("[request id BODYID]")));
  EXPECT_THAT(RetryAfter(status), Optional(absl::Seconds(3)));
}

TEST(S3XmlTest, ListObjectsV2) {
  absl::StatusOr<ListObjectsV2Result> list = ParseListObjectsV2(Corpus("list_v2.xml"));
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->contents.size(), 2u);
  EXPECT_EQ(list->contents[0].key, "photos/a&b.jpg");
  EXPECT_EQ(list->contents[0].size, 434234u);
  EXPECT_EQ(list->contents[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(list->contents[0].last_modified, absl::FromUnixSeconds(1255369830));
  EXPECT_EQ(list->contents[0].storage_class, "STANDARD");
  EXPECT_EQ(list->contents[1].key, "photos/<raw>.jpg");
  EXPECT_THAT(list->common_prefixes, ElementsAre("photos/2006/"));
  EXPECT_TRUE(list->is_truncated);
  EXPECT_EQ(list->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3XmlTest, ListObjectsV2WithUrlEncoding) {
  absl::StatusOr<ListObjectsV2Result> list = ParseListObjectsV2(Corpus("list_v2_url.xml"));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->contents.at(0).key, "a b c/d");
  EXPECT_THAT(list->common_prefixes, ElementsAre("p:/"));
  EXPECT_FALSE(list->is_truncated);
}

TEST(S3XmlTest, ListObjectsV2RejectsBrokenDocuments) {
  for (const char* bad :
       {"<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<Other/>", "<ListBucketResult><Contents>"}) {
    EXPECT_THAT(ParseListObjectsV2(bad),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("malformed S3 response")))
        << bad;
  }
}

TEST(S3XmlTest, CopyObjectResultAndAnErrorHiddenInA200) {
  HttpResponse ok{.status = 200, .headers = {}, .body = Corpus("copy_result.xml")};
  absl::StatusOr<CopyObjectResult> copy = ParseCopyObjectResult(ok);
  ASSERT_THAT(copy, IsOk());
  EXPECT_EQ(copy->etag, "\"9b2cf535f27731c974343645a3985328\"");
  EXPECT_EQ(copy->last_modified, absl::FromUnixSeconds(1256769120));
  HttpResponse hidden{.status = 200, .headers = {}, .body = Corpus("error_slowdown.xml")};
  EXPECT_THAT(ParseCopyObjectResult(hidden),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SlowDown")));
}

TEST(S3XmlTest, MultipartResults) {
  absl::StatusOr<InitiateMultipartUploadResult> initiate =
      ParseInitiateMultipartUpload(Corpus("initiate.xml"));
  ASSERT_THAT(initiate, IsOk());
  EXPECT_EQ(initiate->upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_EQ(initiate->key, "example-object");
  HttpResponse done{.status = 200, .headers = {}, .body = Corpus("complete.xml")};
  absl::StatusOr<CompleteMultipartUploadResult> complete = ParseCompleteMultipartUpload(done);
  ASSERT_THAT(complete, IsOk());
  EXPECT_EQ(complete->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(complete->bucket, "example-bucket");
  HttpResponse failed{.status = 200, .headers = {},
                      .body = "<Error><Code>InternalError</Code></Error>"};
  EXPECT_THAT(ParseCompleteMultipartUpload(failed), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("UploadId")));
}

TEST(S3XmlTest, ParsesBothTimestampFormats) {
  EXPECT_THAT(ParseS3Time("2009-10-12T17:50:30.000Z"),
              ::cohort::testing::IsOkAndHolds(absl::FromUnixSeconds(1255369830)));
  EXPECT_THAT(ParseS3Time("Mon, 12 Oct 2009 17:50:30 GMT"),
              ::cohort::testing::IsOkAndHolds(absl::FromUnixSeconds(1255369830)));
  EXPECT_THAT(ParseS3Time("yesterday"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::blob::s3
