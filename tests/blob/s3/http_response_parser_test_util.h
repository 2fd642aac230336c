// Feeding helpers for the HTTP response parser tests: every input is fed
// whole, byte by byte and in seeded random pieces, and must parse the same
// way each time (a socket may cut a response anywhere).
#ifndef COHORT_TESTS_BLOB_S3_HTTP_RESPONSE_PARSER_TEST_UTIL_H_
#define COHORT_TESTS_BLOB_S3_HTTP_RESPONSE_PARSER_TEST_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/http_response_parser.h"
#include "cohort/base/random.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3::testing {

// How an input is cut into Feed calls.
struct Split {
  enum Kind { kWhole, kBytes, kRandom };
  Kind kind = kWhole;
  std::uint64_t seed = 0;  // kRandom only

  std::string Name() const {
    if (kind == kWhole) return "whole";
    if (kind == kBytes) return "byte by byte";
    return absl::StrCat("random pieces, seed ", seed);
  }
};

inline std::vector<Split> AllSplits() {
  std::vector<Split> splits = {{Split::kWhole}, {Split::kBytes}};
  for (std::uint64_t seed = 1; seed <= 6; ++seed) splits.push_back({Split::kRandom, seed});
  return splits;
}

// What the body callback saw; shared with the parser so that a test may go on
// feeding it.
struct Sink {
  std::string body;
  std::string_view fed;  // the current Feed argument
  int calls = 0;
};

struct Outcome {
  absl::Status status;       // the first error of Feed or FeedEof, else OK
  std::size_t consumed = 0;  // the sum of Feed's results
  std::shared_ptr<Sink> sink;
  std::unique_ptr<HttpResponseParser> parser;

  const std::string& body() const { return sink->body; }
};

// A parser whose callback appends to `sink`, checking that every piece is
// non-empty and lies inside the buffer being fed (never a copy).
inline std::unique_ptr<HttpResponseParser> NewParser(const std::shared_ptr<Sink>& sink,
                                                     HttpResponseParserOptions options = {}) {
  return std::make_unique<HttpResponseParser>(options, [sink](std::string_view piece) {
    EXPECT_FALSE(piece.empty());
    EXPECT_GE(piece.data(), sink->fed.data());
    EXPECT_LE(piece.data() + piece.size(), sink->fed.data() + sink->fed.size());
    sink->body.append(piece.data(), piece.size());
    ++sink->calls;
    return absl::OkStatus();
  });
}

// Feeds all of `input` (Feed keeps being called after done() and must then
// return 0), then FeedEof if `eof`. Stops at the first error.
inline Outcome Parse(std::string_view input, Split split, bool eof = false,
                     HttpResponseParserOptions options = {}) {
  Outcome out;
  out.sink = std::make_shared<Sink>();
  out.parser = NewParser(out.sink, options);
  Random random(split.seed);
  std::size_t offset = 0;
  while (offset < input.size()) {
    std::size_t n = input.size() - offset;
    if (split.kind == Split::kBytes) n = 1;
    if (split.kind == Split::kRandom) n = std::min<std::size_t>(n, 1 + random.Uniform(24));
    const bool was_done = out.parser->done();
    out.sink->fed = input.substr(offset, n);
    const absl::StatusOr<std::size_t> used = out.parser->Feed(out.sink->fed);
    if (!used.ok()) {
      out.status = used.status();
      return out;
    }
    EXPECT_LE(*used, n);
    if (was_done) {
      EXPECT_EQ(*used, 0u);
    }
    if (*used < n) {
      EXPECT_TRUE(out.parser->done());
    }
    out.consumed += *used;
    offset += n;
  }
  EXPECT_EQ(out.parser->bytes_consumed(), out.consumed);
  if (eof) out.status = out.parser->FeedEof();
  return out;
}

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_HTTP_RESPONSE_PARSER_TEST_UTIL_H_
