#include "cohort/resilience/status_hints.h"

#include "cohort/base/status.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

TEST(StatusHintsTest, RetryAfterRoundTrips) {
  absl::Status s =
      WithRetryAfter(absl::UnavailableError("busy"), absl::Milliseconds(1500));
  ASSERT_TRUE(RetryAfter(s).has_value());
  EXPECT_EQ(*RetryAfter(s), absl::Milliseconds(1500));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "busy");
}

TEST(StatusHintsTest, NoHintByDefault) {
  absl::Status s = absl::UnavailableError("x");
  EXPECT_FALSE(RetryAfter(s).has_value());
  EXPECT_FALSE(WasNotSent(s));
}

TEST(StatusHintsTest, NegativeRetryAfterMeansNowAndInfiniteSurvives) {
  EXPECT_EQ(*RetryAfter(WithRetryAfter(absl::UnavailableError("x"), -absl::Seconds(3))),
            absl::ZeroDuration());
  EXPECT_EQ(
      *RetryAfter(WithRetryAfter(absl::UnavailableError("x"), absl::InfiniteDuration())),
      absl::InfiniteDuration());
}

TEST(StatusHintsTest, OkStatusCarriesNothing) {
  EXPECT_TRUE(WithRetryAfter(absl::OkStatus(), absl::Seconds(1)).ok());
  EXPECT_FALSE(
      RetryAfter(WithRetryAfter(absl::OkStatus(), absl::Seconds(1))).has_value());
  EXPECT_FALSE(WasNotSent(MarkNotSent(absl::OkStatus())));
}

TEST(StatusHintsTest, NotSentMarker) {
  absl::Status s = MarkNotSent(absl::UnavailableError("connect refused"));
  EXPECT_TRUE(WasNotSent(s));
  EXPECT_EQ(s.message(), "connect refused");
}

TEST(StatusHintsTest, HintsSurviveAnnotateAndCopies) {
  absl::Status s =
      MarkNotSent(WithRetryAfter(absl::UnavailableError("x"), absl::Seconds(2)));
  absl::Status annotated = Annotate(s, "fetching blob");
  absl::Status copy = annotated;
  EXPECT_TRUE(WasNotSent(copy));
  EXPECT_EQ(*RetryAfter(copy), absl::Seconds(2));
  EXPECT_EQ(copy.message(), "fetching blob: x");
}

TEST(StatusHintsTest, LaterRetryAfterReplacesEarlier) {
  absl::Status s = WithRetryAfter(absl::UnavailableError("x"), absl::Seconds(2));
  s = WithRetryAfter(s, absl::Seconds(7));
  EXPECT_EQ(*RetryAfter(s), absl::Seconds(7));
}

TEST(StatusHintsTest, MalformedPayloadIsNoHint) {
  absl::Status s = absl::UnavailableError("x");
  s.SetPayload(kRetryAfterPayloadUrl, absl::Cord("abc"));
  EXPECT_FALSE(RetryAfter(s).has_value());
}

}  // namespace
}  // namespace cohort
