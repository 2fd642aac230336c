// The HTTP response parser frames bodies as RFC 9112 6.3 says, whatever the
// pieces the bytes arrive in: Content-Length, chunked (extensions, trailers),
// until close, no body (HEAD, 1xx, 204, 304), interim responses, pipelined
// bytes left alone, keep-alive only where the connection can be reused.
// Errors and limits: http_response_parser_errors_test.cc.
#include "blob/s3/http_response_parser.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_response_parser_test_util.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::blob::s3::testing::AllSplits;
using ::cohort::blob::s3::testing::NewParser;
using ::cohort::blob::s3::testing::Outcome;
using ::cohort::blob::s3::testing::Parse;
using ::cohort::blob::s3::testing::Sink;
using ::cohort::blob::s3::testing::Split;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;

// Headers as "name=value" strings, for compact expectations.
std::vector<std::string> Flat(const std::vector<HttpHeader>& headers) {
  std::vector<std::string> out;
  for (const HttpHeader& h : headers) out.push_back(absl::StrCat(h.name, "=", h.value));
  return out;
}

struct Expected {
  int status = 200;
  std::string body;
  bool keep_alive = true;
  bool eof = false;  // the response ends with the connection
};

// `input` is one complete response; fed in every split it gives `expected`.
void ExpectParses(std::string_view input, const Expected& expected,
                  HttpResponseParserOptions options = {}) {
  for (const Split& split : AllSplits()) {
    SCOPED_TRACE(split.Name());
    const Outcome out = Parse(input, split, expected.eof, options);
    ASSERT_THAT(out.status, IsOk());
    EXPECT_TRUE(out.parser->headers_done());
    EXPECT_TRUE(out.parser->done());
    EXPECT_EQ(out.parser->status(), expected.status);
    EXPECT_EQ(out.body(), expected.body);
    EXPECT_EQ(out.parser->keep_alive(), expected.keep_alive);
    EXPECT_EQ(out.consumed, input.size());
  }
}

TEST(HttpResponseParserTest, ContentLength) {
  ExpectParses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", {200, "hello"});
  ExpectParses("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", {200, ""});
  // Equal values, in one list or on several lines.
  ExpectParses("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length:003\r\n\r\nabc",
               {200, "abc"});
}

TEST(HttpResponseParserTest, HeadersKeepNamesAndTrimValues) {
  const std::string input =
      "HTTP/1.1 201 Created\r\nETag: \t\"abc\" \r\nx-amz-Id:\r\nX-Empty:   \r\n"
      "Content-Length: 0\r\n\r\n";
  for (const Split& split : AllSplits()) {
    SCOPED_TRACE(split.Name());
    const Outcome out = Parse(input, split);
    ASSERT_THAT(out.status, IsOk());
    EXPECT_THAT(
        Flat(out.parser->headers()),
        ::testing::ElementsAre("ETag=\"abc\"", "x-amz-Id=", "X-Empty=", "Content-Length=0"));
  }
}

TEST(HttpResponseParserTest, BareLfLineEnds) {
  ExpectParses("HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", {200, "hi"});
  ExpectParses("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nhi\n0\n\n", {200, "hi"});
  ExpectParses("HTTP/1.1 200\r\nContent-Length: 2\n\r\nhi", {200, "hi"});
}

TEST(HttpResponseParserTest, StatusLineWithoutOrWithEmptyReason) {
  ExpectParses("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", {404, ""});
  ExpectParses("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", {404, ""});
  ExpectParses("HTTP/1.1 599 Odd \t reason\x80\r\nContent-Length: 0\r\n\r\n", {599, ""});
}

TEST(HttpResponseParserTest, ChunkedWithExtensionsAndTrailers) {
  ExpectParses(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1 ; a=\"b;c\"\r\n \r\nA\r\n0123456789\r\n"
      "0;last\r\nx-amz-checksum-crc32c: AAAAAA==\r\nOther: t\r\n\r\n",
      {200, "hello 0123456789"});
  // Upper-case hex, leading zeros, no trailers.
  ExpectParses(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00B\r\nhello world\r\n0\r\n\r\n",
      {200, "hello world"});
}

TEST(HttpResponseParserTest, ChunkedSplitAtEveryPosition) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n";
  for (std::size_t at = 0; at <= input.size(); ++at) {
    SCOPED_TRACE(at);
    auto sink = std::make_shared<Sink>();
    auto parser = NewParser(sink);
    sink->fed = std::string_view(input).substr(0, at);
    EXPECT_THAT(parser->Feed(sink->fed), IsOkAndHolds(at));
    sink->fed = std::string_view(input).substr(at);
    EXPECT_THAT(parser->Feed(sink->fed), IsOkAndHolds(input.size() - at));
    EXPECT_TRUE(parser->done());
    EXPECT_TRUE(parser->keep_alive());
    EXPECT_EQ(sink->body, "abcde");
  }
}

TEST(HttpResponseParserTest, TransferEncodingFraming) {
  // The last coding decides, case-insensitively, over several header lines.
  ExpectParses(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n\r\n"
      "1\r\nz\r\n0\r\n\r\n",
      {200, "z"});
  ExpectParses("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip ,, chunked ,\r\n\r\n1\r\nz\r\n0\r\n\r\n",
               {200, "z"});
  // Not chunked last: the body runs until the close.
  ExpectParses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n1\r\nz\r\n0\r\n\r\n",
               {200, "1\r\nz\r\n0\r\n\r\n", false, true});
  // With Content-Length: chunked wins, the connection is not reused.
  ExpectParses(
      "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nz\r\n0\r\n\r\n",
      {200, "z", false});
}

TEST(HttpResponseParserTest, UntilClose) {
  const std::string input = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of this, \r\n\r\n until EOF";
  ExpectParses(input, {200, "all of this, \r\n\r\n until EOF", false, true});
  ExpectParses("HTTP/1.0 200 OK\r\n\r\n", {200, "", false, true});
  // Not done until the close.
  const Outcome out = Parse(input, Split{});
  ASSERT_THAT(out.status, IsOk());
  EXPECT_TRUE(out.parser->headers_done());
  EXPECT_FALSE(out.parser->done());
  EXPECT_THAT(out.parser->FeedEof(), IsOk());
  EXPECT_TRUE(out.parser->done());
  EXPECT_THAT(out.parser->FeedEof(), IsOk());
}

TEST(HttpResponseParserTest, InterimResponsesAreSkipped) {
  const std::string input =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ExpectParses(input, {200, "ok"});
  const Outcome out = Parse(input, Split{});
  EXPECT_THAT(Flat(out.parser->headers()), ::testing::ElementsAre("Content-Length=2"));
  // Only the interim response so far: the final headers are still to come.
  const Outcome interim = Parse("HTTP/1.1 100 Continue\r\n\r\n", Split{Split::kBytes});
  ASSERT_THAT(interim.status, IsOk());
  EXPECT_FALSE(interim.parser->headers_done());
}

TEST(HttpResponseParserTest, NoBodyResponses) {
  HttpResponseParserOptions head;
  head.head_request = true;
  ExpectParses("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", {200, ""}, head);
  ExpectParses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", {200, ""}, head);
  ExpectParses("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", {204, ""});
  ExpectParses("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\nETag: \"x\"\r\n\r\n", {304, ""});
  ExpectParses("HTTP/1.1 204 No Content\r\n\r\n", {204, ""});
}

TEST(HttpResponseParserTest, PipelinedBytesAreLeftAlone) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  HttpResponseParserOptions head;
  head.head_request = true;
  for (const auto& [first, options] :
       std::vector<std::pair<std::string, HttpResponseParserOptions>>{
           {response, {}}, {chunked, {}}, {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", head}}) {
    const std::string input = first + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (const Split& split : AllSplits()) {
      SCOPED_TRACE(split.Name());
      const Outcome out = Parse(input, split, false, options);
      ASSERT_THAT(out.status, IsOk());
      EXPECT_TRUE(out.parser->done());
      EXPECT_EQ(out.consumed, first.size());
      EXPECT_EQ(out.body(), options.head_request ? "" : "abc");
    }
  }
  auto sink = std::make_shared<Sink>();
  auto parser = NewParser(sink);
  const std::string input = response + "extra";
  sink->fed = input;
  EXPECT_THAT(parser->Feed(input), IsOkAndHolds(response.size()));
  EXPECT_THAT(parser->Feed("more"), IsOkAndHolds(0u));
  EXPECT_THAT(parser->FeedEof(), IsOk());
  EXPECT_EQ(parser->bytes_consumed(), response.size());
}

TEST(HttpResponseParserTest, KeepAlive) {
  const std::string tail = "Content-Length: 0\r\n\r\n";
  ExpectParses("HTTP/1.1 200 OK\r\n" + tail, {200, "", true});
  ExpectParses("HTTP/1.0 200 OK\r\n" + tail, {200, "", false});
  ExpectParses("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n" + tail, {200, "", false});
  ExpectParses("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n" + tail, {200, "", true});
  ExpectParses("HTTP/1.1 200 OK\r\nConnection: close\r\n" + tail, {200, "", false});
  ExpectParses("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\n" + tail, {200, "", false});
  ExpectParses("HTTP/1.1 200 OK\r\nConnection: te\r\nconnection: ,close,\r\n" + tail,
               {200, "", false});
  // "closed" is another token.
  ExpectParses("HTTP/1.1 200 OK\r\nConnection: closed, x-close\r\n" + tail, {200, "", true});
  // Interim responses' headers do not count.
  ExpectParses("HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\n" + tail,
               {200, "", true});
  HttpResponseParserOptions head;
  head.head_request = true;
  ExpectParses("HTTP/1.1 200 OK\r\n\r\n", {200, "", true}, head);
}

TEST(HttpResponseParserTest, S3ErrorResponse) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchUpload</Code>"
      "<Message>The specified upload does not exist.</Message>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
  const std::string input = absl::StrCat(
      "HTTP/1.1 404 Not Found\r\nx-amz-request-id: 4442587FB7D0A2F9\r\n"
      "Content-Type: application/xml\r\nContent-Length: ",
      xml.size(), "\r\nDate: Fri, 27 Nov 2026 12:00:00 GMT\r\nServer: AmazonS3\r\n\r\n", xml);
  ExpectParses(input, {404, xml});
}

TEST(HttpResponseParserTest, UploadPartResponse) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nx-amz-id-2: Vvag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==\r\n"
      "x-amz-request-id: 656c76696e6727732072657175657374\r\nDate: Fri, 27 Nov 2026 12:00:00 "
      "GMT\r\n"
      "ETag: \"b54357faf0632cce46e942fa68356b38\"\r\nContent-Length: 0\r\nServer: AmazonS3\r\n\r\n";
  ExpectParses(input, {200, ""});
  const Outcome out = Parse(input, Split{});
  const auto& headers = out.parser->headers();
  ASSERT_EQ(headers.size(), 6u);
  EXPECT_EQ(headers[3].name, "ETag");
  EXPECT_EQ(headers[3].value, "\"b54357faf0632cce46e942fa68356b38\"");
}

// MiBs fed in 64 KiB pieces reach the sink straight from the fed buffers,
// one callback per piece (NewParser's sink checks the pointers).
TEST(HttpResponseParserTest, LargeBodiesAreNotCopied) {
  constexpr std::size_t kBody = 4u << 20;
  constexpr std::size_t kPiece = 64u << 10;
  Random random(7);
  std::string body(kBody, '\0');
  for (char& c : body) c = static_cast<char>(random.Next64());
  const std::string head = absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", kBody, "\r\n\r\n");
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < kBody; at += 1u << 20) {
    chunked += absl::StrCat(absl::Hex(1u << 20), "\r\n", body.substr(at, 1u << 20), "\r\n");
  }
  chunked += "0\r\n\r\n";
  for (const std::string& input : {head + body, chunked}) {
    auto sink = std::make_shared<Sink>();
    auto parser = NewParser(sink);
    for (std::size_t at = 0; at < input.size(); at += kPiece) {
      sink->fed = std::string_view(input).substr(at, kPiece);
      ASSERT_THAT(parser->Feed(sink->fed), IsOkAndHolds(sink->fed.size()));
    }
    EXPECT_TRUE(parser->done());
    EXPECT_TRUE(sink->body == body);
    EXPECT_LE(sink->calls, static_cast<int>(input.size() / kPiece + 8));
  }
}

}  // namespace
}  // namespace cohort::blob::s3
