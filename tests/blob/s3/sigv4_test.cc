// SigV4 as S3 uses it: AWS's documented S3 examples, payload-hash modes,
// re-signing, and argument validation. The generic suite is in
// sigv4_vectors_test.cc.
#include "blob/s3/sigv4.h"

#include "absl/time/time.h"
#include "blob/s3/crypto.h"
#include "blob/s3/uri_encode.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

Credentials ExampleCredentials() {
  Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return c;
}

SigningParams ExampleParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = absl::FromUnixSeconds(1369353600);  // 2013-05-24T00:00:00Z
  return p;
}

// "Authenticating Requests: Using the Authorization Header", GET Object
// example of the Amazon S3 API reference.
TEST(SigV4S3Test, DocumentedGetObjectExample) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/test.txt";
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  absl::StatusOr<SigningResult> result =
      SignHeaders(request, ExampleCredentials(), ExampleParams());
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(result->signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(result->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// "Authenticating Requests: Using Query Parameters" example.
TEST(SigV4S3Test, DocumentedPresignedUrlExample) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/test.txt";
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  SigningParams params = ExampleParams();
  params.payload_hash = kUnsignedPayload;
  absl::StatusOr<SigningResult> result =
      Presign(request, ExampleCredentials(), params, absl::Hours(24));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(EncodeQuery(request.query),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"
            "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders="
            "host&X-Amz-Expires=86400&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4S3Test, S3KeysAreEncodedOnceAndNotNormalized) {
  EXPECT_EQ(CanonicalUri("/bucket/a b/./../c+d=e", /*normalize=*/false),
            "/bucket/a%20b/./../c%2Bd%3De");
  EXPECT_EQ(CanonicalUri("/bucket//x/", false), "/bucket//x/");
  EXPECT_EQ(CanonicalUri("/a/b/../c/./d/", true), "/a/c/d/");
}

TEST(SigV4S3Test, QueryIsSortedByEncodedNameThenValue) {
  EXPECT_EQ(CanonicalQueryString({{"prefix", "a/b"}, {"list-type", "2"}, {"b", "2"}, {"b", "1"},
                                  {"uploads", ""}}),
            "b=1&b=2&list-type=2&prefix=a%2Fb&uploads=");
}

TEST(SigV4S3Test, ResigningReplacesThePreviousSignature) {
  SignableRequest request;
  request.method = "PUT";
  request.path = "/bucket/key";
  request.headers = {{"Host", "h"}};
  Credentials credentials = ExampleCredentials();
  credentials.session_token = "token";
  SigningParams params = ExampleParams();
  params.payload_hash = *Sha256Hex("body");
  ASSERT_THAT(SignHeaders(request, credentials, params), IsOk());
  const std::vector<HttpHeader> first = request.headers;
  params.time += absl::Minutes(5);  // a retry, later
  absl::StatusOr<SigningResult> second = SignHeaders(request, credentials, params);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(request.headers.size(), first.size());
  EXPECT_EQ(second->signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_THAT(second->canonical_request, HasSubstr("x-amz-date:20130524T000500Z\n"));
}

TEST(SigV4S3Test, UnsignedHeadersStayOutOfTheSignature) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/";
  request.headers = {{"Host", "h"}, {"User-Agent", "cohort"}, {"Expect", "100-continue"}};
  absl::StatusOr<SigningResult> result =
      SignHeaders(request, ExampleCredentials(), ExampleParams());
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->signed_headers, "host;x-amz-content-sha256;x-amz-date");
}

TEST(SigV4S3Test, RejectsIncompleteInputsWithActionableMessages) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/";
  Credentials no_secret = ExampleCredentials();
  no_secret.secret_access_key.clear();
  EXPECT_THAT(SignHeaders(request, no_secret, ExampleParams()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secret access key")));
  SigningParams no_region = ExampleParams();
  no_region.region.clear();
  EXPECT_THAT(SignHeaders(request, ExampleCredentials(), no_region),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("region")));
  SigningParams no_time = ExampleParams();
  no_time.time = absl::InfinitePast();
  EXPECT_THAT(SignHeaders(request, ExampleCredentials(), no_time),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("time")));
  SignableRequest relative = request;
  relative.path = "key";
  EXPECT_THAT(SignHeaders(relative, ExampleCredentials(), ExampleParams()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("start with '/'")));
}

TEST(SigV4S3Test, PresignExpiryMustBeOneSecondToSevenDays) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/b/k";
  request.headers = {{"Host", "h"}};
  for (absl::Duration bad : {absl::ZeroDuration(), absl::Milliseconds(1500),
                             absl::Hours(24 * 7) + absl::Seconds(1)}) {
    SignableRequest copy = request;
    EXPECT_THAT(Presign(copy, ExampleCredentials(), ExampleParams(), bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("7 days")));
  }
  SignableRequest copy = request;
  EXPECT_THAT(Presign(copy, ExampleCredentials(), ExampleParams(), absl::Hours(24 * 7)), IsOk());
}

TEST(UriEncodeTest, EncodesAllButUnreservedAndDecodesBack) {
  const std::string all = "a-._~Z09 /+=&?%\xe1\x88\xb4";
  EXPECT_EQ(UriEncode(all, false), "a-._~Z09%20%2F%2B%3D%26%3F%25%E1%88%B4");
  EXPECT_EQ(UriEncode(all, true), "a-._~Z09%20/%2B%3D%26%3F%25%E1%88%B4");
  EXPECT_THAT(UriDecode(UriEncode(all, false)), ::cohort::testing::IsOkAndHolds(all));
  EXPECT_THAT(UriDecode("%E"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(UriDecode("%zz"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CredentialsTest, DescribeNeverShowsSecrets) {
  Credentials c = ExampleCredentials();
  c.session_token = "SESSIONTOKENVALUE";
  c.source = "environment";
  const std::string text = Describe(c);
  EXPECT_THAT(text, HasSubstr("AKIA...MPLE"));
  EXPECT_THAT(text, Not(HasSubstr(c.secret_access_key)));
  EXPECT_THAT(text, Not(HasSubstr("SESSIONTOKENVALUE")));
  EXPECT_THAT(text, Not(HasSubstr(c.access_key_id)));
}

}  // namespace
}  // namespace cohort::blob::s3
