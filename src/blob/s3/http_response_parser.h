// An incremental HTTP/1.1 response parser for the HTTP client's own
// connections (requests whose bodies are written straight from the caller's
// memory, see http_client.h).
//
// Bytes are fed as they arrive from the socket, in pieces of any size. The
// parser finds the status line and headers, skips interim 1xx responses,
// frames the body as RFC 9112 section 6.3 says (no body for HEAD, 1xx, 204
// and 304; chunked when the final transfer coding is chunked; otherwise
// Content-Length; otherwise until the server closes) and hands the body's
// bytes to a sink as they are decoded. Every size is checked before it is
// used: the status line and headers (and chunk trailers) together may not
// exceed `max_header_bytes`, chunk sizes and Content-Length must fit in 63
// bits.
//
// Errors are statuses whose messages say what was wrong ("malformed status
// line", "conflicting Content-Length values", ...); the caller decides what
// they mean for retrying. A parser that returned an error stays failed.
//
// Thread-compatible: one parser per response, used by one thread.
#ifndef COHORT_SRC_BLOB_S3_HTTP_RESPONSE_PARSER_H_
#define COHORT_SRC_BLOB_S3_HTTP_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "blob/s3/sigv4.h"

namespace cohort::blob::s3 {

struct HttpResponseParserOptions {
  // The response to a HEAD request has no body whatever its headers say.
  // Default: false.
  bool head_request = false;
  // The status line, the header lines and the chunked trailer lines of one
  // response, counted together with their line ends. Larger: an error. Each
  // interim (1xx) response has a budget of its own, and so has each
  // chunk-size line (with its extensions). Also bounds what the parser
  // buffers. Must be >= 1 (0: every Feed / FeedEof returns
  // kInvalidArgument). Default: 64 KiB.
  std::size_t max_header_bytes = 64u << 10;
};

// Receives the decoded body in pieces, in order. Each piece points straight
// into the buffer given to Feed (valid only during the call) and is never
// empty. A non-OK status stops the parser and is returned unchanged by Feed
// and every later Feed / FeedEof. An empty callback discards the body.
using HttpBodyCallback = std::function<absl::Status(std::string_view piece)>;

class HttpResponseParser {
 public:
  HttpResponseParser(HttpResponseParserOptions options, HttpBodyCallback on_body);

  // Consumes bytes from the front of `data` and returns how many it used:
  // all of them until the response is complete, and then only those that
  // belonged to it (the rest would be the start of something the server
  // should not have sent; the caller does not reuse such a connection).
  // Errors: kInvalidArgument for a malformed or oversized response (the
  // message says what), or the status the body callback returned.
  absl::StatusOr<std::size_t> Feed(std::string_view data);

  // The server closed the connection. Completes a body delimited by the
  // close; kInvalidArgument ("connection closed after N of M body bytes",
  // "... before the end of the headers", ...) when the response was not
  // complete. OK and no effect once done().
  absl::Status FeedEof();

  // The final (non-1xx) response's status line and headers were parsed.
  bool headers_done() const { return headers_done_; }
  // The whole response, body included, was parsed.
  bool done() const { return done_; }
  // Valid once headers_done().
  int status() const { return status_; }
  // Valid once headers_done(): the final response's headers in order, names
  // as sent, values without surrounding whitespace.
  const std::vector<HttpHeader>& headers() const { return headers_; }
  // Valid once done(): whether the connection can carry another request
  // (HTTP/1.1 without "Connection: close", body not delimited by the close).
  bool keep_alive() const { return keep_alive_; }
  // Bytes fed so far that belonged to responses (interim ones included).
  std::uint64_t bytes_consumed() const { return bytes_consumed_; }

 private:
  // Where the next byte goes; see the .cc file.
  enum class State;

  // Consumes bytes from data[pos...] for the current state, advancing `pos`.
  absl::Status Step(std::string_view data, std::size_t& pos);
  // Line states: gathers one line (buffering a partial one) and hands it,
  // without its line end, to OnLine.
  absl::Status StepLine(std::string_view data, std::size_t& pos);
  absl::Status OnLine(std::string_view line);
  // The empty line after a response's head: skips an interim response or
  // chooses the final one's body framing.
  absl::Status EndOfHead();
  absl::Status Deliver(std::string_view piece);
  void Finish();
  absl::Status Fail(absl::Status status);

  HttpResponseParserOptions options_;
  HttpBodyCallback on_body_;
  State state_;
  // A line that began in an earlier Feed; at most max_header_bytes long.
  std::string line_buffer_;
  // Head (and trailer) bytes of the current response, line ends included.
  std::size_t header_bytes_ = 0;
  // Content-Length, or the size of the current chunk.
  std::uint64_t body_length_ = 0;
  // What is left of body_length_.
  std::uint64_t body_remaining_ = 0;
  // Body bytes delivered so far (all chunks).
  std::uint64_t body_received_ = 0;
  std::uint64_t bytes_consumed_ = 0;
  int status_ = 0;
  bool http11_ = false;
  std::vector<HttpHeader> headers_;
  bool headers_done_ = false;
  bool done_ = false;
  bool keep_alive_ = false;
  absl::Status failed_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_HTTP_RESPONSE_PARSER_H_
