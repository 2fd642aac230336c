#include "cohort/ring/jump_hash.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "cohort/base/random.h"
#include "cohort/ring/hash.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JumpHashTest, KnownAnswers) {
  // The first five are the vectors published with dgryski/go-jump and other
  // ports of the paper's code; the rest were computed with an independent
  // Python transcription of the paper.
  EXPECT_THAT(JumpHash(1, 1), IsOkAndHolds(0));
  EXPECT_THAT(JumpHash(42, 57), IsOkAndHolds(43));
  EXPECT_THAT(JumpHash(0xDEAD10CC, 1), IsOkAndHolds(0));
  EXPECT_THAT(JumpHash(0xDEAD10CC, 666), IsOkAndHolds(361));
  EXPECT_THAT(JumpHash(256, 1024), IsOkAndHolds(520));
  EXPECT_THAT(JumpHash(0xFFFFFFFFFFFFFFFFULL, 1000), IsOkAndHolds(313));
  EXPECT_THAT(JumpHash(123456789, 2147483647), IsOkAndHolds(1234790967));
  EXPECT_THAT(JumpHash(10863919174838991ULL, 11), IsOkAndHolds(6));
}

TEST(JumpHashTest, StringKeysHashWithXxh64) {
  for (const char* key : {"", "a", "user:42"}) {
    EXPECT_EQ(JumpHashKey(key, 97).value(), JumpHash(Hash64(key), 97).value());
    EXPECT_EQ(JumpHashKey(key, 97, 5).value(), JumpHash(Hash64(key, 5), 97).value());
  }
}

TEST(JumpHashTest, RejectsNonPositiveBucketCounts) {
  EXPECT_THAT(JumpHash(1, 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("num_buckets must be >= 1, got 0")));
  EXPECT_THAT(JumpHash(1, -10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(JumpHashKey("k", -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JumpHashTest, GrowingByOneMovesOnlyToTheNewBucket) {
  Random rng(380);
  constexpr int kKeys = 100000;
  for (int buckets : {1, 9, 99}) {
    int moved = 0;
    for (int i = 0; i < kKeys; ++i) {
      const std::uint64_t key = rng.Next64();
      const std::int32_t before = JumpHash(key, buckets).value();
      const std::int32_t after = JumpHash(key, buckets + 1).value();
      if (before != after) {
        ++moved;
        ASSERT_EQ(after, buckets) << "key " << key << " moved between old buckets";
      }
    }
    // Expected 1/(n+1) of the keys; binomial sd is < 0.16% of kKeys, allow 5 sd.
    const double expected = static_cast<double>(kKeys) / (buckets + 1);
    EXPECT_NEAR(moved, expected, 5 * std::sqrt(expected)) << "buckets " << buckets;
  }
}

TEST(JumpHashTest, Balanced) {
  Random rng(7);
  constexpr int kBuckets = 100;
  constexpr int kKeys = 1000000;
  std::vector<int> counts(kBuckets, 0);
  for (int i = 0; i < kKeys; ++i) ++counts[JumpHash(rng.Next64(), kBuckets).value()];
  // Each count is ~Binomial(1e6, 0.01): sd ~ 99.5. 6 sd is ~600 (6%).
  for (int c : counts) EXPECT_NEAR(c, kKeys / kBuckets, 600);
}

}  // namespace
}  // namespace cohort::ring
