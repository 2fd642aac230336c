// The libcurl HTTP client against the in-test HTTP server: bodies both ways,
// response headers, connection reuse, concurrency, deadlines on the simulated
// clock, and network failures as statuses.
#include "blob/s3/http_client.h"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cohort/base/context.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/resilience/status_hints.h"
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

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    client_ = std::move(HttpClient::Create(HttpClientOptions{}, ctx_)).value();
  }

  absl::StatusOr<HttpResponse> Send(HttpRequest request) {
    return AwaitOn(io_, client_->Send(std::move(request)));
  }

  static TestResponse Echo(const TestRequest& r) {
    TestResponse response;
    response.headers = {{"X-Method", r.method}, {"X-Target", r.target},
                        {"ETag", "\"abc\""}};
    response.body = r.body.empty() ? "hello" : r.body;
    return response;
  }

  asio::io_context io_;
  SimulatedClock clock_;
  Context ctx_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestHttpServer server(Echo);
  HttpRequest request;
  request.url = server.url() + "/bucket/key?list-type=2";
  request.headers = {{"X-Custom", "v1"}, {"Range", "bytes=0-3"}};
  absl::StatusOr<HttpResponse> response = Send(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_THAT(response->Header("etag"), Optional(std::string("\"abc\"")));
  EXPECT_THAT(response->Header("X-Target"), Optional(std::string("/bucket/key?list-type=2")));
  const TestRequest seen = server.requests().at(0);
  EXPECT_THAT(seen.Header("X-Custom"), Optional(std::string("v1")));
  EXPECT_THAT(seen.Header("Range"), Optional(std::string("bytes=0-3")));
  EXPECT_EQ(seen.Header("Expect"), std::nullopt);
}

TEST_F(HttpClientTest, SendsBodiesFromMemoryAndFromAStream) {
  TestHttpServer server(Echo);
  HttpRequest put;
  put.method = "PUT";
  put.url = server.url() + "/k";
  put.body = std::string(300000, 'x');
  absl::StatusOr<HttpResponse> response = Send(put);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body.size(), 300000u);

  HttpRequest post;
  post.method = "POST";
  post.url = server.url() + "/k?uploads";
  const std::string payload = "<Complete>streamed</Complete>";
  std::size_t offset = 0;
  post.body_size = payload.size();
  post.body_source = [&](char* buffer, std::size_t size) -> absl::StatusOr<std::size_t> {
    const std::size_t n = std::min<std::size_t>({size, payload.size() - offset, 5});
    std::memcpy(buffer, payload.data() + offset, n);
    offset += n;
    return n;
  };
  response = Send(post);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, payload);
  EXPECT_EQ(server.requests().at(1).method, "POST");
  EXPECT_EQ(server.requests().at(1).body, payload);

  HttpRequest empty_put;
  empty_put.method = "PUT";
  empty_put.url = server.url() + "/empty";
  ASSERT_THAT(Send(empty_put), IsOk());
  EXPECT_THAT(server.requests().at(2).Header("Content-Length"), Optional(std::string("0")));
}

TEST_F(HttpClientTest, StreamsTheResponseThroughASink) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{.status = 200, .headers = {}, .body = std::string(1 << 20, 'z')};
  });
  HttpRequest request;
  request.url = server.url() + "/big";
  std::size_t received = 0;
  request.body_sink = [&](std::string_view piece) {
    received += piece.size();
    return absl::OkStatus();
  };
  absl::StatusOr<HttpResponse> response = Send(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(received, 1u << 20);
  EXPECT_TRUE(response->body.empty());

  request.body_sink = [](std::string_view) { return absl::DataLossError("disk full"); };
  EXPECT_THAT(Send(request), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("disk full")));
}

TEST_F(HttpClientTest, HeadAndDeleteHaveNoBody) {
  TestHttpServer server(Echo);
  HttpRequest head;
  head.method = "HEAD";
  head.url = server.url() + "/k";
  absl::StatusOr<HttpResponse> response = Send(head);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, "");
  EXPECT_THAT(response->Header("Content-Length"), Optional(std::string("5")));
  HttpRequest del;
  del.method = "DELETE";
  del.url = server.url() + "/k";
  ASSERT_THAT(Send(del), IsOk());
  EXPECT_EQ(server.requests().at(1).method, "DELETE");
}

TEST_F(HttpClientTest, ReusesConnections) {
  TestHttpServer server(Echo);
  for (int i = 0; i < 5; ++i) {
    HttpRequest request;
    request.url = absl::StrCat(server.url(), "/k", i);
    ASSERT_THAT(Send(request), IsOk());
  }
  EXPECT_EQ(server.request_count(), 5u);
  EXPECT_EQ(server.connection_count(), 1u);
}

TEST_F(HttpClientTest, RunsRequestsConcurrently) {
  TestHttpServer server(Echo);
  constexpr int kRequests = 16;
  std::vector<absl::StatusOr<HttpResponse>> results;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest request;
    request.method = "PUT";
    request.url = absl::StrCat(server.url(), "/k", i);
    request.body = absl::StrCat("body", i);
    asio::co_spawn(io_, client_->Send(std::move(request)),
                   [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) {
                     results.push_back(std::move(r));
                   });
  }
  RunIoUntil(io_, [&] { return results.size() == kRequests; });
  for (const auto& r : results) EXPECT_THAT(r, IsOk());
  EXPECT_EQ(server.request_count(), static_cast<std::size_t>(kRequests));
}

TEST_F(HttpClientTest, DeadlineOnTheInjectedClock) {
  absl::Notification release;
  TestHttpServer server([&](const TestRequest& r) {
    if (r.target == "/slow") release.WaitForNotification();
    return Echo(r);
  });
  HttpRequest request;
  request.url = server.url() + "/slow";
  request.deadline = clock_.Now() + absl::Seconds(5);
  std::optional<absl::StatusOr<HttpResponse>> result;
  asio::co_spawn(io_, client_->Send(request),
                 [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) { result = r; });
  RunIoUntil(io_, [&] { return server.request_count() == 1; });
  EXPECT_FALSE(result.has_value());
  clock_.AdvanceTime(absl::Seconds(5));
  RunIoUntil(io_, [&] { return result.has_value(); });
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("/slow")));
  release.Notify();

  // The client still works afterwards.
  HttpRequest next;
  next.url = server.url() + "/fast";
  next.deadline = clock_.Now() + absl::Seconds(5);
  EXPECT_THAT(Send(next), IsOk());
}

TEST_F(HttpClientTest, RefusedConnectionIsUnavailableAndNotSent) {
  std::string url;
  {
    TestHttpServer server(Echo);
    url = server.url();
  }
  HttpRequest request;
  request.method = "POST";
  request.url = url + "/k";
  absl::StatusOr<HttpResponse> response = Send(request);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(response.status()));
}

TEST_F(HttpClientTest, ResetMidRequestIsUnavailableButMaybeSent) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{.status = 200, .headers = {}, .body = "", .reset_connection = true};
  });
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url() + "/k";
  request.body = "data";
  absl::StatusOr<HttpResponse> response = Send(request);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(WasNotSent(response.status()));
}

TEST_F(HttpClientTest, ResponseLargerThanTheLimit) {
  HttpClientOptions options;
  options.max_response_bytes = 1000;
  auto small = std::move(HttpClient::Create(options, ctx_)).value();
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{.status = 200, .headers = {}, .body = std::string(5000, 'a')};
  });
  HttpRequest request;
  request.url = server.url() + "/k";
  EXPECT_THAT(AwaitOn(io_, small->Send(request)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_response_bytes")));
}

TEST_F(HttpClientTest, RejectsBadOptionsAndRequests) {
  HttpClientOptions options;
  options.max_connections = 0;
  EXPECT_THAT(HttpClient::Create(options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_connections")));
  HttpRequest request;
  request.url = "http://127.0.0.1:1/k";
  request.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  EXPECT_THAT(Send(request), StatusIs(absl::StatusCode::kInvalidArgument));
  HttpRequest bad_scheme;
  bad_scheme.url = "gopher://127.0.0.1/";
  EXPECT_THAT(Send(bad_scheme), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::blob::s3::testing
