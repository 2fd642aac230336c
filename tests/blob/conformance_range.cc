// Conformance: byte ranges and read preconditions.
#include <string>

#include "conformance.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

GetOptions Range(std::uint64_t offset, std::optional<std::uint64_t> length = std::nullopt) {
  GetOptions options;
  options.range = ByteRange{offset, length};
  return options;
}

TEST_P(BlobConformanceTest, RangesSelectBytes) {
  ASSERT_THAT(Put("r", "0123456789"), IsOk());
  EXPECT_THAT(Get("r", Range(0, 3)), IsOkAndHolds("012"));
  EXPECT_THAT(Get("r", Range(4, 2)), IsOkAndHolds("45"));
  EXPECT_THAT(Get("r", Range(9, 1)), IsOkAndHolds("9"));
  EXPECT_THAT(Get("r", Range(7)), IsOkAndHolds("789"));
  EXPECT_THAT(Get("r", Range(0)), IsOkAndHolds("0123456789"));
}

TEST_P(BlobConformanceTest, RangeReachingPastTheEndIsCut) {
  ASSERT_THAT(Put("r", "0123456789"), IsOk());
  EXPECT_THAT(Get("r", Range(8, 100)), IsOkAndHolds("89"));
  EXPECT_THAT(Get("r", Range(0, ~std::uint64_t{0})), IsOkAndHolds("0123456789"));
}

TEST_P(BlobConformanceTest, RangeStartingAtTheEndIsEmpty) {
  ASSERT_THAT(Put("r", "0123456789"), IsOk());
  EXPECT_THAT(Get("r", Range(10)), IsOkAndHolds(""));
  EXPECT_THAT(Get("r", Range(10, 5)), IsOkAndHolds(""));
  ASSERT_THAT(Put("e", ""), IsOk());
  EXPECT_THAT(Get("e", Range(0)), IsOkAndHolds(""));
}

TEST_P(BlobConformanceTest, RangeStartingPastTheEndIsInvalid) {
  ASSERT_THAT(Put("r", "0123456789"), IsOk());
  EXPECT_THAT(Get("r", Range(11)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("past the end")));
  EXPECT_THAT(driver_.Run(storage().OpenReader("r", Range(11))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(Put("e", ""), IsOk());
  EXPECT_THAT(Get("e", Range(1)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BlobConformanceTest, ZeroLengthRangeIsInvalid) {
  ASSERT_THAT(Put("r", "0123456789"), IsOk());
  EXPECT_THAT(Get("r", Range(2, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("length")));
}

TEST_P(BlobConformanceTest, ReaderHonoursRange) {
  const std::string data = PatternBytes(100'000, 3);
  ASSERT_THAT(Put("big", data), IsOk());
  auto reader = driver_.Run(storage().OpenReader("big", Range(12'345, 50'000)));
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ((*reader)->attributes().size, data.size());
  EXPECT_THAT(ReadAll(**reader, 4096), IsOkAndHolds(data.substr(12'345, 50'000)));
}

TEST_P(BlobConformanceTest, GetIfMatch) {
  auto put = Put("v", "version one");
  ASSERT_THAT(put, IsOk());
  GetOptions options;
  options.if_match = put->etag;
  EXPECT_THAT(Get("v", options), IsOkAndHolds("version one"));
  // HTTP's quoted form of the same ETag matches too.
  options.if_match = "\"" + put->etag + "\"";
  EXPECT_THAT(Get("v", options), IsOkAndHolds("version one"));
  ASSERT_THAT(Put("v", "version two"), IsOk());
  options.if_match = put->etag;
  EXPECT_THAT(Get("v", options), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(driver_.Run(storage().OpenReader("v", options)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Get("missing", options), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BlobConformanceTest, ReaderKeepsTheVersionItOpened) {
  const std::string v1 = PatternBytes(50'000, 1);
  ASSERT_THAT(Put("doc", v1), IsOk());
  auto reader = driver_.Run(storage().OpenReader("doc", {}));
  ASSERT_THAT(reader, IsOk());
  ASSERT_THAT(Put("doc", "replaced"), IsOk());
  EXPECT_THAT(ReadAll(**reader, 7'000), IsOkAndHolds(v1));
  ASSERT_THAT(Delete("doc"), IsOk());
  EXPECT_EQ((*reader)->attributes().size, v1.size());
}

TEST_P(BlobConformanceTest, ReaderProgressCountsTheRange) {
  ASSERT_THAT(Put("p", PatternBytes(10'000, 2)), IsOk());
  std::uint64_t last_done = 0, last_total = 0;
  GetOptions options = Range(1'000, 5'000);
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  auto reader = driver_.Run(storage().OpenReader("p", options));
  ASSERT_THAT(reader, IsOk());
  ASSERT_THAT(ReadAll(**reader, 1'500), IsOk());
  EXPECT_EQ(last_done, 5'000u);
  EXPECT_EQ(last_total, 5'000u);
}

}  // namespace
}  // namespace cohort::blob::testing
