// KetamaRing unit tests: validation, point counts and key hashes. Placement
// equality with libmemcached itself is in ketama_libmemcached_test.cc.
#include "cohort/ring/ketama.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(KetamaTest, RejectsBadServers) {
  EXPECT_THAT(KetamaRing::Create({{"", 11211, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("servers[0].host")));
  EXPECT_THAT(KetamaRing::Create({{std::string(1025, 'h'), 11211, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1..1024 bytes")));
  EXPECT_THAT(KetamaRing::Create({{"a", 0, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("servers[0].port must be in [1, 65535], got 0")));
  EXPECT_THAT(KetamaRing::Create({{"a", 65536, 1}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KetamaRing::Create({{"a", 11211, 1}, {"b", 11211, 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("servers[1].weight must be >= 1, got 0")));
  EXPECT_THAT(KetamaRing::Create({{"a", 11211, 1}, {"b", 11211, 1}, {"a", 11211, 5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  // Same host on another port is a different server.
  EXPECT_THAT(KetamaRing::Create({{"a", 11211, 1}, {"a", 11212, 1}}), IsOk());
}

TEST(KetamaTest, EmptyRingFailsLookups) {
  const KetamaRing ring = KetamaRing::Create({}).value();
  EXPECT_THAT(ring.OwnerIndex("k"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("at least one server")));
}

TEST(KetamaTest, EqualWeightsGive160PointsEach) {
  std::vector<KetamaServer> servers;
  for (int i = 0; i < 7; ++i) servers.push_back({absl::StrCat("10.0.0.", i), 11211, 3});
  const KetamaRing ring = KetamaRing::Create(servers).value();
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(ring.PointsOf(i), 160u);
  EXPECT_EQ(ring.point_count(), 7u * 160u);
}

TEST(KetamaTest, WeightedPointCountsFollowLibmemcachedArithmetic) {
  // pct * 160 / 4 * n, floored, times 4: 1/3 * 80 = 26.67 -> 104 and
  // 2/3 * 80 = 53.3 -> 212. Points are lost to the floor, as in libmemcached.
  const KetamaRing ring = KetamaRing::Create({{"a", 11211, 1}, {"b", 11211, 2}}).value();
  EXPECT_EQ(ring.PointsOf(0), 104u);
  EXPECT_EQ(ring.PointsOf(1), 212u);
  EXPECT_EQ(ring.point_count(), 316u);
  // A server whose share is below one digest's worth gets no points at all.
  const KetamaRing tiny = KetamaRing::Create({{"a", 11211, 1}, {"b", 11211, 100000}}).value();
  EXPECT_EQ(tiny.PointsOf(0), 0u);
  EXPECT_EQ(tiny.PointsOf(1), 316u);
  for (int k = 0; k < 1000; ++k) {
    EXPECT_THAT(tiny.OwnerIndex(absl::StrCat(k)), IsOkAndHolds(1u));
  }
}

TEST(KetamaTest, KeyHashes) {
  const KetamaRing md5 = KetamaRing::Create({{"a", 11211, 1}}).value();
  // First little-endian word of MD5("foo") = acbd18db...
  EXPECT_EQ(md5.KeyHash("foo"), 0xdb18bdacU);
  const KetamaRing oaat =
      KetamaRing::Create({{"a", 11211, 1}}, {.key_hash = KetamaKeyHash::kOneAtATime}).value();
  // Values from libmemcached 1.1.4's memcached_generate_hash_value(...,
  // MEMCACHED_HASH_DEFAULT); the third key checks sign extension of bytes
  // >= 0x80.
  EXPECT_EQ(oaat.KeyHash(""), 0x00000000U);
  EXPECT_EQ(oaat.KeyHash("foo"), 0x238678ddU);
  EXPECT_EQ(oaat.KeyHash("hello"), 0xc8fd181bU);
  EXPECT_EQ(oaat.KeyHash("\xff\x80z"), 0xa7e6bb0aU);
  EXPECT_EQ(oaat.KeyHash("user:1234"), 0x856833abU);
}

TEST(KetamaTest, SingleServerOwnsEverything) {
  const KetamaRing ring = KetamaRing::Create({{"only", 22122, 7}}).value();
  for (int k = 0; k < 1000; ++k) {
    EXPECT_THAT(ring.OwnerIndex(absl::StrCat("key", k)), IsOkAndHolds(0u));
  }
}

TEST(KetamaTest, AddingAServerMovesKeysOnlyToIt) {
  // Ketama's weighted point counts depend on the server count, so unlike
  // HashRing this holds for equal weights only (160 points each, always).
  std::vector<KetamaServer> servers;
  for (int i = 0; i < 10; ++i) servers.push_back({absl::StrCat("cache", i), 11211, 1});
  const KetamaRing before = KetamaRing::Create(servers).value();
  servers.push_back({"cache-new", 11211, 1});
  const KetamaRing after = KetamaRing::Create(servers).value();
  int moved = 0;
  for (int k = 0; k < 50000; ++k) {
    const std::string key = absl::StrCat("k", k);
    const std::size_t was = before.OwnerIndex(key).value();
    const std::size_t now = after.OwnerIndex(key).value();
    if (was != now) {
      ASSERT_EQ(now, 10u);
      ++moved;
    }
  }
  EXPECT_NEAR(moved / 50000.0, 1.0 / 11, 0.3 / 11);
}

}  // namespace
}  // namespace cohort::ring
