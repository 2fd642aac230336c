#include "blob/s3/metadata_client.h"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/deadline.h"
#include "cohort/base/status.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {
namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status NetworkError(std::string_view what, const asio::error_code& ec) {
  return absl::UnavailableError(absl::StrCat(AV(what), ": ", ec.message()));
}

absl::StatusOr<std::string> DecodeChunked(std::string_view body) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string_view::npos) {
      return absl::InvalidArgumentError("truncated chunk size line");
    }
    std::string_view size_text = body.substr(pos, line_end - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    std::uint64_t size = 0;
    if (size_text.empty() || !absl::SimpleHexAtoi(AV(size_text), &size)) {
      return absl::InvalidArgumentError("bad chunk size");
    }
    pos = line_end + 2;
    if (size == 0) return out;
    if (size > body.size() - pos) return absl::InvalidArgumentError("truncated chunk");
    out.append(body.substr(pos, size));
    pos += size;
    if (body.substr(pos, 2) != "\r\n") return absl::InvalidArgumentError("chunk not terminated");
    pos += 2;
  }
}

Awaitable<absl::StatusOr<HttpResponse>> Exchange(ParsedHttpUrl url, std::string request) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kAsTuple);
  if (resolve_ec) co_return MarkNotSent(NetworkError("resolving " + url.host, resolve_ec));
  asio::ip::tcp::socket socket(executor);
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAsTuple);
  (void)endpoint;
  if (connect_ec) {
    co_return MarkNotSent(NetworkError(absl::StrCat("connecting to ", url.host, ":", url.port),
                                       connect_ec));
  }
  auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(request), kAsTuple);
  (void)written;
  if (write_ec) co_return NetworkError("sending the request", write_ec);
  std::string raw;
  char buffer[4096];
  while (true) {
    auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kAsTuple);
    raw.append(buffer, n);
    if (raw.size() > kMaxResponseBytes) {
      co_return absl::UnavailableError(
          absl::StrCat("response larger than ", kMaxResponseBytes, " bytes"));
    }
    if (read_ec == asio::error::eof) break;
    if (read_ec) co_return NetworkError("reading the response", read_ec);
  }
  absl::StatusOr<HttpResponse> response = ParseHttpResponse(raw);
  if (!response.ok()) {
    co_return absl::UnavailableError(
        absl::StrCat("malformed HTTP response: ", response.status().message()));
  }
  co_return response;
}

}  // namespace

absl::StatusOr<ParsedHttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!absl::StartsWithIgnoreCase(AV(url), AV(kScheme))) {
    return absl::InvalidArgumentError(
        absl::StrCat("only http:// URLs are supported here, got \"", AV(url), "\""));
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ParsedHttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  out.port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad IPv6 host in \"", AV(url), "\""));
    }
    out.host = std::string(authority.substr(1, close - 1));
    if (authority.size() > close + 1 && authority[close + 1] == ':') {
      out.port = std::string(authority.substr(close + 2));
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no host or port in \"", AV(url), "\""));
  }
  return out;
}

absl::StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw) {
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return absl::InvalidArgumentError("no end of headers");
  }
  std::string_view head = raw.substr(0, head_end);
  std::string_view body = raw.substr(head_end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!absl::StartsWith(AV(status_line), "HTTP/1.") || status_line.size() < 12 ||
      status_line[8] != ' ') {
    return absl::InvalidArgumentError("bad status line");
  }
  HttpResponse response;
  if (!absl::SimpleAtoi(AV(status_line.substr(9, 3)), &response.status) ||
      response.status < 100 || response.status > 999) {
    return absl::InvalidArgumentError("bad status code");
  }
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view line = head.substr(start, line_end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError("bad header line");
    }
    response.headers.push_back(
        {std::string(line.substr(0, colon)),
         std::string(absl::StripAsciiWhitespace(AV(line.substr(colon + 1))))});
  }
  std::optional<std::string> encoding = response.Header("Transfer-Encoding");
  if (encoding && absl::EqualsIgnoreCase(*encoding, "chunked")) {
    COHORT_ASSIGN_OR_RETURN(response.body, DecodeChunked(body));
    return response;
  }
  if (std::optional<std::string> length = response.Header("Content-Length")) {
    std::uint64_t n = 0;
    if (!absl::SimpleAtoi(*length, &n)) return absl::InvalidArgumentError("bad Content-Length");
    if (n > body.size()) return absl::InvalidArgumentError("truncated body");
    body = body.substr(0, n);
  }
  response.body = std::string(body);
  return response;
}

Awaitable<absl::StatusOr<HttpResponse>> MetadataRequest(Clock& clock, std::string method,
                                                        std::string url,
                                                        std::vector<HttpHeader> headers,
                                                        absl::Time deadline) {
  COHORT_CO_ASSIGN_OR_RETURN(ParsedHttpUrl parsed, ParseHttpUrl(url));
  std::string host_header =
      parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host;
  if (parsed.port != "80") absl::StrAppend(&host_header, ":", parsed.port);
  std::string request = absl::StrCat(method, " ", parsed.target, " HTTP/1.1\r\nHost: ",
                                     host_header, "\r\nConnection: close\r\n");
  for (const HttpHeader& h : headers) absl::StrAppend(&request, h.name, ": ", h.value, "\r\n");
  if (method == "PUT" || method == "POST") absl::StrAppend(&request, "Content-Length: 0\r\n");
  request += "\r\n";
  const std::string what = absl::StrCat(method, " ", url);
  // Bound to a name first: GCC 12 mishandles temporaries in co_await.
  Awaitable<absl::StatusOr<HttpResponse>> exchange =
      Exchange(std::move(parsed), std::move(request));
  co_return co_await WithDeadline(clock, deadline, std::move(exchange), what);
}

}  // namespace cohort::blob::s3
