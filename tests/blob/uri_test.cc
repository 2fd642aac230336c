// ParseBlobUri: the URI grammar and every rejection.
#include "cohort/blob/uri.h"

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseBlobUriTest, Memory) {
  auto plain = ParseBlobUri("mem://");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->scheme, BlobUri::Scheme::kMemory);
  EXPECT_EQ(plain->memory_name, "");
  auto named = ParseBlobUri("MEM://cache%20a");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ(named->memory_name, "cache a");
  EXPECT_THAT(ParseBlobUri("mem://a/b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("mem://a?x=1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseBlobUriTest, File) {
  auto uri = ParseBlobUri("file:///var/lib/app%20data/blobs");
  ASSERT_THAT(uri, IsOk());
  EXPECT_EQ(uri->scheme, BlobUri::Scheme::kFile);
  EXPECT_EQ(uri->file_root, "/var/lib/app data/blobs");
  auto local = ParseBlobUri("file://localhost/srv");
  ASSERT_THAT(local, IsOk());
  EXPECT_EQ(local->file_root, "/srv");
}

TEST(ParseBlobUriTest, FileRejections) {
  EXPECT_THAT(ParseBlobUri("file://relative/path"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute path")));
  EXPECT_THAT(ParseBlobUri("file://"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("file:///a?sync=false"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(ParseBlobUri("file:///a%2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("percent-encoding")));
  EXPECT_THAT(ParseBlobUri("file:///a%zzb"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two hex digits")));
  EXPECT_THAT(ParseBlobUri("file:///a%00b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
}

TEST(ParseBlobUriTest, S3WithEveryParameter) {
  auto uri = ParseBlobUri(
      "s3://my-bucket.logs?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A4568%2F"
      "&path_style=true");
  ASSERT_THAT(uri, IsOk());
  EXPECT_EQ(uri->scheme, BlobUri::Scheme::kS3);
  S3Location expected;
  expected.service = S3Location::Service::kAws;
  expected.bucket = "my-bucket.logs";
  expected.region = "eu-west-1";
  expected.endpoint = "http://127.0.0.1:4568";
  expected.path_style = true;
  EXPECT_EQ(uri->s3, expected);
}

TEST(ParseBlobUriTest, S3Defaults) {
  auto uri = ParseBlobUri("s3://bucket");
  ASSERT_THAT(uri, IsOk());
  EXPECT_EQ(uri->s3.bucket, "bucket");
  EXPECT_EQ(uri->s3.region, "");
  EXPECT_EQ(uri->s3.endpoint, "");
  EXPECT_FALSE(uri->s3.path_style);
  // Unencoded endpoint values work too, and a lone trailing slash is harmless.
  auto raw = ParseBlobUri("s3://bucket/?endpoint=https://minio.local:9000&path_style=false");
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(raw->s3.endpoint, "https://minio.local:9000");
}

TEST(ParseBlobUriTest, Gcs) {
  auto uri = ParseBlobUri("gs://my_bucket");
  ASSERT_THAT(uri, IsOk());
  EXPECT_EQ(uri->scheme, BlobUri::Scheme::kGcs);
  EXPECT_EQ(uri->s3.service, S3Location::Service::kGcs);
  EXPECT_EQ(uri->s3.bucket, "my_bucket");
  EXPECT_EQ(uri->s3.endpoint, "https://storage.googleapis.com");
  EXPECT_EQ(uri->s3.region, "auto");
  auto custom = ParseBlobUri("gs://b-1?endpoint=http://127.0.0.1:4443&region=us-east1");
  ASSERT_THAT(custom, IsOk());
  EXPECT_EQ(custom->s3.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(custom->s3.region, "us-east1");
  EXPECT_THAT(ParseBlobUri("gs://goog-bucket"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("gs://UPPER"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseBlobUriTest, QueryRejections) {
  EXPECT_THAT(ParseBlobUri("s3://bucket?regoin=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown s3:// query")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region=a&region=b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than once")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty value")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name=value")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region=a&&path_style=true"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("s3://bucket?path_style=yes"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("true or false")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region=EU_WEST"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("region")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?endpoint=ftp://x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?endpoint=http://"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?endpoint=http%3A%2F%2Fh%3Fq"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(ParseBlobUri("s3://bucket?region=%e"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("percent-encoding")));
  EXPECT_THAT(ParseBlobUri("s3://bucket/some/prefix"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bucket only")));
  EXPECT_THAT(ParseBlobUri("s3://bucket#frag"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("s3://"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no bucket")));
  EXPECT_THAT(ParseBlobUri("s3://?region=x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseBlobUriTest, UnknownSchemes) {
  EXPECT_THAT(ParseBlobUri("azure://container"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown blob storage URI scheme")));
  EXPECT_THAT(ParseBlobUri("/just/a/path"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a blob storage URI")));
  EXPECT_THAT(ParseBlobUri(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBlobUri("://x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateS3BucketNameTest, Rules) {
  for (const char* good : {"abc", "my-bucket", "my.bucket.name", "a1b2c3", "123",
                           "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-012345678"}) {
    EXPECT_THAT(ValidateS3BucketName(good), IsOk()) << good;
  }
  struct Case {
    const char* bucket;
    const char* why;
  };
  for (const Case& c : {Case{"ab", "3 to 63"},
                        Case{"abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-01234567890",
                             "3 to 63"},
                        Case{"My-Bucket", "lower-case"}, Case{"my_bucket", "lower-case"},
                        Case{"-bucket", "start and end"}, Case{"bucket.", "start and end"},
                        Case{"my..bucket", "adjacent periods"}, Case{"192.168.5.4", "IP address"},
                        Case{"xn--bucket", "prefix"}, Case{"sthree-b", "prefix"},
                        Case{"bucket-s3alias", "suffix"}, Case{"bucket--ol-s3", "suffix"}}) {
    EXPECT_THAT(ValidateS3BucketName(c.bucket),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.bucket;
  }
  EXPECT_THAT(ParseBlobUri("s3://Bad_Bucket"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad s3 bucket name")));
}

}  // namespace
}  // namespace cohort::blob
