#include "cohort/base/random.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace cohort {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Next64(), b.Next64());
}

TEST(RandomTest, KnownFirstValuesArePinned) {
  // Pinned so that an accidental change of generator, which would silently
  // change every recorded failing seed, breaks this test instead.
  Random r(0);
  const std::uint64_t first = r.Next64();
  const std::uint64_t second = r.Next64();
  Random again(0);
  EXPECT_EQ(again.Next64(), first);
  EXPECT_EQ(again.Next64(), second);
  EXPECT_EQ(first, 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(second, 0xbf6e1f784956452aULL);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Random r(7);
  std::vector<int> counts(10, 0);
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const auto v = r.Uniform(10);
    ASSERT_LT(v, 10u);
    ++counts[v];
  }
  for (int c : counts) {
    // Expected 10,000 each; 5 sigma is about 475.
    EXPECT_NEAR(c, kDraws / 10, 500);
  }
  EXPECT_EQ(r.Uniform(0), 0u);
  EXPECT_EQ(r.Uniform(1), 0u);
}

TEST(RandomTest, RangesAndDoubles) {
  Random r(9);
  for (int i = 0; i < 10'000; ++i) {
    const auto v = r.UniformInRange(-5, 5);
    ASSERT_GE(v, -5);
    ASSERT_LE(v, 5);
    const double d = r.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    const auto dur = r.UniformDuration(absl::Milliseconds(1), absl::Milliseconds(2));
    ASSERT_GE(dur, absl::Milliseconds(1));
    ASSERT_LE(dur, absl::Milliseconds(2));
  }
  EXPECT_EQ(r.UniformInRange(3, 3), 3);
  EXPECT_EQ(r.UniformInRange(4, 3), 4);
  EXPECT_FALSE(r.Bernoulli(0));
  EXPECT_TRUE(r.Bernoulli(1));
}

TEST(RandomTest, DeriveSeedIsStableAndSeparatesPurposes) {
  EXPECT_EQ(DeriveSeed(1, "raft/election"), DeriveSeed(1, "raft/election"));
  EXPECT_NE(DeriveSeed(1, "raft/election"), DeriveSeed(1, "raft/heartbeat"));
  EXPECT_NE(DeriveSeed(1, "x"), DeriveSeed(2, "x"));
}

TEST(RandomTest, ForkedStreamsDiffer) {
  Random r(5);
  Random f = r.Fork();
  EXPECT_NE(r.Next64(), f.Next64());
}

}  // namespace
}  // namespace cohort
