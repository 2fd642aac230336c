// Conformance: listing with prefixes, delimiters and pages.
#include <string>
#include <vector>

#include "conformance.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Pair;

ListOptions With(std::string prefix, std::string delimiter = "", int max = 1000) {
  ListOptions options;
  options.prefix = std::move(prefix);
  options.delimiter = std::move(delimiter);
  options.max_results = max;
  return options;
}


TEST_P(BlobConformanceTest, ListEmptyStore) {
  auto page = List({});
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->entries, IsEmpty());
  EXPECT_THAT(page->common_prefixes, IsEmpty());
  EXPECT_THAT(page->next_page_token, IsEmpty());
}

TEST_P(BlobConformanceTest, ListIsInByteOrder) {
  // '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < '0': a directory-shaped walk must
  // still produce byte order.
  for (const char* key : {"a/b", "a-b", "a.b", "a0", "b", "a/a/z", "A", "a/b0", "\xc3\xa9"}) {
    ASSERT_THAT(Put(key, key), IsOk());
  }
  EXPECT_THAT(ListAll({}), IsOkAndHolds(ElementsAre("A", "a-b", "a.b", "a/a/z", "a/b", "a/b0",
                                                    "a0", "b", "\xc3\xa9")));
}

TEST_P(BlobConformanceTest, ListEntriesCarryAttributes) {
  PutOptions options;
  options.content_type = "text/csv";
  options.metadata = {{"rows", "3"}};
  auto put = Put("data/table.csv", "a,b\n", options);
  ASSERT_THAT(put, IsOk());
  auto page = List({});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  const BlobAttributes& entry = page->entries[0];
  EXPECT_EQ(entry.key, "data/table.csv");
  EXPECT_EQ(entry.size, 4u);
  EXPECT_EQ(entry.etag, put->etag);
  EXPECT_EQ(entry.modified, StoredTime(*put));
  if (traits().list_has_headers) {
    EXPECT_EQ(entry.content_type, "text/csv");
    EXPECT_THAT(entry.metadata, ElementsAre(Pair("rows", "3")));
  } else {
    // Unknown, said as empty rather than a default that could be wrong; the
    // object itself has them.
    EXPECT_THAT(entry.content_type, IsEmpty());
    EXPECT_THAT(entry.metadata, IsEmpty());
    auto stat = Stat(entry.key);
    ASSERT_THAT(stat, IsOk());
    EXPECT_EQ(stat->content_type, "text/csv");
    EXPECT_THAT(stat->metadata, ElementsAre(Pair("rows", "3")));
  }
}

TEST_P(BlobConformanceTest, ListByPrefix) {
  for (const char* key : {"logs/2024/a", "logs/2024/b", "logs/2025/c", "logs-old", "log", "x"}) {
    ASSERT_THAT(Put(key, "."), IsOk());
  }
  EXPECT_THAT(ListAll(With("logs/")),
              IsOkAndHolds(ElementsAre("logs/2024/a", "logs/2024/b", "logs/2025/c")));
  EXPECT_THAT(ListAll(With("logs")),
              IsOkAndHolds(ElementsAre("logs-old", "logs/2024/a", "logs/2024/b", "logs/2025/c")));
  EXPECT_THAT(ListAll(With("logs/2024/b")), IsOkAndHolds(ElementsAre("logs/2024/b")));
  EXPECT_THAT(ListAll(With("logs/2024/bb")), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ListAll(With("nothing")), IsOkAndHolds(IsEmpty()));
}

TEST_P(BlobConformanceTest, ListWithDelimiterRollsUpPrefixes) {
  for (const char* key : {"photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg",
                          "photos/x.jpg", "readme", "videos/v.mp4"}) {
    ASSERT_THAT(Put(key, "."), IsOk());
  }
  auto page = List(With("", "/"));
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].key, "readme");
  EXPECT_THAT(page->common_prefixes, ElementsAre("photos/", "videos/"));
  page = List(With("photos/", "/"));
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].key, "photos/x.jpg");
  EXPECT_THAT(page->common_prefixes, ElementsAre("photos/2024/", "photos/2025/"));
  // A prefix that ends mid-segment rolls up at the next delimiter.
  EXPECT_THAT(ListAll(With("photos/20", "/")),
              IsOkAndHolds(ElementsAre("photos/2024/*", "photos/2025/*")));
}

TEST_P(BlobConformanceTest, ListWithOtherDelimiter) {
  for (const char* key : {"a-1-x", "a-1-y", "a-2", "b"}) ASSERT_THAT(Put(key, "."), IsOk());
  EXPECT_THAT(ListAll(With("a-", "-")), IsOkAndHolds(ElementsAre("a-1-*", "a-2")));
  EXPECT_THAT(ListAll(With("", "-")), IsOkAndHolds(ElementsAre("a-*", "b")));
}

TEST_P(BlobConformanceTest, ListPagesCoverEverythingOnce) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "d%d/k%02d", i % 3, i);
    keys.push_back(key);
    ASSERT_THAT(Put(key, "."), IsOk());
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::size_t> sizes;
  std::vector<std::string> seen;
  ListOptions options = With("", "", 7);
  while (true) {
    auto page = List(options);
    ASSERT_THAT(page, IsOk());
    sizes.push_back(page->entries.size());
    for (const auto& e : page->entries) seen.push_back(e.key);
    if (page->next_page_token.empty()) break;
    options.page_token = page->next_page_token;
  }
  EXPECT_THAT(sizes, ElementsAre(7, 7, 7, 4));
  EXPECT_THAT(seen, ElementsAreArray(keys));
}

TEST_P(BlobConformanceTest, ExactlyFullLastPageHasNoToken) {
  for (int i = 0; i < 6; ++i) ASSERT_THAT(Put("k" + std::to_string(i), "."), IsOk());
  auto first = List(With("", "", 3));
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->next_page_token.empty());
  ListOptions next = With("", "", 3);
  next.page_token = first->next_page_token;
  auto second = List(next);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->entries.size(), 3u);
  EXPECT_THAT(second->next_page_token, IsEmpty());
}

TEST_P(BlobConformanceTest, PagesWithPrefixesNeverRepeatAPrefix) {
  for (const char* key : {"a", "b/1", "b/2", "b/3", "c", "d/1", "d/2", "e", "f/1"}) {
    ASSERT_THAT(Put(key, "."), IsOk());
  }
  for (int max = 1; max <= 6; ++max) {
    SCOPED_TRACE(max);
    EXPECT_THAT(ListAll(With("", "/", max)),
                IsOkAndHolds(ElementsAre("a", "b/*", "c", "d/*", "e", "f/*")));
  }
}

TEST_P(BlobConformanceTest, PagingSurvivesChangesBetweenPages) {
  for (const char* key : {"k1", "k2", "k3", "k4", "k5"}) ASSERT_THAT(Put(key, "."), IsOk());
  auto first = List(With("", "", 2));
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->entries.back().key, "k2");
  // The resume point was deleted and a key was added before it and after it.
  ASSERT_THAT(Delete("k2"), IsOk());
  ASSERT_THAT(Put("k0", "."), IsOk());
  ASSERT_THAT(Put("k6", "."), IsOk());
  ListOptions rest = With("", "", 1000);
  rest.page_token = first->next_page_token;
  auto second = List(rest);
  ASSERT_THAT(second, IsOk());
  std::vector<std::string> keys;
  for (const auto& e : second->entries) keys.push_back(e.key);
  EXPECT_THAT(keys, ElementsAre("k3", "k4", "k5", "k6"));
}

TEST_P(BlobConformanceTest, BadListOptionsAreInvalid) {
  EXPECT_THAT(List(With("", "", 0)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(List(With("", "", 1001)), StatusIs(absl::StatusCode::kInvalidArgument));
  ListOptions options;
  options.page_token = "not-a-token";
  EXPECT_THAT(List(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::blob::testing
