// Conformance: put, get, stat, delete, attributes, validation, deadlines.
#include <string>

#include "conformance.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST_P(BlobConformanceTest, PutThenGetAndStat) {
  auto put = Put("greeting", "hello");
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->key, "greeting");
  EXPECT_EQ(put->size, 5u);
  // The ETag S3 gives a single-part upload: the hex MD5 of the content.
  EXPECT_EQ(put->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(put->content_type, "application/octet-stream");
  EXPECT_EQ(put->modified, clock_.Now());
  EXPECT_THAT(Get("greeting"), IsOkAndHolds("hello"));
  auto stat = Stat("greeting");
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->size, 5u);
  EXPECT_EQ(stat->etag, put->etag);
  EXPECT_NE(stat->modified, absl::InfinitePast());
  EXPECT_EQ(stat->modified, StoredTime(*put));
  EXPECT_EQ(stat->content_type, "application/octet-stream");
  EXPECT_THAT(stat->metadata, IsEmpty());
}

TEST_P(BlobConformanceTest, EmptyObject) {
  auto put = Put("empty", "");
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->size, 0u);
  EXPECT_EQ(put->etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_THAT(Get("empty"), IsOkAndHolds(""));
}

TEST_P(BlobConformanceTest, BinaryAndLargerContentRoundTrips) {
  const std::string data = PatternBytes(300'000, 7);
  ASSERT_THAT(Put("bin/data", data), IsOk());
  EXPECT_THAT(Get("bin/data"), IsOkAndHolds(data));
}

TEST_P(BlobConformanceTest, UnicodeKeys) {
  const std::string key = "docs/na\xc3\xafve \xe2\x98\x83.txt";
  ASSERT_THAT(Put(key, "snow"), IsOk());
  EXPECT_THAT(Get(key), IsOkAndHolds("snow"));
  auto page = List({});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].key, key);
}

TEST_P(BlobConformanceTest, PutReplacesAndChangesEtagAndTime) {
  auto first = Put("k", "one");
  ASSERT_THAT(first, IsOk());
  const absl::Time first_stored = StoredTime(*first);
  clock_.AdvanceTime(absl::Seconds(5));
  auto second = Put("k", "two!");
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(first->etag, second->etag);
  EXPECT_EQ(second->modified, first->modified + absl::Seconds(5));
  EXPECT_GE(StoredTime(*second), first_stored);
  EXPECT_THAT(Get("k"), IsOkAndHolds("two!"));
  EXPECT_EQ(Stat("k")->size, 4u);
}

TEST_P(BlobConformanceTest, SameContentSameEtag) {
  auto a = Put("a", "same");
  auto b = Put("b", "same");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->etag, b->etag);
}

TEST_P(BlobConformanceTest, MissingKeyIsNotFound) {
  EXPECT_THAT(Get("nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(Stat("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(driver_.Run(storage().OpenReader("nope", {})),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BlobConformanceTest, DeleteRemovesAndIsIdempotent) {
  ASSERT_THAT(Put("dir/k", "v"), IsOk());
  EXPECT_THAT(Delete("dir/k"), IsOk());
  EXPECT_THAT(Stat("dir/k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Delete("dir/k"), IsOk());
  EXPECT_THAT(Delete("never/existed"), IsOk());
  EXPECT_THAT(ListAll({}), IsOkAndHolds(IsEmpty()));
}

TEST_P(BlobConformanceTest, ContentTypeAndMetadataRoundTrip) {
  PutOptions options;
  options.content_type = "text/plain; charset=utf-8";
  options.metadata = {{"Owner", "alice"}, {"x-trace_id.v2", "ab cd"}, {"empty", ""}};
  auto put = Put("doc", "text", options);
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->content_type, "text/plain; charset=utf-8");
  // Names come back lower-cased, values as given.
  EXPECT_THAT(put->metadata, ElementsAre(Pair("empty", ""), Pair("owner", "alice"),
                                         Pair("x-trace_id.v2", "ab cd")));
  auto stat = Stat("doc");
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->content_type, put->content_type);
  EXPECT_EQ(stat->metadata, put->metadata);
}

TEST_P(BlobConformanceTest, BadMetadataIsInvalidArgument) {
  auto put_with = [&](std::map<std::string, std::string> metadata) {
    PutOptions options;
    options.metadata = std::move(metadata);
    return Put("m", "x", options).status();
  };
  EXPECT_THAT(put_with({{"has space", "v"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has space")));
  EXPECT_THAT(put_with({{"", "v"}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(put_with({{"Name", "a"}, {"name", "b"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(put_with({{"n", "line\nbreak"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("printable")));
  EXPECT_THAT(put_with({{"big", std::string(3000, 'v')}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  PutOptions bad_type;
  bad_type.content_type = "text/plain\r\nX-Injected: 1";
  EXPECT_THAT(Put("m", "x", bad_type), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Stat("m"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BlobConformanceTest, BadKeysAreInvalidArgument) {
  const std::string too_long(1025, 'k');
  for (const std::string& key :
       {std::string(), too_long, std::string("bad\xff utf8"), std::string("nul\0key", 7)}) {
    SCOPED_TRACE(::testing::PrintToString(key.substr(0, 20)));
    EXPECT_THAT(Put(key, "x"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Get(key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Stat(key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Delete(key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Copy(key, "ok"), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // The longest key is fine (in segments that every backend can store).
  std::string longest;
  for (int i = 0; i < 4; ++i) longest += std::string(200, 'a' + i) + "/";
  longest += std::string(1024 - longest.size(), 'z');
  ASSERT_EQ(longest.size(), 1024u);
  EXPECT_THAT(Put(longest, "max length is fine"), IsOk());
}

TEST_P(BlobConformanceTest, PassedDeadlineIsDeadlineExceededAndWritesNothing) {
  PutOptions put;
  put.deadline = clock_.Now();
  EXPECT_THAT(Put("late", "x", put), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(driver_.Run(storage().OpenWriter("late", put)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(Stat("late"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Put("k", "v"), IsOk());
  GetOptions get;
  get.deadline = clock_.Now() - absl::Seconds(1);
  EXPECT_THAT(Get("k", get), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(driver_.Run(storage().OpenReader("k", get)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  ListOptions list;
  list.deadline = clock_.Now();
  EXPECT_THAT(List(list), StatusIs(absl::StatusCode::kDeadlineExceeded));
  PutOptions copy;
  copy.deadline = clock_.Now();
  EXPECT_THAT(Copy("k", "k2", copy), StatusIs(absl::StatusCode::kDeadlineExceeded));
  // A deadline still ahead does not interfere.
  put.deadline = clock_.Now() + absl::Seconds(1);
  EXPECT_THAT(Put("on-time", "x", put), IsOk());
}

TEST_P(BlobConformanceTest, ProgressReportsTheWholeTransfer) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  PutOptions put;
  put.progress = [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); };
  ASSERT_THAT(Put("p", "12345", put), IsOk());
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(std::uint64_t{5}, std::uint64_t{5}));
  calls.clear();
  GetOptions get;
  get.range = ByteRange{1, 3};
  get.progress = put.progress;
  EXPECT_THAT(Get("p", get), IsOkAndHolds("234"));
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(std::uint64_t{3}, std::uint64_t{3}));
}

}  // namespace
}  // namespace cohort::blob::testing
