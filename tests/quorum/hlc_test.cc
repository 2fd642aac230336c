#include "cohort/quorum/hlc.h"

#include "cohort/base/simulated_clock.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::quorum {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;

TEST(HlcTest, FollowsPhysicalTimeAndCountsWithinATick) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  HybridLogicalClock hlc(clock, 1);
  const HlcTimestamp a = hlc.Now();
  const HlcTimestamp b = hlc.Now();  // same physical time
  EXPECT_EQ(a.physical_nanos, absl::ToUnixNanos(absl::FromUnixSeconds(1000)));
  EXPECT_EQ(a.logical, 0u);
  EXPECT_EQ(b.logical, 1u);
  EXPECT_LT(a, b);
  clock.AdvanceTime(absl::Milliseconds(1));
  const HlcTimestamp c = hlc.Now();
  EXPECT_EQ(c.logical, 0u);
  EXPECT_LT(b, c);
}

TEST(HlcTest, EffectsAreStampedAfterCausesDespiteSlowClocks) {
  SimulatedClock fast_clock(absl::FromUnixSeconds(1000) + absl::Milliseconds(300));
  SimulatedClock slow_clock(absl::FromUnixSeconds(1000));
  HybridLogicalClock fast(fast_clock, 1), slow(slow_clock, 2);
  const HlcTimestamp cause = fast.Now();
  ASSERT_THAT(slow.Update(cause), IsOk());
  const HlcTimestamp effect = slow.Now();
  EXPECT_LT(cause, effect);
  EXPECT_EQ(effect.physical_nanos, cause.physical_nanos);  // logical carries it
}

TEST(HlcTest, RefusesTimestampsTooFarAhead) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  HybridLogicalClock hlc(clock, 1, absl::Milliseconds(500));
  const HlcTimestamp before = hlc.Now();
  HlcTimestamp bogus{absl::ToUnixNanos(absl::FromUnixSeconds(1000) + absl::Seconds(5)), 0, 9};
  EXPECT_THAT(hlc.Update(bogus), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(hlc.Now().physical_nanos, before.physical_nanos);  // unchanged
}

TEST(HlcTest, NodeIdBreaksTies) {
  HlcTimestamp a{5, 0, 1}, b{5, 0, 2};
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cohort::quorum
