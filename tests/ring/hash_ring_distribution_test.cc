// HashRing distribution properties: balance, minimal movement on membership
// and weight changes, weight proportionality. All keys come from seeded
// streams, so every number here is reproducible; the bounds are derived from
// the ring's statistics (see comments) with wide margins, not fitted to a run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/ring/hash_ring.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOk;

std::vector<std::string> Keys(std::uint64_t seed, int count) {
  Random rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (int i = 0; i < count; ++i) keys.push_back(absl::StrCat("key:", rng.Next64()));
  return keys;
}

HashRingBuilder Builder(int nodes, int points = 160) {
  HashRingBuilder b = HashRingBuilder::Create({.points_per_node = points}).value();
  for (int i = 0; i < nodes; ++i)
    EXPECT_THAT(b.AddNode(absl::StrCat("10.0.", i / 256, ".", i % 256)), IsOk());
  return b;
}

std::vector<std::size_t> Owners(const HashRing& ring, const std::vector<std::string>& keys) {
  std::vector<std::size_t> owners;
  owners.reserve(keys.size());
  for (const std::string& k : keys) owners.push_back(ring.OwnerIndex(k).value());
  return owners;
}

TEST(HashRingDistributionTest, BalanceAt100NodesX160Points) {
  // A node's share of the ring is the sum of 160 arcs, each ~Exp(mean
  // 1/16000): Gamma(160), coefficient of variation 1/sqrt(160) = 7.9%. Key
  // sampling adds sqrt(1/10000) = 1%. So the relative standard deviation of
  // load is ~8%; we require < 10%, and max/mean < 1.35 (the expected maximum
  // of 100 such nodes is ~ +2.5 sd = 1.2).
  const HashRing ring = Builder(100).Build().value();
  const std::vector<std::string> keys = Keys(380, 1000000);
  std::vector<double> load(100, 0);
  for (std::size_t o : Owners(ring, keys)) load[o] += 1;
  const double mean = 10000;
  double var = 0, max = 0, min = 1e18;
  for (double l : load) {
    var += (l - mean) * (l - mean);
    max = std::max(max, l);
    min = std::min(min, l);
  }
  const double rel_sd = std::sqrt(var / 100) / mean;
  RecordProperty("relative_sd", absl::StrCat(rel_sd));
  RecordProperty("max_over_mean", absl::StrCat(max / mean));
  std::printf("balance 100x160, 1M keys: relative sd %.4f, max/mean %.3f, min/mean %.3f\n", rel_sd,
              max / mean, min / mean);
  EXPECT_LT(rel_sd, 0.10);
  EXPECT_LT(max / mean, 1.35);
  EXPECT_GT(min / mean, 0.65);
}

TEST(HashRingDistributionTest, AddingANodeMovesAboutOneOverNPlusOneOnlyToIt) {
  const std::vector<std::string> keys = Keys(1, 200000);
  for (int n : {10, 50}) {
    HashRingBuilder b = Builder(n);
    const HashRing before = b.Build().value();
    ASSERT_THAT(b.AddNode("newcomer"), IsOk());
    const HashRing after = b.Build().value();
    int moved = 0;
    for (const std::string& k : keys) {
      const std::string_view was = before.Owner(k).value();
      const std::string_view now = after.Owner(k).value();
      if (was != now) {
        ++moved;
        ASSERT_EQ(now, "newcomer") << "key " << k << " moved " << was << " -> " << now;
      }
    }
    // The newcomer's share is Gamma-distributed around 1/(n+1) with cv 7.9%:
    // +-30% is almost 4 sd.
    const double fraction = static_cast<double>(moved) / keys.size();
    std::printf("add 1 to %d nodes: moved %.4f (ideal %.4f)\n", n, fraction, 1.0 / (n + 1));
    EXPECT_NEAR(fraction, 1.0 / (n + 1), 0.3 / (n + 1));
  }
}

TEST(HashRingDistributionTest, RemovingANodeMovesExactlyItsKeys) {
  const std::vector<std::string> keys = Keys(2, 200000);
  HashRingBuilder b = Builder(20);
  const HashRing before = b.Build().value();
  const std::string victim = "10.0.0.7";
  ASSERT_THAT(b.RemoveNode(victim), IsOk());
  const HashRing after = b.Build().value();
  int moved = 0;
  for (const std::string& k : keys) {
    const std::string_view was = before.Owner(k).value();
    const std::string_view now = after.Owner(k).value();
    if (was == victim) {
      ASSERT_NE(now, victim);
      ++moved;
    } else {
      ASSERT_EQ(was, now) << "key " << k << " did not belong to the removed node";
    }
  }
  const double fraction = static_cast<double>(moved) / keys.size();
  std::printf("remove 1 of 20 nodes: moved %.4f (ideal %.4f)\n", fraction, 1.0 / 20);
  EXPECT_NEAR(fraction, 1.0 / 20, 0.3 / 20);
}

TEST(HashRingDistributionTest, WeightChangesMoveKeysOnlyToOrFromThatNode) {
  const std::vector<std::string> keys = Keys(3, 100000);
  HashRingBuilder b = Builder(10);
  const HashRing base = b.Build().value();
  const std::string node = "10.0.0.4";
  ASSERT_THAT(b.SetWeight(node, 2.0), IsOk());
  const HashRing heavier = b.Build().value();
  ASSERT_THAT(b.SetWeight(node, 0.5), IsOk());
  const HashRing lighter = b.Build().value();
  int gained = 0, lost = 0;
  for (const std::string& k : keys) {
    const std::string_view was = base.Owner(k).value();
    const std::string_view up = heavier.Owner(k).value();
    const std::string_view down = lighter.Owner(k).value();
    if (was != up) {
      ASSERT_EQ(up, node);
      ++gained;
    }
    if (was != down) {
      ASSERT_EQ(was, node);
      ++lost;
    }
  }
  // Doubling the weight adds ~1/11 of the ring (10 -> 11 weight units), halving
  // it removes about half of its ~1/10.
  EXPECT_GT(gained, keys.size() * 0.06);
  EXPECT_LT(gained, keys.size() * 0.13);
  EXPECT_GT(lost, keys.size() * 0.03);
  EXPECT_LT(lost, keys.size() * 0.075);
}

TEST(HashRingDistributionTest, LoadIsProportionalToWeight) {
  // 1000 points per weight unit: a weight-1 node's share has cv 3.2%; the
  // +-12% window is > 3.7 sd for it and wider for heavier nodes.
  HashRingBuilder b = HashRingBuilder::Create({.points_per_node = 1000}).value();
  std::vector<double> weights;
  double total = 0;
  for (int i = 0; i < 12; ++i) {
    const double w = 1 + i % 4;
    weights.push_back(w);
    total += w;
    ASSERT_THAT(b.AddNode(absl::StrCat("w", i < 10 ? "0" : "", i), w), IsOk());
  }
  const HashRing ring = b.Build().value();
  const std::vector<std::string> keys = Keys(4, 600000);
  std::vector<double> load(12, 0);
  for (std::size_t o : Owners(ring, keys)) load[o] += 1;
  double worst = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    // nodes() is sorted by id; the zero-padded ids keep index == i.
    const double expected = keys.size() * weights[i] / total;
    EXPECT_NEAR(load[i] / expected, 1.0, 0.12) << ring.nodes()[i].id;
    worst = std::max(worst, std::abs(load[i] / expected - 1.0));
  }
  std::printf("weights 1..4 x 1000 points: worst load/expected deviation %.4f\n", worst);
}

}  // namespace
}  // namespace cohort::ring
