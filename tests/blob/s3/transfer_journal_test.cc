// The upload journal's lines: round trips, checksums, and damaged input.
#include "blob/transfer_journal.h"

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::internal {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;

TEST(TransferJournalTest, LinesRoundTrip) {
  JournalHeader h{.bucket = "b",
                  .key = "dir/a b%c\n",
                  .upload_id = "u/+=",
                  .part_size = 8,
                  .size = 99,
                  .mtime_ns = -5};
  absl::StatusOr<JournalHeader> back = ParseHeaderLine(HeaderLine(h));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->key, h.key);
  EXPECT_EQ(back->upload_id, h.upload_id);
  EXPECT_EQ(back->size, 99u);
  EXPECT_EQ(back->mtime_ns, -5);
  EXPECT_EQ(HeaderLine(h).find('\n'), std::string::npos);
  absl::StatusOr<JournalPart> part = ParsePartLine(PartLine({3, 7, "abc"}));
  ASSERT_THAT(part, IsOk());
  EXPECT_EQ(part->number, 3);
  EXPECT_EQ(part->size, 7u);
  EXPECT_EQ(part->etag, "abc");
}

TEST(TransferJournalTest, DamageIsDetected) {
  std::string line = PartLine({3, 7, "abc"});
  std::string flipped = line;
  flipped[7] = '4';  // n=3 -> n=4
  EXPECT_THAT(ParsePartLine(flipped), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParsePartLine(line.substr(0, line.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParsePartLine(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseHeaderLine(line), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParsePartLine(PartLine({0, 7, "abc"})), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParsePartLine(PartLine({10001, 7, "abc"})), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(TransferJournalTest, MissingJournalIsNone) {
  absl::StatusOr<std::optional<Journal>> j = ReadJournal("/nonexistent/dir/journal");
  ASSERT_THAT(j, IsOk());
  EXPECT_FALSE(j->has_value());
}

}  // namespace
}  // namespace cohort::blob::internal
