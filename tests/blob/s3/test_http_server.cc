#include "test_http_server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/async.h"

namespace cohort::blob::s3::testing {
namespace {

constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
using asio::ip::tcp;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 412: return "Precondition Failed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

std::optional<std::string> TestRequest::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, absl::string_view(name.data(), name.size()))) {
      return h.value;
    }
  }
  return std::nullopt;
}

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  mutable absl::Mutex mu;
  TestHandler handler ABSL_GUARDED_BY(mu);
  std::vector<TestRequest> requests ABSL_GUARDED_BY(mu);
  std::size_t connections ABSL_GUARDED_BY(mu) = 0;

  // Reads until `buffer` holds `needed` bytes; false on EOF or error.
  static Awaitable<bool> Fill(tcp::socket& socket, std::string& buffer, std::size_t needed) {
    char chunk[16384];
    while (buffer.size() < needed) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kAsTuple);
      if (ec) co_return false;
      buffer.append(chunk, n);
    }
    co_return true;
  }

  // Reads until `buffer` contains `delimiter`; its position, or npos.
  static Awaitable<std::size_t> FillUntil(tcp::socket& socket, std::string& buffer,
                                          std::string_view delimiter, std::size_t from) {
    char chunk[16384];
    while (true) {
      std::size_t at = buffer.find(delimiter, from);
      if (at != std::string::npos) co_return at;
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kAsTuple);
      if (ec) co_return std::string::npos;
      buffer.append(chunk, n);
    }
  }

  Awaitable<void> Serve(tcp::socket socket) {
    std::string buffer;
    while (true) {
      const std::size_t head_end = co_await FillUntil(socket, buffer, "\r\n\r\n", 0);
      if (head_end == std::string::npos) co_return;
      TestRequest request;
      std::string_view head(buffer.data(), head_end);
      std::size_t line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      const std::size_t sp1 = line.find(' ');
      const std::size_t sp2 = line.rfind(' ');
      request.method = std::string(line.substr(0, sp1));
      request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
      while (line_end != std::string_view::npos) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        std::string_view h = head.substr(
            start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
        const std::size_t colon = h.find(':');
        std::string_view value = h.substr(colon + 1);
        const absl::string_view trimmed =
            absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()));
        request.headers.push_back({std::string(h.substr(0, colon)), std::string(trimmed)});
      }
      buffer.erase(0, head_end + 4);
      if (auto length = request.Header("Content-Length")) {
        std::size_t n = 0;
        if (!absl::SimpleAtoi(*length, &n)) co_return;
        if (!co_await Fill(socket, buffer, n)) co_return;
        request.body = buffer.substr(0, n);
        buffer.erase(0, n);
      } else if (auto te = request.Header("Transfer-Encoding");
                 te && absl::EqualsIgnoreCase(*te, "chunked")) {
        while (true) {
          const std::size_t size_end = co_await FillUntil(socket, buffer, "\r\n", 0);
          if (size_end == std::string::npos) co_return;
          std::size_t size = 0;
          if (!absl::SimpleHexAtoi(buffer.substr(0, buffer.find_first_of(";\r")), &size)) {
            co_return;
          }
          buffer.erase(0, size_end + 2);
          if (!co_await Fill(socket, buffer, size + 2)) co_return;
          request.body.append(buffer, 0, size);
          buffer.erase(0, size + 2);
          if (size == 0) break;
        }
      }
      TestHandler current;
      {
        absl::MutexLock lock(&mu);
        requests.push_back(request);
        current = handler;
      }
      TestResponse response = current(request);
      if (response.reset_connection) {
        socket.set_option(asio::socket_base::linger(true, 0));
        asio::error_code ignored;
        socket.close(ignored);
        co_return;
      }
      std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                                     "\r\n");
      bool has_length = false;
      for (const HttpHeader& h : response.headers) {
        absl::StrAppend(&out, h.name, ": ", h.value, "\r\n");
        has_length = has_length || absl::EqualsIgnoreCase(h.name, "Content-Length");
      }
      if (!has_length) absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
      absl::StrAppend(&out, "\r\n");
      if (request.method != "HEAD") out += response.body;
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kAsTuple);
      (void)n;
      if (ec) co_return;
      if (auto connection = request.Header("Connection");
          connection && absl::EqualsIgnoreCase(*connection, "close")) {
        asio::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  Awaitable<void> Accept() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
      if (ec) co_return;
      {
        absl::MutexLock lock(&mu);
        ++connections;
      }
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }
};

TestHttpServer::TestHttpServer(TestHandler handler, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

TestHttpServer::~TestHttpServer() {
  impl_->io.stop();
  for (std::thread& t : impl_->threads) t.join();
}

std::uint16_t TestHttpServer::port() const { return impl_->port; }

std::string TestHttpServer::url() const { return absl::StrCat("http://", host_port()); }

std::string TestHttpServer::host_port() const { return absl::StrCat("127.0.0.1:", port()); }

std::vector<TestRequest> TestHttpServer::requests() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests;
}

std::size_t TestHttpServer::request_count() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests.size();
}

std::size_t TestHttpServer::connection_count() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->connections;
}

void TestHttpServer::set_handler(TestHandler handler) {
  absl::MutexLock lock(&impl_->mu);
  impl_->handler = std::move(handler);
}

}  // namespace cohort::blob::s3::testing
