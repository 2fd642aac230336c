// Open, OpenFromEnvironment and the CLOUD_PROVIDER mapping.
#include "cohort/blob/open.h"

#include <map>
#include <string>

#include "cohort/testing/status_matchers.h"
#include "conformance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob {
namespace {

using ::cohort::blob::testing::Driver;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

EnvironmentLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class OpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.executor = driver_.io().get_executor();
    ctx_.clock = &clock_;
    scratch_ = testing::MakeScratchDirectory();
  }
  void TearDown() override { testing::RemoveTree(scratch_); }

  Driver driver_;
  SimulatedClock clock_;
  Context ctx_;
  std::string scratch_;
};

TEST_F(OpenTest, OpensMemoryStoresThatShareNothing) {
  auto a = Open("mem://shared-name", ctx_);
  auto b = Open("mem://shared-name", ctx_);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(driver_.Run((*a)->Put("k", "v", {})), IsOk());
  EXPECT_THAT(driver_.Run((*a)->Get("k", {})), IsOkAndHolds("v"));
  EXPECT_THAT(driver_.Run((*b)->Get("k", {})), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(OpenTest, OpensFileStores) {
  auto storage = Open("file://" + scratch_ + "/blobs", ctx_);
  ASSERT_THAT(storage, IsOk());
  ASSERT_THAT(driver_.Run((*storage)->Put("k", "v", {})), IsOk());
  EXPECT_THAT(driver_.Run((*storage)->Get("k", {})), IsOkAndHolds("v"));
}

// Opening an S3-protocol store configures it without touching the network;
// s3_storage_test.cc drives one opened by URI against a real server.
TEST_F(OpenTest, OpensS3AndGcsStoresWithoutContactingThem) {
  for (const char* uri : {"s3://bucket?region=eu-west-1", "gs://bucket",
                          "s3://bucket?endpoint=http://127.0.0.1:1&path_style=true"}) {
    EXPECT_THAT(Open(uri, ctx_), IsOk()) << uri;
  }
  EXPECT_THAT(Open("s3://Bad_Bucket", ctx_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(OpenTest, RejectsBadUrisAndContexts) {
  EXPECT_THAT(Open("ftp://x", ctx_), StatusIs(absl::StatusCode::kInvalidArgument));
  Context no_clock = ctx_;
  no_clock.clock = nullptr;
  EXPECT_THAT(Open("mem://", no_clock),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("clock")));
}

TEST(BlobUriFromEnvironmentTest, EachProvider) {
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "memory"}})),
              IsOkAndHolds("mem://"));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "Memory"},
                                          {"COHORT_BLOB_NAME", "unit tests"}})),
              IsOkAndHolds("mem://unit%20tests"));
  EXPECT_THAT(BlobUriFromEnvironment(
                  Env({{"CLOUD_PROVIDER", "local"}, {"COHORT_BLOB_ROOT", "/var/lib/x y"}})),
              IsOkAndHolds("file:///var/lib/x%20y"));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "aws"},
                                          {"COHORT_BLOB_BUCKET", "media"},
                                          {"AWS_REGION", "eu-west-1"}})),
              IsOkAndHolds("s3://media?region=eu-west-1"));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "AWS"},
                                          {"COHORT_BLOB_BUCKET", "media"},
                                          {"AWS_DEFAULT_REGION", "us-east-2"},
                                          {"COHORT_BLOB_ENDPOINT", "http://127.0.0.1:4568"},
                                          {"COHORT_BLOB_PATH_STYLE", "true"}})),
              IsOkAndHolds("s3://media?region=us-east-2&endpoint=http%3A%2F%2F127.0.0.1%3A4568"
                           "&path_style=true"));
  EXPECT_THAT(BlobUriFromEnvironment(
                  Env({{"CLOUD_PROVIDER", "gcp"}, {"COHORT_BLOB_BUCKET", "media"}})),
              IsOkAndHolds("gs://media"));
  // Every generated URI parses back to what the variables said.
  auto uri = BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "aws"},
                                         {"COHORT_BLOB_BUCKET", "media"},
                                         {"AWS_REGION", "eu-west-1"},
                                         {"COHORT_BLOB_ENDPOINT", "https://s3.example.com:8443/"}}));
  ASSERT_THAT(uri, IsOk());
  auto parsed = ParseBlobUri(*uri);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->s3.endpoint, "https://s3.example.com:8443");
  EXPECT_EQ(parsed->s3.region, "eu-west-1");
}

TEST(BlobUriFromEnvironmentTest, SaysWhichVariablesAreMissing) {
  EXPECT_THAT(BlobUriFromEnvironment(Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("CLOUD_PROVIDER is not set"), HasSubstr("aws, gcp"))));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", ""}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not set")));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "azure"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"azure\" is not known")));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "aws"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "CLOUD_PROVIDER=aws needs COHORT_BLOB_BUCKET, AWS_REGION (or "
                       "AWS_DEFAULT_REGION), which are not set"));
  EXPECT_THAT(BlobUriFromEnvironment(
                  Env({{"CLOUD_PROVIDER", "aws"}, {"AWS_REGION", "eu-west-1"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "CLOUD_PROVIDER=aws needs COHORT_BLOB_BUCKET, which is not set"));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "local"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("COHORT_BLOB_ROOT")));
  EXPECT_THAT(BlobUriFromEnvironment(
                  Env({{"CLOUD_PROVIDER", "local"}, {"COHORT_BLOB_ROOT", "relative"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  EXPECT_THAT(BlobUriFromEnvironment(Env({{"CLOUD_PROVIDER", "gcp"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("COHORT_BLOB_BUCKET")));
}

TEST_F(OpenTest, OpenFromEnvironment) {
  auto storage = OpenFromEnvironment(
      Env({{"CLOUD_PROVIDER", "local"}, {"COHORT_BLOB_ROOT", scratch_ + "/env"}}), ctx_);
  ASSERT_THAT(storage, IsOk());
  EXPECT_THAT(driver_.Run((*storage)->Put("k", "v", {})), IsOk());
  EXPECT_THAT(OpenFromEnvironment(Env({{"CLOUD_PROVIDER", "aws"},
                                       {"COHORT_BLOB_BUCKET", "Bad_Name"},
                                       {"AWS_REGION", "eu-west-1"}}),
                                  ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad s3 bucket name")));
}

TEST_F(OpenTest, OpenDefaultReadsTheProcessEnvironment) {
  ASSERT_EQ(::setenv("CLOUD_PROVIDER", "memory", 1), 0);
  auto storage = OpenDefault(ctx_);
  ::unsetenv("CLOUD_PROVIDER");
  ASSERT_THAT(storage, IsOk());
  EXPECT_THAT(driver_.Run((*storage)->Put("k", "v", {})), IsOk());
  EXPECT_THAT(OpenDefault(ctx_), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("CLOUD_PROVIDER is not set")));
}

}  // namespace
}  // namespace cohort::blob
