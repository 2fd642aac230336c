// Expiring credentials: refreshed in the background before they expire, on
// the simulated clock; one refresh shared by every caller that needs it;
// failed refreshes neither hide still-valid credentials nor hammer the
// endpoint.
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsRefreshTest : public CredentialsTestBase {
 protected:
  // Serves "K<n>" for the n-th request, valid for one hour of simulated time.
  CredentialsRefreshTest()
      : server_([this](const TestRequest&) {
          if (failing_) return TestResponse{.status = 503};
          const int n = ++served_;
          const std::string expiration = absl::FormatTime(
              absl::RFC3339_sec, clock_.Now() + absl::Hours(1), absl::UTCTimeZone());
          return TestResponse{
              .status = 200,
              .body = absl::StrCat(R"({"AccessKeyId": "K)", n, R"(", "SecretAccessKey": "SECRET)",
                                   n, R"(", "Token": "TOKEN)", n, R"(", "Expiration": ")",
                                   expiration, R"("})")};
        }) {
    env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url() + "/creds";
  }

  std::size_t LogCount(const std::string& needle) {
    const std::string log = LogText();
    std::size_t count = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

  std::string Key(CredentialsProvider& provider) {
    absl::StatusOr<Credentials> c = Get(provider);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? c->access_key_id : "";
  }

  std::atomic<bool> failing_{false};
  std::atomic<int> served_{0};
  TestHttpServer server_;
};

TEST_F(CredentialsRefreshTest, RefreshesInTheBackgroundBeforeExpiry) {
  auto provider = Chain(Options());  // refresh_window 5 min
  EXPECT_EQ(Key(*provider), "K1");
  clock_.AdvanceTime(absl::Minutes(54));
  EXPECT_EQ(Key(*provider), "K1");  // fresh: no request
  EXPECT_EQ(server_.request_count(), 1u);

  clock_.AdvanceTime(absl::Minutes(2));  // 4 min before expiry
  EXPECT_EQ(Key(*provider), "K1");       // still valid: answered at once
  RunIoUntil(io_, [&] { return LogCount("AWS credentials: access key") == 2; });
  EXPECT_EQ(Key(*provider), "K2");
  EXPECT_EQ(server_.request_count(), 2u);

  const std::string log = LogText();
  EXPECT_THAT(log, HasSubstr("from container"));
  EXPECT_THAT(log, Not(HasSubstr("SECRET")));
  EXPECT_THAT(log, Not(HasSubstr("TOKEN")));
}

TEST_F(CredentialsRefreshTest, CallersAfterExpiryShareOneRefresh) {
  auto provider = Chain(Options());
  EXPECT_EQ(Key(*provider), "K1");
  clock_.AdvanceTime(absl::Hours(2));  // expired

  constexpr int kCallers = 8;
  std::vector<absl::StatusOr<Credentials>> results;
  for (int i = 0; i < kCallers; ++i) {
    asio::co_spawn(io_, provider->GetCredentials(),
                   [&](std::exception_ptr, absl::StatusOr<Credentials> c) {
                     results.push_back(std::move(c));
                   });
  }
  RunIoUntil(io_, [&] { return results.size() == kCallers; });
  for (const absl::StatusOr<Credentials>& c : results) {
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ(c->access_key_id, "K2");
  }
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(CredentialsRefreshTest, FailedRefreshKeepsValidCredentialsAndBacksOff) {
  auto provider = Chain(Options());  // refresh_retry_interval 10 s
  EXPECT_EQ(Key(*provider), "K1");
  failing_ = true;
  clock_.AdvanceTime(absl::Minutes(56));
  EXPECT_EQ(Key(*provider), "K1");
  RunIoUntil(io_, [&] { return LogCount("refresh failed") == 1; });
  EXPECT_THAT(LogText(), HasSubstr("HTTP 503"));

  EXPECT_EQ(Key(*provider), "K1");  // within the retry interval: no request
  EXPECT_EQ(server_.request_count(), 2u);

  clock_.AdvanceTime(absl::Seconds(11));
  failing_ = false;
  EXPECT_EQ(Key(*provider), "K1");  // starts the next refresh
  RunIoUntil(io_, [&] { return LogCount("AWS credentials: access key") == 2; });
  EXPECT_EQ(Key(*provider), "K2");
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(CredentialsRefreshTest, ExpiredAndUnrefreshableIsAnError) {
  auto provider = Chain(Options());
  EXPECT_EQ(Key(*provider), "K1");
  failing_ = true;
  clock_.AdvanceTime(absl::Hours(2));
  EXPECT_THAT(Get(*provider), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
  failing_ = false;
  EXPECT_EQ(Key(*provider), "K2");  // expired: no back-off, the caller needs them
}

TEST_F(CredentialsRefreshTest, StaticCredentialsNeverRefresh) {
  env_.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  env_["AWS_ACCESS_KEY_ID"] = "STATICKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "s";
  auto provider = Chain(Options());
  EXPECT_EQ(Key(*provider), "STATICKEY");
  clock_.AdvanceTime(absl::Hours(24 * 365));
  EXPECT_EQ(Key(*provider), "STATICKEY");
  EXPECT_EQ(LogCount("AWS credentials: access key"), 1u);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
