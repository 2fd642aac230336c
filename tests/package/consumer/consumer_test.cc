// Uses the `testing` component of the installed package.
#include "absl/status/statusor.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace {

TEST(ConsumerTest, MatchersWork) {
  EXPECT_THAT(absl::StatusOr<int>(5), cohort::testing::IsOkAndHolds(5));
  EXPECT_THAT(absl::NotFoundError("x"),
              cohort::testing::StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
