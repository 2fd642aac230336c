#include "absl/strings/cord.h"
#include "cohort/consensus/consensus_log.h"
#include "gtest/gtest.h"

namespace cohort::consensus {
namespace {

TEST(LeaderHintTest, RoundTripsThroughStatus) {
  absl::Status s = WithLeaderHint(absl::UnavailableError("not the leader"),
                                  {.id = 3, .address = "127.0.0.1:7003"});
  auto hint = LeaderHintOf(s);
  ASSERT_TRUE(hint.has_value());
  EXPECT_EQ(hint->id, 3u);
  EXPECT_EQ(hint->address, "127.0.0.1:7003");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

TEST(LeaderHintTest, AbsentOrMalformedIsNullopt) {
  EXPECT_FALSE(LeaderHintOf(absl::UnavailableError("x")).has_value());
  EXPECT_FALSE(LeaderHintOf(absl::OkStatus()).has_value());
  // OK statuses carry no payloads: attaching a hint to OK is a no-op.
  EXPECT_TRUE(WithLeaderHint(absl::OkStatus(), {.id = 1, .address = "a"}).ok());
  absl::Status bad = absl::UnavailableError("x");
  bad.SetPayload("type.cohort.dev/cohort.consensus.LeaderHint", absl::Cord("notanumber addr"));
  EXPECT_FALSE(LeaderHintOf(bad).has_value());
  bad.SetPayload("type.cohort.dev/cohort.consensus.LeaderHint", absl::Cord("12"));
  EXPECT_FALSE(LeaderHintOf(bad).has_value());
}

}  // namespace
}  // namespace cohort::consensus
