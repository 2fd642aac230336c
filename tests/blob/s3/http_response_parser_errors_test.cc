// The HTTP response parser refuses what could desync a reused connection
// (malformed status and header lines, conflicting or oversized lengths, bad
// chunk framing), bounds what it buffers by max_header_bytes, says where a
// connection closed too early, and sticks to its first error (a body sink's
// error included, unchanged), however the bytes are cut.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "blob/s3/http_response_parser.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_response_parser_test_util.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::blob::s3::testing::AllSplits;
using ::cohort::blob::s3::testing::Outcome;
using ::cohort::blob::s3::testing::Parse;
using ::cohort::blob::s3::testing::Split;
using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

// Fed in every split (then closed if `eof`), `input` fails with `message`;
// later Feed and FeedEof calls return the same error.
void ExpectError(std::string_view input, std::string_view message, bool eof = false,
                 HttpResponseParserOptions options = {}) {
  SCOPED_TRACE(input);
  for (const Split& split : AllSplits()) {
    SCOPED_TRACE(split.Name());
    const Outcome out = Parse(input, split, eof, options);
    EXPECT_THAT(out.status,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(std::string(message))));
    EXPECT_FALSE(out.parser->done());
    EXPECT_EQ(out.parser->Feed("HTTP/1.1 200 OK\r\n\r\n").status(), out.status);
    EXPECT_EQ(out.parser->FeedEof(), out.status);
  }
}

TEST(HttpResponseParserErrorsTest, MalformedStatusLines) {
  for (const char* line :
       {"HTTP/2.0 200 OK", "HTTP/1.2 200 OK", "http/1.1 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000",
        "HTTP/1.1 200OK", "HTTP/1.1  200 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1\t200 OK",
        " HTTP/1.1 200 OK", "HTTP/1.1 200 O\x01K", "", "ICY 200 OK"}) {
    ExpectError(absl::StrCat(line, "\r\nContent-Length: 0\r\n\r\n"), "malformed status line");
  }
  ExpectError("HTTP/1.1 099 Low\r\n\r\n", "status code out of range");
  ExpectError("HTTP/1.1 600 High\r\n\r\n", "status code out of range");
  ExpectError("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "101");
}

TEST(HttpResponseParserErrorsTest, MalformedHeaderLines) {
  const std::string start = "HTTP/1.1 200 OK\r\n";
  const std::string end = "Content-Length: 0\r\n\r\n";
  ExpectError(start + "X-A: 1\r\n continued\r\n" + end, "obsolete line folding");
  ExpectError(start + "\tX-A: 1\r\n" + end, "obsolete line folding");
  ExpectError(start + "X-A : 1\r\n" + end, "whitespace between header name and colon");
  ExpectError(start + ": 1\r\n" + end, "malformed header line");
  ExpectError(start + "X A: 1\r\n" + end, "whitespace between header name and colon");
  ExpectError(start + "X(A): 1\r\n" + end, "malformed header line");
  ExpectError(start + "NoColon\r\n" + end, "malformed header line");
  ExpectError(start + std::string("X-A: a\0b\r\n", 10) + end, "control character");
  ExpectError(start + "X-A: a\x7f\r\n" + end, "control character");
  ExpectError(start + "X-A: a\rb\r\n" + end, "CR not followed by LF");
  ExpectError(start + "X-A: ab\r\r\n" + end, "CR not followed by LF");
  ExpectError("HTTP/1.1 200 OK\r\r\n" + end, "CR not followed by LF");
}

TEST(HttpResponseParserErrorsTest, BadContentLength) {
  const std::string start = "HTTP/1.1 200 OK\r\n";
  for (const char* value : {"abc", "-1", "+5", "5 5", "0x10", "", "5,", ",5", "1.0"}) {
    ExpectError(absl::StrCat(start, "Content-Length: ", value, "\r\n\r\n"),
                "malformed Content-Length");
  }
  ExpectError(start + "Content-Length: 5, 6\r\n\r\n", "conflicting Content-Length values");
  ExpectError(start + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
              "conflicting Content-Length values");
  ExpectError(start + "Content-Length: 9223372036854775808\r\n\r\n", "exceeds 2^63-1");
  ExpectError(start + "Content-Length: 99999999999999999999999\r\n\r\n", "exceeds 2^63-1");
  // 2^63-1 itself is a length (cut short here).
  ExpectError(start + "Content-Length: 9223372036854775807\r\n\r\nab",
              "connection closed after 2 of 9223372036854775807 body bytes", true);
}

TEST(HttpResponseParserErrorsTest, BadChunkFraming) {
  const std::string start = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectError(start + "\r\n", "malformed chunk size");
  ExpectError(start + "g\r\n", "malformed chunk size");
  ExpectError(start + "0x5\r\nhello\r\n0\r\n\r\n", "malformed chunk size");
  ExpectError(start + "-1\r\n", "malformed chunk size");
  ExpectError(start + "5 \r\nhello\r\n", "malformed chunk size");
  ExpectError(start + "5 x\r\nhello\r\n", "malformed chunk size");
  ExpectError(start + "5;a\x01\r\nhello\r\n", "malformed chunk size");
  ExpectError(start + "1000000000000000\r\n", "more than 15 hex digits");
  ExpectError(start + "0000000000000001\r\n", "more than 15 hex digits");
  ExpectError(start + "5\r\nhelloX\r\n", "chunk data not followed by CRLF");
  ExpectError(start + "5\r\nhello\rX", "chunk data not followed by CRLF");
  ExpectError(start + "5\r\nhello0\r\n\r\n", "chunk data not followed by CRLF");
  ExpectError(start + "0\r\nnot-a-trailer\r\n\r\n", "malformed header line");
  // 15 digits are fine (the body is then cut short).
  ExpectError(start + "fffffffffffffff\r\nab",
              "connection closed inside a chunk, after 2 of its "
              "1152921504606846975 bytes",
              true);
}

TEST(HttpResponseParserErrorsTest, ConnectionClosedEarly) {
  ExpectError("", "connection closed before any response byte", true);
  ExpectError("H", "connection closed before the end of the headers", true);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", "before the end of the headers", true);
  ExpectError("HTTP/1.1 100 Continue\r\n\r\n", "before the end of the headers", true);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
              "connection closed after 0 of 1000 body bytes", true);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(100, 'x'),
              "connection closed after 100 of 1000 body bytes", true);
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectError(chunked, "connection closed inside a chunk-size line, after 0 body bytes", true);
  ExpectError(chunked + "3\r\nabc\r\n1", "inside a chunk-size line, after 3 body bytes", true);
  ExpectError(chunked + "3\r\nab", "connection closed inside a chunk, after 2 of its 3 bytes",
              true);
  ExpectError(chunked + "3\r\nabc", "connection closed before the CRLF after a chunk", true);
  ExpectError(chunked + "3\r\nabc\r", "connection closed before the CRLF after a chunk", true);
  ExpectError(chunked + "0\r\nT: v\r\n", "connection closed inside the chunked trailers", true);
}

// A head of exactly max_header_bytes parses; one byte less fails, in every
// split, at whatever byte the budget runs out.
TEST(HttpResponseParserErrorsTest, MaxHeaderBytes) {
  const std::string head = "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 2\r\n\r\n";
  HttpResponseParserOptions options;
  options.max_header_bytes = head.size();
  for (const Split& split : AllSplits()) {
    const Outcome out = Parse(head + "hi", split, false, options);
    ASSERT_THAT(out.status, IsOk()) << split.Name();
    EXPECT_EQ(out.body(), "hi");
  }
  options.max_header_bytes = head.size() - 1;
  ExpectError(head + "hi", "response head exceeds max_header_bytes (", false, options);
  // A partial line that cannot fit fails before its end arrives.
  ExpectError("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a'), "exceeds max_header_bytes", false,
              options);

  // Each interim response has a budget of its own.
  options.max_header_bytes = 30;
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  for (const Split& split : AllSplits()) {
    const Outcome out = Parse(interim + interim + "HTTP/1.1 204 No\r\n\r\n", split, false, options);
    ASSERT_THAT(out.status, IsOk()) << split.Name();
    EXPECT_TRUE(out.parser->done());
  }

  // Trailers count together with the head.
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string trailers = "A: b\r\n\r\n";
  options.max_header_bytes = chunked.size() + trailers.size();
  for (const Split& split : AllSplits()) {
    ASSERT_THAT(Parse(chunked + "1\r\nx\r\n0\r\n" + trailers, split, false, options).status,
                IsOk());
  }
  --options.max_header_bytes;
  ExpectError(chunked + "1\r\nx\r\n0\r\n" + trailers, "response head and chunked trailers exceed",
              false, options);

  // A chunk-size line has max_header_bytes to itself, extensions included
  // (the head leaves just enough for the empty trailer line).
  options.max_header_bytes = chunked.size() + 2;
  const std::string ext_line = "1;" + std::string(options.max_header_bytes - 4, 'e') + "\r\n";
  ASSERT_EQ(ext_line.size(), options.max_header_bytes);
  for (const Split& split : AllSplits()) {
    ASSERT_THAT(
        Parse(chunked + ext_line + "x\r\n" + ext_line + "y\r\n0\r\n\r\n", split, false, options)
            .status,
        IsOk());
  }
  ExpectError(chunked + "1;e" + ext_line.substr(2) + "x\r\n",
              "chunk-size line exceeds max_header_bytes", false, options);
}

TEST(HttpResponseParserErrorsTest, InvalidOptions) {
  HttpResponseParserOptions options;
  options.max_header_bytes = 0;
  ExpectError("HTTP/1.1 200 OK\r\n\r\n", "max_header_bytes must be >= 1, got 0", false, options);
  ExpectError("", "max_header_bytes must be >= 1, got 0", true, options);
}

// The sink's status comes back unchanged, and sticks.
TEST(HttpResponseParserErrorsTest, SinkErrorPropagatesAndSticks) {
  const absl::Status sink_error = absl::ResourceExhaustedError("disk full");
  for (const char* input : {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                            "chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
                            "HTTP/1.1 200 OK\r\n\r\n0123456789"}) {
    std::string body;
    HttpResponseParser parser({}, [&](std::string_view piece) {
      body.append(piece.data(), piece.size());
      return body.size() > 6 ? sink_error : absl::OkStatus();
    });
    absl::Status status;
    for (const char c : std::string_view(input)) {
      if (status = parser.Feed(std::string_view(&c, 1)).status(); !status.ok()) break;
    }
    EXPECT_EQ(status, sink_error);
    EXPECT_EQ(body, "0123456");
    EXPECT_EQ(parser.Feed("789").status(), sink_error);
    EXPECT_EQ(parser.FeedEof(), sink_error);
    EXPECT_FALSE(parser.done());
  }
}

// After an EOF error, more bytes change nothing either.
TEST(HttpResponseParserErrorsTest, EofErrorSticks) {
  HttpResponseParser parser({}, nullptr);
  EXPECT_THAT(parser.Feed("HTTP/1.1 200 OK\r\n"), ::cohort::testing::IsOkAndHolds(17u));
  const absl::Status eof = parser.FeedEof();
  EXPECT_THAT(eof, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("headers")));
  EXPECT_EQ(parser.Feed("Content-Length: 0\r\n\r\n").status(), eof);
  EXPECT_EQ(parser.FeedEof(), eof);
}

}  // namespace
}  // namespace cohort::blob::s3
