// The HTTP client's own connections (direct_http.h): PUT bodies sent from
// the caller's memory, against the in-test HTTP server and against scripted
// servers on raw sockets that answer early, send garbage, stop halfway or
// close a kept-alive connection under a new request.
#include "blob/s3/direct_http.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "blob/s3/http_client.h"
#include "cohort/base/context.h"
#include "cohort/base/random.h"
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

// A server on a raw socket for one connection at a time: `script` gets the
// accepted socket after the request's headers were read. Scripts that answer
// in full say "Connection: close": the server serves the next connection
// only once the client closed this one.
class ScriptedServer {
 public:
  using Script = std::function<void(int fd)>;
  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(a);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &length);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0 || stopping_) {
          if (fd >= 0) ::close(fd);
          return;
        }
        // Bounds every wait of a broken test (not a timing assertion).
        timeval limit{60, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        ReadHeaders(fd);
        script_(fd);
        // Closes its side only once the client closed, so that what the
        // client sent and nobody read does not turn the close into a reset.
        ::shutdown(fd, SHUT_WR);
        Drain(fd);
        ::close(fd);
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  // Reads and throws away what the client sends until it closes.
  static void Drain(int fd) {
    char buffer[65536];
    while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
    }
  }
  static void Write(int fd, std::string_view data) {
    ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }

 private:
  static void ReadHeaders(int fd) {
    std::string seen;
    char c;
    while (seen.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) {
      seen.push_back(c);
    }
  }

  Script script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class DirectHttpTest : public ::testing::Test {
 protected:
  DirectHttpTest() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    client_ = NewClient(HttpClientOptions{});
  }

  std::unique_ptr<HttpClient> NewClient(HttpClientOptions options) {
    options.direct_write_min_bytes = 1;  // every PUT with a body goes direct
    return std::move(HttpClient::Create(options, ctx_)).value();
  }

  absl::StatusOr<HttpResponse> Send(HttpRequest request) {
    return AwaitOn(io_, client_->Send(std::move(request)));
  }

  static HttpRequest Put(std::string url, std::string body) {
    HttpRequest put;
    put.method = "PUT";
    put.url = std::move(url);
    put.body = std::move(body);
    return put;
  }

  static std::string RandomBytes(std::size_t n, std::uint64_t seed) {
    Random random(seed);
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(random.Next64());
    return bytes;
  }

  asio::io_context io_;
  SimulatedClock clock_;
  Context ctx_;
  std::unique_ptr<HttpClient> client_;
};

TestResponse EchoSize(const TestRequest& r) {
  TestResponse response;
  response.headers = {{"ETag", "\"e\""}, {"X-Size", absl::StrCat(r.body.size())}};
  return response;
}

TEST_F(DirectHttpTest, SendsLargeBodiesByteForByteOnOneConnection) {
  TestHttpServer server(EchoSize);
  for (int i = 0; i < 4; ++i) {
    const std::string body = RandomBytes((3u << 20) + 17 * i, i);
    HttpRequest put = Put(absl::StrCat(server.url(), "/b/k", i, "?partNumber=", i + 1), body);
    put.headers = {{"Host", "bucket.example:9000"}, {"x-amz-checksum-crc32c", "AAAAAA=="}};
    absl::StatusOr<HttpResponse> response = Send(std::move(put));
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->status, 200);
    EXPECT_THAT(response->Header("etag"), Optional(std::string("\"e\"")));
    const TestRequest seen = server.requests().at(i);
    EXPECT_EQ(seen.method, "PUT");
    EXPECT_EQ(seen.target, absl::StrCat("/b/k", i, "?partNumber=", i + 1));
    EXPECT_TRUE(seen.body == body) << "body " << i << " differs";
    EXPECT_THAT(seen.Header("Host"), Optional(std::string("bucket.example:9000")));
    EXPECT_THAT(seen.Header("Content-Length"), Optional(absl::StrCat(body.size())));
    EXPECT_EQ(seen.Header("Expect"), std::nullopt);
  }
  EXPECT_EQ(server.connection_count(), 1u);
}

TEST_F(DirectHttpTest, SharedBodiesAndConcurrencyWithinMaxConnections) {
  TestHttpServer server(EchoSize, 4);
  HttpClientOptions options;
  options.max_connections = 2;
  auto client = NewClient(options);
  auto part = std::make_shared<const std::string>(RandomBytes(1u << 20, 7));
  constexpr int kRequests = 8;
  std::vector<absl::StatusOr<HttpResponse>> results;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest put;
    put.method = "PUT";
    put.url = absl::StrCat(server.url(), "/k", i);
    put.shared_body_owner = part;
    put.shared_body = *part;
    asio::co_spawn(io_, client->Send(std::move(put)),
                   [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) {
                     results.push_back(std::move(r));
                   });
  }
  RunIoUntil(io_, [&] { return results.size() == kRequests; });
  for (const auto& r : results) {
    ASSERT_THAT(r, IsOk());
    EXPECT_THAT(r->Header("X-Size"), Optional(absl::StrCat(1u << 20)));
  }
  for (const TestRequest& seen : server.requests()) EXPECT_TRUE(seen.body == *part);
  EXPECT_LE(server.connection_count(), 2u);
}

TEST_F(DirectHttpTest, HostNamesAreResolvedAndEveryAddressTried) {
  // "localhost" may come first as ::1, where nobody listens: the next
  // address is tried.
  TestHttpServer server(EchoSize);
  HttpRequest put = Put(absl::StrCat("http://localhost:", server.port(), "/k"), "data");
  absl::StatusOr<HttpResponse> response = Send(put);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(server.requests().at(0).Header("Host"),
              Optional(absl::StrCat("localhost:", server.port())));
}

TEST_F(DirectHttpTest, RefusedConnectionIsUnavailableAndNotSent) {
  std::string url;
  {
    TestHttpServer server(EchoSize);
    url = server.url();
  }
  absl::StatusOr<HttpResponse> response = Send(Put(url + "/k", "data"));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("could not connect")));
  EXPECT_TRUE(WasNotSent(response.status()));
}

TEST_F(DirectHttpTest, ResetInsteadOfAnAnswerIsUnavailableButMaybeSent) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{.status = 200, .headers = {}, .body = "", .reset_connection = true};
  });
  absl::StatusOr<HttpResponse> response = Send(Put(server.url() + "/k", "data"));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(WasNotSent(response.status()));
}

TEST_F(DirectHttpTest, KeptAliveConnectionClosedUnderARequestIsRetriedOnANewOne) {
  std::atomic<int> seen{0};
  TestHttpServer server([&](const TestRequest& r) {
    // The second request finds its connection gone, as when a server drops
    // an idle connection just as the client reuses it.
    if (++seen == 2) return TestResponse{.reset_connection = true};
    return EchoSize(r);
  });
  ASSERT_THAT(Send(Put(server.url() + "/a", "first")), IsOk());
  absl::StatusOr<HttpResponse> second = Send(Put(server.url() + "/b", "second"));
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(server.connection_count(), 2u);
  EXPECT_EQ(server.requests().at(2).body, "second");

  // Once only: a new connection that fails as well is the answer.
  seen = 0;
  server.set_handler([](const TestRequest&) { return TestResponse{.reset_connection = true}; });
  EXPECT_THAT(Send(Put(server.url() + "/c", "third")),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(DirectHttpTest, AnswerBeforeTheWholeBodyWasSentIsTheResponse) {
  ScriptedServer server([](int fd) {
    ScriptedServer::Write(fd,
                          "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n"
                          "Content-Length: 15\r\n\r\n<Error></Error>");
  });
  absl::StatusOr<HttpResponse> response =
      Send(Put(server.url() + "/k", RandomBytes(32u << 20, 3)));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->body, "<Error></Error>");
}

TEST_F(DirectHttpTest, GarbageAndTruncatedAnswersSayWhatWasWrong) {
  ScriptedServer garbage([](int fd) { ScriptedServer::Write(fd, "SMTP ready\r\n\r\n"); });
  EXPECT_THAT(Send(Put(garbage.url() + "/k", "data")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("PUT " + garbage.url())));

  ScriptedServer truncated([](int fd) {
    ScriptedServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
  });
  EXPECT_THAT(Send(Put(truncated.url() + "/k", "data")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("4 of 10")));

  ScriptedServer silent([](int) {});
  EXPECT_THAT(Send(Put(silent.url() + "/k", "data")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("before any response byte")));
}

TEST_F(DirectHttpTest, ChunkedAnswersAndTheResponseLimit) {
  ScriptedServer chunked([](int fd) {
    ScriptedServer::Write(fd,
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  });
  absl::StatusOr<HttpResponse> response = Send(Put(chunked.url() + "/k", "data"));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, "hello world");

  HttpClientOptions options;
  options.max_response_bytes = 8;
  auto small = NewClient(options);
  EXPECT_THAT(AwaitOn(io_, small->Send(Put(chunked.url() + "/k", "data"))),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_response_bytes")));
}

TEST_F(DirectHttpTest, StallTimeoutOnTheInjectedClock) {
  absl::Notification release;
  TestHttpServer server([&](const TestRequest& r) {
    release.WaitForNotification();
    return EchoSize(r);
  });
  std::optional<absl::StatusOr<HttpResponse>> result;
  asio::co_spawn(io_, client_->Send(Put(server.url() + "/k", RandomBytes(1u << 20, 5))),
                 [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) { result = r; });
  // The whole request arrived: from here on nothing moves.
  RunIoUntil(io_, [&] { return server.request_count() == 1; });
  EXPECT_FALSE(result.has_value());
  clock_.AdvanceTime(HttpClientOptions{}.stall_timeout + absl::Seconds(1));
  RunIoUntil(io_, [&] { return result.has_value(); });
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no progress")));
  release.Notify();
}

TEST_F(DirectHttpTest, CancelledAndDestroyedClientsEndTheirTransfers) {
  absl::Notification release;
  TestHttpServer server([&](const TestRequest& r) {
    if (r.target == "/slow") release.WaitForNotification();
    return EchoSize(r);
  }, 2);
  HttpRequest slow = Put(server.url() + "/slow", "data");
  slow.deadline = clock_.Now() + absl::Seconds(5);
  std::optional<absl::StatusOr<HttpResponse>> result;
  asio::co_spawn(io_, client_->Send(slow),
                 [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) { result = r; });
  RunIoUntil(io_, [&] { return server.request_count() == 1; });
  clock_.AdvanceTime(absl::Seconds(5));
  RunIoUntil(io_, [&] { return result.has_value(); });
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(Send(Put(server.url() + "/fast", "data")), IsOk());

  result.reset();
  asio::co_spawn(io_, client_->Send(Put(server.url() + "/slow", "data")),
                 [&](std::exception_ptr, absl::StatusOr<HttpResponse> r) { result = r; });
  RunIoUntil(io_, [&] { return server.request_count() == 3; });
  client_.reset();
  RunIoUntil(io_, [&] { return result.has_value(); });
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kCancelled));
  release.Notify();
}

TEST_F(DirectHttpTest, BadHeadersAreRefusedBeforeAnythingIsSent) {
  TestHttpServer server(EchoSize);
  HttpRequest put = Put(server.url() + "/k", "data");
  put.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  EXPECT_THAT(Send(put), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("X-Bad")));
  EXPECT_EQ(server.request_count(), 0u);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
