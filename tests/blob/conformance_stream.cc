// Conformance: streaming writers and readers.
#include <span>
#include <string>

#include "conformance.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::IsEmpty;

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST_P(BlobConformanceTest, StreamsAMultiMebibyteObjectBothWays) {
  const std::string data = PatternBytes(5 * 1024 * 1024 + 333, 11);
  PutOptions options;
  options.content_type = "application/x-tar";
  options.metadata = {{"parts", "irregular"}};
  std::uint64_t acknowledged = 0;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GE(done, acknowledged);
    EXPECT_EQ(total, 0u);
    acknowledged = done;
  };
  auto writer = driver_.Run(storage().OpenWriter("stream/big.tar", options));
  ASSERT_THAT(writer, IsOk());
  // Irregular chunk sizes: tiny, odd, and larger than any internal buffer.
  std::size_t offset = 0, step = 1;
  while (offset < data.size()) {
    const std::size_t n = std::min(step, data.size() - offset);
    ASSERT_THAT(driver_.Run((*writer)->Write(Bytes(std::string_view(data).substr(offset, n)))),
                IsOk());
    offset += n;
    step = step * 7 + 13;
    if (step > 3 * 1024 * 1024) step = 17;
  }
  // Nothing is visible before Commit.
  EXPECT_THAT(Stat("stream/big.tar"), StatusIs(absl::StatusCode::kNotFound));
  auto committed = driver_.Run((*writer)->Commit());
  ASSERT_THAT(committed, IsOk());
  EXPECT_EQ(acknowledged, data.size());
  EXPECT_EQ(committed->size, data.size());
  EXPECT_EQ(committed->content_type, "application/x-tar");
  auto expected = Put("stream/reference", data);
  ASSERT_THAT(expected, IsOk());
  EXPECT_EQ(committed->etag, expected->etag);

  auto reader = driver_.Run(storage().OpenReader("stream/big.tar", {}));
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ((*reader)->attributes().etag, committed->etag);
  EXPECT_EQ((*reader)->attributes().metadata, committed->metadata);
  EXPECT_THAT(ReadAll(**reader, 64 * 1024), IsOkAndHolds(data));
  // At the end, reads keep returning 0.
  std::byte one[1];
  EXPECT_THAT(driver_.Run((*reader)->Read(std::span<std::byte>(one))), IsOkAndHolds(0u));
}

TEST_P(BlobConformanceTest, AbortLeavesNothing) {
  auto writer = driver_.Run(storage().OpenWriter("aborted", {}));
  ASSERT_THAT(writer, IsOk());
  const std::string data = PatternBytes(2 * 1024 * 1024, 5);
  ASSERT_THAT(driver_.Run((*writer)->Write(Bytes(data))), IsOk());
  EXPECT_THAT(driver_.Run((*writer)->Abort()), IsOk());
  EXPECT_THAT(driver_.Run((*writer)->Abort()), IsOk());  // idempotent
  EXPECT_THAT(driver_.Run((*writer)->Write(Bytes("more"))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(driver_.Run((*writer)->Commit()), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Stat("aborted"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListAll({}), IsOkAndHolds(IsEmpty()));
}

TEST_P(BlobConformanceTest, DestroyingAnUncommittedWriterLeavesNothing) {
  ASSERT_THAT(Put("kept", "old"), IsOk());
  {
    auto writer = driver_.Run(storage().OpenWriter("kept", {}));
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT(driver_.Run((*writer)->Write(Bytes(PatternBytes(3 * 1024 * 1024, 1)))), IsOk());
  }
  EXPECT_THAT(Get("kept"), IsOkAndHolds("old"));
  EXPECT_THAT(ListAll({}), IsOkAndHolds(::testing::ElementsAre("kept")));
}

TEST_P(BlobConformanceTest, WriterAcceptsNothingAfterCommit) {
  auto writer = driver_.Run(storage().OpenWriter("once", {}));
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT(driver_.Run((*writer)->Write(Bytes("abc"))), IsOk());
  ASSERT_THAT(driver_.Run((*writer)->Commit()), IsOk());
  EXPECT_THAT(driver_.Run((*writer)->Write(Bytes("d"))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(driver_.Run((*writer)->Commit()), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(driver_.Run((*writer)->Abort()), IsOk());
  EXPECT_THAT(Get("once"), IsOkAndHolds("abc"));
}

TEST_P(BlobConformanceTest, EmptyStreamMakesAnEmptyObject) {
  auto writer = driver_.Run(storage().OpenWriter("nil", {}));
  ASSERT_THAT(writer, IsOk());
  auto committed = driver_.Run((*writer)->Commit());
  ASSERT_THAT(committed, IsOk());
  EXPECT_EQ(committed->size, 0u);
  EXPECT_EQ(committed->etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_THAT(Get("nil"), IsOkAndHolds(""));
}

TEST_P(BlobConformanceTest, WriterValidatesLikePut) {
  PutOptions options;
  options.metadata = {{"bad name", "x"}};
  EXPECT_THAT(driver_.Run(storage().OpenWriter("k", options)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(driver_.Run(storage().OpenWriter("", {})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BlobConformanceTest, CommitAfterTheDeadlineWritesNothing) {
  PutOptions options;
  options.deadline = clock_.Now() + absl::Seconds(10);
  auto writer = driver_.Run(storage().OpenWriter("slow", options));
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT(driver_.Run((*writer)->Write(Bytes("partial"))), IsOk());
  clock_.AdvanceTime(absl::Seconds(10));
  EXPECT_THAT(driver_.Run((*writer)->Commit()), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(Stat("slow"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace cohort::blob::testing
