// Signed S3 requests against the in-test server: addressing, signing as a
// server would verify it, error mapping and which failures are retried.
#include "blob/s3/s3_client.h"

#include <asio/io_context.hpp>
#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "blob/s3/crypto.h"
#include "blob/s3/uri_encode.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_http_server.h"
#include "test_util.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

Credentials TestCredentials() {
  return Credentials{.access_key_id = "AKIDTEST", .secret_access_key = "secret",
                     .session_token = "session", .expiration = absl::InfiniteFuture(),
                     .source = "test"};
}

// Recomputes the request's signature from what arrived, as S3 does.
bool VerifySignature(const TestRequest& r) {
  std::optional<std::string> authorization = r.Header("Authorization");
  std::optional<std::string> date = r.Header("X-Amz-Date");
  std::optional<std::string> payload = r.Header("x-amz-content-sha256");
  if (!authorization || !date || !payload) return false;
  const std::size_t at = authorization->find("SignedHeaders=");
  std::string signed_names = authorization->substr(at + 14);
  signed_names = signed_names.substr(0, signed_names.find(','));
  SignableRequest request;
  request.method = r.method;
  const std::size_t q = r.target.find('?');
  request.path = *UriDecode(r.target.substr(0, q));
  if (q != std::string::npos) {
    for (absl::string_view pair : absl::StrSplit(r.target.substr(q + 1), '&')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      request.query.emplace_back(*UriDecode(kv.first), *UriDecode(kv.second));
    }
  }
  for (absl::string_view name : absl::StrSplit(signed_names, ';')) {
    if (name == "x-amz-date" || name == "x-amz-content-sha256" ||
        name == "x-amz-security-token") {
      continue;
    }
    request.headers.push_back({std::string(name), *r.Header(std::string(name))});
  }
  SigningParams params;
  params.region = "us-east-1";
  params.payload_hash = *payload;
  std::string error;
  // "20231114T221320Z": %Y would swallow every digit, so split it first.
  const std::string iso = absl::StrCat(date->substr(0, 4), "-", date->substr(4, 2), "-",
                                       date->substr(6, 5), ":", date->substr(11, 2), ":",
                                       date->substr(13));
  absl::ParseTime(absl::RFC3339_full, iso, &params.time, &error);
  absl::StatusOr<SigningResult> expected = SignHeaders(request, TestCredentials(), params);
  if (!expected.ok()) ADD_FAILURE() << expected.status() << " " << error;
  if (expected.ok() && expected->authorization != *authorization) {
    ADD_FAILURE() << "server-side canonical request:\n" << expected->canonical_request;
  }
  return expected.ok() && expected->authorization == *authorization;
}

class S3ClientTest : public ::testing::Test {
 protected:
  S3ClientTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 11;
  }

  std::unique_ptr<S3Client> Client(const std::string& endpoint) {
    S3ClientOptions options;
    options.endpoint = endpoint;
    options.path_style = true;
    auto client = S3Client::Create(options, NewStaticCredentialsProvider(TestCredentials()), ctx_);
    EXPECT_THAT(client, IsOk());
    return std::move(client).value();
  }

  absl::StatusOr<HttpResponse> Call(S3Client& client, S3Request request) {
    std::optional<absl::StatusOr<HttpResponse>> result;
    asio::co_spawn(io_, client.Call(std::move(request)),
                   [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) { result = r; });
    RunIoUntilAdvancing(io_, clock_, [&] { return result.has_value(); });
    return *result;
  }

  static S3Request Put(std::string key, std::string body) {
    S3Request r;
    r.operation = "PutObject";
    r.method = "PUT";
    r.bucket = "bkt";
    r.key = std::move(key);
    r.body = std::move(body);
    r.headers = {{"Content-Type", "text/plain"}};
    return r;
  }

  asio::io_context io_;
  SimulatedClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  Context ctx_;
};

TEST_F(S3ClientTest, SignsPathStyleRequestsAServerCanVerify) {
  TestHttpServer server([](const TestRequest& r) {
    return TestResponse{.status = VerifySignature(r) ? 200 : 403};
  });
  auto client = Client(server.url());
  S3Request put = Put("dir/a b+c.txt", "hello");
  put.query = {{"tagging", ""}};
  ASSERT_THAT(Call(*client, put), IsOk());
  const TestRequest seen = server.requests().at(0);
  EXPECT_EQ(seen.target, "/bkt/dir/a%20b%2Bc.txt?tagging=");
  EXPECT_THAT(seen.Header("Authorization"),
              Optional(StartsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/20231114/us-east-1/s3/")));
  EXPECT_THAT(seen.Header("x-amz-content-sha256"), Optional(*Sha256Hex("hello")));
  EXPECT_THAT(seen.Header("X-Amz-Security-Token"), Optional(std::string("session")));
  EXPECT_EQ(seen.body, "hello");
}

TEST_F(S3ClientTest, AddressesVirtualHostedBucketsAndDefaultEndpoint) {
  S3ClientOptions options;
  options.region = "eu-west-1";
  auto client = std::move(
      S3Client::Create(options, NewStaticCredentialsProvider(TestCredentials()), ctx_)).value();
  EXPECT_EQ(client->Url("bkt", "a/b c", {{"list-type", "2"}}),
            "https://bkt.s3.eu-west-1.amazonaws.com/a/b%20c?list-type=2");
  absl::StatusOr<std::string> url =
      client->Presign("GET", "bkt", "k", {}, absl::Minutes(15), TestCredentials());
  ASSERT_THAT(url, IsOk());
  EXPECT_THAT(*url, StartsWith("https://bkt.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm="));
  EXPECT_THAT(*url, HasSubstr("X-Amz-Expires=900"));
  EXPECT_THAT(*url, HasSubstr("X-Amz-Security-Token=session"));
  EXPECT_THAT(*url, HasSubstr("X-Amz-Signature="));
}

TEST_F(S3ClientTest, RetriesThrottlingForIdempotentRequests) {
  std::atomic<int> calls{0};
  TestHttpServer server([&](const TestRequest&) {
    if (++calls <= 2) {
      return TestResponse{.status = 503, .headers = {},
                          .body = "<Error><Code>SlowDown</Code></Error>"};
    }
    return TestResponse{.status = 200, .headers = {{"ETag", "\"e\""}}};
  });
  auto client = Client(server.url());
  absl::StatusOr<HttpResponse> response = Call(*client, Put("k", "v"));
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->Header("ETag"), Optional(std::string("\"e\"")));
  EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(S3ClientTest, GivesUpAfterMaxAttempts) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{.status = 500, .headers = {{"x-amz-request-id", "RID"}},
                        .body = "<Error><Code>InternalError</Code></Error>"};
  });
  auto client = Client(server.url());
  EXPECT_THAT(Call(*client, Put("k", "v")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("InternalError")));
  EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(S3ClientTest, NeverRetriesANonIdempotentRequestThatWasSent) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{.status = 503}; });
  auto client = Client(server.url());
  S3Request post = Put("k", "<CompleteMultipartUpload/>");
  post.method = "POST";
  post.idempotency = Idempotency::kNonIdempotent;
  EXPECT_THAT(Call(*client, post), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(S3ClientTest, DoesNotRetryPermanentErrors) {
  TestHttpServer server([](const TestRequest& r) {
    const std::string code = absl::StrContains(r.target, "missing") ? "NoSuchKey" : "AccessDenied";
    return TestResponse{.status = code == "NoSuchKey" ? 404 : 403,
                        .headers = {{"x-amz-request-id", "REQ123"}},
                        .body = "<Error><Code>" + code + "</Code><Message>m</Message></Error>"};
  });
  auto client = Client(server.url());
  S3Request get;
  get.operation = "GetObject";
  get.bucket = "bkt";
  get.key = "missing";
  EXPECT_THAT(Call(*client, get),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("[request id REQ123]")));
  get.key = "private";
  EXPECT_THAT(Call(*client, get), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(S3ClientTest, RejectsBadEndpoints) {
  for (const char* bad : {"s3.amazonaws.com", "ftp://host", "http://", "http://host/path"}) {
    S3ClientOptions options;
    options.endpoint = bad;
    EXPECT_THAT(S3Client::Create(options, NewStaticCredentialsProvider(TestCredentials()), ctx_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint")))
        << bad;
  }
}

}  // namespace
}  // namespace cohort::blob::s3::testing
