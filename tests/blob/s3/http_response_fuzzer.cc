// Fuzz target for the HTTP response parser. Input: a byte choosing the piece
// sizes, a byte choosing the options, then the bytes a server sent. The
// response is parsed fed whole and fed in pieces, then closed; both must
// agree exactly (a socket may cut anywhere), and:
//   - Feed never consumes more than it is given, nothing once done();
//   - an error sticks: later Feed / FeedEof calls return it unchanged;
//   - body pieces are non-empty and lie inside the fed buffer;
//   - a done response framed by Content-Length delivered exactly that many
//     body bytes;
//   - no crash, undefined behaviour or unbounded allocation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "blob/s3/http_response_parser.h"
#include "support/fuzz_target.h"

namespace {

using cohort::blob::s3::HttpHeader;
using cohort::blob::s3::HttpResponseParser;
using cohort::blob::s3::HttpResponseParserOptions;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Run {
  absl::Status status;
  std::uint64_t consumed = 0;
  std::string body;
  bool headers_done = false;
  bool done = false;
  bool keep_alive = false;
  int status_code = 0;
  std::vector<HttpHeader> headers;
};

// Feeds `response` in pieces of sizes derived from `selector` and the bytes
// themselves (0xff: whole), then closes.
Run Parse(std::string_view response, std::uint8_t selector,
          const HttpResponseParserOptions& options) {
  Run run;
  std::string_view fed;
  HttpResponseParser parser(options, [&](std::string_view piece) {
    Check(!piece.empty());
    Check(piece.data() >= fed.data() && piece.data() + piece.size() <= fed.data() + fed.size());
    run.body.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  const std::size_t max_piece = 1 + selector % 37;
  std::size_t offset = 0;
  while (offset < response.size() && run.status.ok()) {
    std::size_t n = response.size() - offset;
    if (selector != 0xff) {
      const auto mix = static_cast<std::uint8_t>(response[offset]) ^ selector;
      n = std::min(n, 1 + mix % max_piece);
    }
    fed = response.substr(offset, n);
    const bool was_done = parser.done();
    const absl::StatusOr<std::size_t> used = parser.Feed(fed);
    if (!used.ok()) {
      run.status = used.status();
      Check(!run.status.ok());
      break;
    }
    Check(*used <= n);
    Check(!was_done || *used == 0);
    Check(*used == n || parser.done());
    run.consumed += *used;
    offset += n;
  }
  if (run.status.ok()) {
    Check(parser.bytes_consumed() == run.consumed);
    run.status = parser.FeedEof();
  }
  if (!run.status.ok()) {
    Check(parser.Feed(response).status() == run.status);
    Check(parser.FeedEof() == run.status);
    Check(!parser.done());
    return run;
  }
  Check(parser.done());
  Check(parser.FeedEof().ok());
  Check(parser.Feed(response).value() == 0);
  run.headers_done = parser.headers_done();
  run.done = parser.done();
  run.keep_alive = parser.keep_alive();
  run.status_code = parser.status();
  run.headers = parser.headers();
  return run;
}

// When the response is framed by a (valid, since done) Content-Length, its
// value; -1 otherwise.
std::int64_t ContentLengthFraming(const Run& run, const HttpResponseParserOptions& options) {
  if (options.head_request || run.status_code == 204 || run.status_code == 304) return -1;
  std::int64_t length = -1;
  for (const HttpHeader& header : run.headers) {
    if (absl::EqualsIgnoreCase(header.name, "transfer-encoding")) return -1;
    if (absl::EqualsIgnoreCase(header.name, "content-length") && length < 0) {
      length = std::strtoll(header.value.c_str(), nullptr, 10);
    }
  }
  return length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t selector = data[0];
  HttpResponseParserOptions options;
  options.head_request = (data[1] & 1) != 0;
  // Small budgets reach the limits; 0 means the default.
  if (data[1] >> 1 != 0) options.max_header_bytes = (data[1] >> 1) * 8u;
  const std::string_view response(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Run whole = Parse(response, 0xff, options);
  const Run pieces = Parse(response, selector, options);
  Check(whole.status == pieces.status);
  if (!whole.status.ok()) return 0;
  Check(whole.consumed == pieces.consumed && whole.consumed <= response.size());
  Check(whole.body == pieces.body && whole.body.size() <= whole.consumed);
  Check(whole.done && pieces.done && whole.headers_done && pieces.headers_done);
  Check(whole.keep_alive == pieces.keep_alive && whole.status_code == pieces.status_code);
  Check(whole.headers.size() == pieces.headers.size());
  for (std::size_t i = 0; i < whole.headers.size(); ++i) {
    Check(whole.headers[i].name == pieces.headers[i].name &&
          whole.headers[i].value == pieces.headers[i].value);
  }
  if (const std::int64_t length = ContentLengthFraming(whole, options); length >= 0) {
    Check(whole.body.size() == static_cast<std::uint64_t>(length));
  }
  return 0;
}
