// The credential chain's network sources, served by a local HTTP server: the
// ECS/EKS container endpoint and EC2 instance metadata (IMDSv2).
#include "absl/strings/str_cat.h"
#include "blob/s3/credential_sources.h"
#include "blob/s3/credentials_provider.h"
#include "cohort/testing/status_matchers.h"
#include "credentials_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_http_server.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

std::string Document(const std::string& key, const std::string& expiration) {
  return absl::StrCat(R"({"Code": "Success", "LastUpdated": "2023-11-14T22:00:00Z",)",
                      R"( "Type": "AWS-HMAC", "AccessKeyId": ")", key,
                      R"(", "SecretAccessKey": "secret\/)", key, R"(", "Token": "token-)", key,
                      R"(", "Expiration": ")", expiration, R"(", "Nested": {"a": [1, true]}})");
}

TestResponse Json(const std::string& body) {
  return TestResponse{.status = 200, .headers = {{"Content-Type", "application/json"}},
                      .body = body};
}

class CredentialsEndpointTest : public CredentialsTestBase {};

TEST_F(CredentialsEndpointTest, ContainerRelativeUri) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.target != "/v2/credentials/abc") return TestResponse{.status = 404};
    return Json(Document("CONTAINERKEY", "2023-11-15T00:00:00Z"));
  });
  env_["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  CredentialsChainOptions options = Options();
  options.container_host = server.host_port();
  absl::StatusOr<Credentials> c = Get(*Chain(std::move(options)));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "CONTAINERKEY");
  EXPECT_EQ(c->secret_access_key, "secret/CONTAINERKEY");
  EXPECT_EQ(c->session_token, "token-CONTAINERKEY");
  EXPECT_EQ(c->expiration, absl::FromUnixSeconds(1700006400));
  EXPECT_EQ(c->source, "container");
  EXPECT_EQ(server.requests().at(0).Header("Authorization"), std::nullopt);
}

TEST_F(CredentialsEndpointTest, ContainerFullUriWithAuthorizationToken) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.Header("Authorization") != "Bearer pod-token") return TestResponse{.status = 401};
    return Json(Document("PODKEY", "2023-11-15T00:00:00Z"));
  });
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/v1/credentials";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong";
  // The token file wins over the variable, as in the SDKs (EKS Pod Identity).
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = WriteFile("token", "Bearer pod-token\n");
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "PODKEY");
  EXPECT_EQ(server.requests().at(0).target, "/v1/credentials");
}

TEST_F(CredentialsEndpointTest, ContainerRefusalStopsTheChain) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{.status = 401}; });
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong";
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("HTTP 401")));
}

TEST_F(CredentialsEndpointTest, ContainerServerErrorIsUnavailable) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{.status = 500}; });
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/creds";
  EXPECT_THAT(Get(*Chain(Options())), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(CredentialsEndpointTest, ContainerFullUriMustBeLocal) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://192.0.2.10/creds";
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not loopback")));
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "ftp://127.0.0.1/creds";
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("http://")));
}

TEST_F(CredentialsEndpointTest, GarbageDocumentIsUnavailableAndNotQuoted) {
  TestHttpServer server([](const TestRequest&) {
    return Json(R"({"AccessKeyId": "K", "SecretAccessKey": "LEAKED-SECRET", )");
  });
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/creds";
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("not valid JSON"), Not(HasSubstr("LEAKED")))));
  EXPECT_THAT(LogText(), Not(HasSubstr("LEAKED")));
}

// An IMDSv2 endpoint: a token from PUT, then the role list and the role's
// credentials, both demanding the token.
TestResponse Imds(const TestRequest& r) {
  if (r.method == "PUT" && r.target == "/latest/api/token") {
    if (r.Header("X-aws-ec2-metadata-token-ttl-seconds") != "21600") {
      return TestResponse{.status = 400};
    }
    return TestResponse{.body = "imds-session-token"};
  }
  if (r.Header("X-aws-ec2-metadata-token") != "imds-session-token") {
    return TestResponse{.status = 401};
  }
  if (r.target == "/latest/meta-data/iam/security-credentials/") {
    return TestResponse{.body = "app-role\n"};
  }
  if (r.target == "/latest/meta-data/iam/security-credentials/app-role") {
    return Json(Document("IMDSKEY", "2023-11-15T00:00:00Z"));
  }
  return TestResponse{.status = 404};
}

TEST_F(CredentialsEndpointTest, InstanceMetadataV2) {
  TestHttpServer server(Imds);
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url() + "/";
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "IMDSKEY");
  EXPECT_EQ(c->source, "imds role app-role");
  std::vector<TestRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/app-role");
}

TEST_F(CredentialsEndpointTest, InstanceMetadataV1WhenTheTokenApiIsMissing) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.method == "PUT") return TestResponse{.status = 405};
    if (r.Header("X-aws-ec2-metadata-token")) return TestResponse{.status = 400};
    if (r.target == "/latest/meta-data/iam/security-credentials/") {
      return TestResponse{.body = "legacy"};
    }
    return Json(Document("V1KEY", "2023-11-15T00:00:00Z"));
  });
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url();
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "V1KEY");
}

TEST_F(CredentialsEndpointTest, InstanceWithoutRole) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.method == "PUT") return TestResponse{.body = "t"};
    return TestResponse{.status = 404};
  });
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url();
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no IAM role")));
}

TEST_F(CredentialsEndpointTest, NoInstanceMetadataServiceMeansNoCredentials) {
  std::string closed_url;
  {
    TestHttpServer server(Imds);
    closed_url = server.url();
  }  // the port is closed now: connections are refused
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = closed_url;
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("no AWS credentials found"),
                             HasSubstr("no instance metadata service at"))));
}

TEST_F(CredentialsEndpointTest, EnvironmentIsConsultedBeforeEndpoints) {
  TestHttpServer server(Imds);
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url();
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/creds";
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(CredentialsDocumentTest, RejectsIncompleteOrFailedDocuments) {
  EXPECT_THAT(ParseCredentialsDocument(R"({"AccessKeyId": "K"})", "x"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SecretAccessKey")));
  EXPECT_THAT(ParseCredentialsDocument(
                  R"({"Code": "AssumeRoleUnauthorizedAccess", "AccessKeyId": "K",)"
                  R"( "SecretAccessKey": "S"})",
                  "x"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("AssumeRoleUnauthorized")));
  EXPECT_THAT(ParseCredentialsDocument(
                  R"({"AccessKeyId": "K", "SecretAccessKey": "S", "Expiration": "soon"})", "x"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Expiration")));
  absl::StatusOr<Credentials> c = ParseCredentialsDocument(
      R"({"AccessKeyId": "K\u00e9", "SecretAccessKey": "S"})", "x");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "K\xc3\xa9");
  EXPECT_EQ(c->expiration, absl::InfiniteFuture());
}

}  // namespace
}  // namespace cohort::blob::s3::testing
