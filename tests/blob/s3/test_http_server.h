// A small HTTP/1.1 server for tests, on 127.0.0.1 and a free port, serving
// from its own thread: stands in for the ECS/EKS container endpoint and EC2
// instance metadata, and is the base of a fault-injecting proxy.
//
// Keeps connections alive, reads Content-Length and chunked request bodies,
// records every request, and can reset a connection instead of answering.
#ifndef COHORT_TESTS_BLOB_S3_TEST_HTTP_SERVER_H_
#define COHORT_TESTS_BLOB_S3_TEST_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blob/s3/sigv4.h"

namespace cohort::blob::s3::testing {

struct TestRequest {
  std::string method{};
  std::string target{};  // path and query as sent
  std::vector<HttpHeader> headers{};
  std::string body{};

  std::optional<std::string> Header(std::string_view name) const;
};

struct TestResponse {
  int status = 200;
  std::vector<HttpHeader> headers{};
  std::string body{};
  // Close the connection (with a TCP reset) instead of answering.
  bool reset_connection = false;
};

// Called on a server thread: one request at a time with one thread; with
// more, requests of different connections concurrently (the handler must
// then be thread-safe).
using TestHandler = std::function<TestResponse(const TestRequest&)>;

class TestHttpServer {
 public:
  // `threads` serve connections; a handler that blocks holds one of them.
  explicit TestHttpServer(TestHandler handler, int threads = 1);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>"
  std::string url() const;
  // "127.0.0.1:<port>"
  std::string host_port() const;

  // Every request received so far, in order (thread-safe).
  std::vector<TestRequest> requests() const;
  std::size_t request_count() const;
  // Connections accepted so far: shows whether clients reuse them.
  std::size_t connection_count() const;

  void set_handler(TestHandler handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_TEST_HTTP_SERVER_H_
