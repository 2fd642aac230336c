// Conformance: if_absent, if_match and copy.
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "conformance.h"
#include "cohort/base/blocking.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

PutOptions IfAbsent() {
  PutOptions options;
  options.if_absent = true;
  return options;
}

PutOptions IfMatch(std::string etag) {
  PutOptions options;
  options.if_match = std::move(etag);
  return options;
}

TEST_P(BlobConformanceTest, IfAbsentCreatesOnlyOnce) {
  EXPECT_THAT(Put("once", "first", IfAbsent()), IsOk());
  EXPECT_THAT(Put("once", "second", IfAbsent()),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("once")));
  EXPECT_THAT(Get("once"), IsOkAndHolds("first"));
  ASSERT_THAT(Delete("once"), IsOk());
  EXPECT_THAT(Put("once", "third", IfAbsent()), IsOk());
  EXPECT_THAT(Get("once"), IsOkAndHolds("third"));
}

TEST_P(BlobConformanceTest, IfMatchReplacesOnlyTheExpectedVersion) {
  auto v1 = Put("cas", "v1");
  ASSERT_THAT(v1, IsOk());
  auto v2 = Put("cas", "v2", IfMatch(v1->etag));
  ASSERT_THAT(v2, IsOk());
  EXPECT_THAT(Put("cas", "v3", IfMatch(v1->etag)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(v2->etag)));
  EXPECT_THAT(Get("cas"), IsOkAndHolds("v2"));
  EXPECT_THAT(Put("cas", "v3", IfMatch("\"" + v2->etag + "\"")), IsOk());
  EXPECT_THAT(Put("absent", "x", IfMatch(v1->etag)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Stat("absent"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BlobConformanceTest, ConflictingConditionsAreInvalid) {
  PutOptions both = IfAbsent();
  both.if_match = "abc";
  EXPECT_THAT(Put("k", "x", both), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Put("k", "x", IfMatch("")), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Many threads race to create the same keys; exactly one wins each key and
// the object is the winner's, whole.
TEST_P(BlobConformanceTest, ConcurrentIfAbsentExactlyOneWins) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 12;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "race/" + std::to_string(k);
    std::latch start(kThreads);
    std::vector<absl::StatusCode> codes(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string data = "writer " + std::to_string(t) + " " + PatternBytes(20'000, t);
        const PutOptions options = IfAbsent();
        start.arrive_and_wait();
        codes[t] = RunBlocking(storage().Put(key, data, options)).status().code();
      });
    }
    for (auto& thread : threads) thread.join();
    int winners = 0, losers = 0, winner = -1;
    for (int t = 0; t < kThreads; ++t) {
      if (codes[t] == absl::StatusCode::kOk) {
        ++winners;
        winner = t;
      } else if (codes[t] == absl::StatusCode::kAlreadyExists) {
        ++losers;
      }
    }
    ASSERT_EQ(winners, 1) << key;
    ASSERT_EQ(losers, kThreads - 1) << key;
    EXPECT_THAT(Get(key), IsOkAndHolds("writer " + std::to_string(winner) + " " +
                                       PatternBytes(20'000, winner)));
  }
}

TEST_P(BlobConformanceTest, WriterConditionsApplyAtCommit) {
  auto first = driver_.Run(storage().OpenWriter("w", IfAbsent()));
  auto second = driver_.Run(storage().OpenWriter("w", IfAbsent()));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  const std::string a = "from the first writer", b = "from the second writer";
  ASSERT_THAT(driver_.Run((*first)->Write(std::as_bytes(std::span(a)))), IsOk());
  ASSERT_THAT(driver_.Run((*second)->Write(std::as_bytes(std::span(b)))), IsOk());
  EXPECT_THAT(driver_.Run((*second)->Commit()), IsOk());
  EXPECT_THAT(driver_.Run((*first)->Commit()), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Get("w"), IsOkAndHolds(b));
  auto current = Stat("w");
  ASSERT_THAT(current, IsOk());
  auto stale = driver_.Run(storage().OpenWriter("w", IfMatch("0123")));
  ASSERT_THAT(stale, IsOk());
  EXPECT_THAT(driver_.Run((*stale)->Commit()), StatusIs(absl::StatusCode::kFailedPrecondition));
  auto fresh = driver_.Run(storage().OpenWriter("w", IfMatch(current->etag)));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_THAT(driver_.Run((*fresh)->Commit()), IsOk());
  EXPECT_THAT(Get("w"), IsOkAndHolds(""));
}

TEST_P(BlobConformanceTest, CopyDuplicatesContentTypeAndMetadata) {
  PutOptions options;
  options.content_type = "image/png";
  options.metadata = {{"author", "bob"}};
  auto source = Put("src/a.png", PatternBytes(70'000, 9), options);
  ASSERT_THAT(source, IsOk());
  const absl::Time source_stored = StoredTime(*source);
  clock_.AdvanceTime(absl::Minutes(1));
  auto copy = Copy("src/a.png", "dst/b.png");
  ASSERT_THAT(copy, IsOk());
  EXPECT_EQ(copy->key, "dst/b.png");
  EXPECT_EQ(copy->size, source->size);
  EXPECT_EQ(copy->etag, source->etag);
  EXPECT_EQ(copy->content_type, "image/png");
  EXPECT_THAT(copy->metadata, ElementsAre(Pair("author", "bob")));
  if (traits().client_clock_times) {
    EXPECT_EQ(copy->modified, clock_.Now());
  } else {
    EXPECT_EQ(copy->modified, StoredTime(*copy));
    EXPECT_GE(copy->modified, source_stored);
  }
  EXPECT_THAT(Get("dst/b.png"), IsOkAndHolds(PatternBytes(70'000, 9)));
  EXPECT_EQ(Stat("dst/b.png")->metadata, source->metadata);
  // The source is untouched.
  EXPECT_EQ(Stat("src/a.png")->modified, source_stored);
}

TEST_P(BlobConformanceTest, CopyStatusCodes) {
  EXPECT_THAT(Copy("missing", "x"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Put("a", "alpha"), IsOk());
  auto b = Put("b", "beta");
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(Copy("a", "b", IfAbsent()), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Copy("a", "b", IfMatch("stale")), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Get("b"), IsOkAndHolds("beta"));
  EXPECT_THAT(Copy("a", "b", IfMatch(b->etag)), IsOk());
  EXPECT_THAT(Get("b"), IsOkAndHolds("alpha"));
  PutOptions replace;
  replace.content_type = "text/plain";
  EXPECT_THAT(Copy("a", "c", replace),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from the source")));
  EXPECT_THAT(Copy("a", "a"), IsOk());
  EXPECT_THAT(Get("a"), IsOkAndHolds("alpha"));
}

}  // namespace
}  // namespace cohort::blob::testing
