#include "cohort/ring/rendezvous.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<std::string> Keys(std::uint64_t seed, int count) {
  Random rng(seed);
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(absl::StrCat("obj-", rng.Next64()));
  return keys;
}

std::vector<RingNode> Nodes(int n) {
  std::vector<RingNode> nodes;
  for (int i = 0; i < n; ++i) nodes.push_back({absl::StrCat("n", i < 10 ? "0" : "", i), 1.0});
  return nodes;
}

TEST(RendezvousTest, RejectsBadInput) {
  EXPECT_THAT(RendezvousHash::Create({{"", 1.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-empty")));
  EXPECT_THAT(RendezvousHash::Create({{"a", 0.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite and > 0")));
  EXPECT_THAT(RendezvousHash::Create({{"a", -2.0}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RendezvousHash::Create({{"a", INFINITY}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RendezvousHash::Create({{"a", 1.0}, {"b", 1.0}, {"a", 2.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  const RendezvousHash empty = RendezvousHash::Create({}).value();
  EXPECT_THAT(empty.Owner("k"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(empty.TopN("k", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  const RendezvousHash one = RendezvousHash::Create({{"a", 1.0}}).value();
  EXPECT_THAT(one.TopN("k", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n must be >= 1, got 0")));
}

TEST(RendezvousTest, PlacementIsPinned) {
  // Rankings computed by an independent Python transcription of the contract
  // in rendezvous.h (reference libxxhash for Hash64).
  const RendezvousHash plain =
      RendezvousHash::Create({{"alpha", 1.0}, {"beta", 1.0}, {"gamma", 1.0}, {"delta", 1.0}})
          .value();
  const RendezvousHash weighted =
      RendezvousHash::Create({{"alpha", 1.0}, {"beta", 3.0}, {"gamma", 0.5}, {"delta", 2.0}},
                             {.seed = 7})
          .value();
  EXPECT_FALSE(plain.weighted());
  EXPECT_TRUE(weighted.weighted());
  struct Case {
    std::string key;
    std::vector<std::string> plain, weighted;
  };
  const std::vector<Case> cases = {
      {"", {"alpha", "gamma", "delta", "beta"}, {"beta", "delta", "alpha", "gamma"}},
      {"a", {"alpha", "beta", "gamma", "delta"}, {"beta", "delta", "alpha", "gamma"}},
      {"user:1", {"delta", "alpha", "beta", "gamma"}, {"beta", "alpha", "delta", "gamma"}},
      {"user:2", {"delta", "gamma", "alpha", "beta"}, {"alpha", "beta", "gamma", "delta"}},
      {"object-17", {"delta", "alpha", "gamma", "beta"}, {"beta", "alpha", "delta", "gamma"}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(plain.TopN(c.key, 4).value(), ElementsAreArray(c.plain)) << c.key;
    EXPECT_THAT(weighted.TopN(c.key, 4).value(), ElementsAreArray(c.weighted)) << c.key;
    EXPECT_THAT(plain.Owner(c.key), IsOkAndHolds(c.plain[0]));
    EXPECT_THAT(weighted.Owner(c.key), IsOkAndHolds(c.weighted[0]));
  }
}

TEST(RendezvousTest, TopNIsDistinctAndClampedToNodeCount) {
  const RendezvousHash r = RendezvousHash::Create(Nodes(10)).value();
  for (const std::string& key : Keys(1, 500)) {
    const auto top3 = r.TopN(key, 3).value();
    ASSERT_EQ(top3.size(), 3u);
    EXPECT_EQ(std::set<std::string_view>(top3.begin(), top3.end()).size(), 3u);
    EXPECT_EQ(top3[0], r.Owner(key).value());
    EXPECT_EQ(r.TopN(key, 25).value().size(), 10u);
  }
}

TEST(RendezvousTest, AddAndRemoveMoveTheMinimum) {
  const std::vector<std::string> keys = Keys(2, 100000);
  std::vector<RingNode> nodes = Nodes(20);
  const RendezvousHash base = RendezvousHash::Create(nodes).value();
  nodes.push_back({"zz-new", 1.0});
  const RendezvousHash grown = RendezvousHash::Create(nodes).value();
  nodes.erase(nodes.begin() + 5);  // removes "n05"
  nodes.pop_back();
  const RendezvousHash shrunk = RendezvousHash::Create(nodes).value();
  int added_moves = 0, removed_moves = 0;
  for (const std::string& k : keys) {
    const std::string_view was = base.Owner(k).value();
    const std::string_view up = grown.Owner(k).value();
    const std::string_view down = shrunk.Owner(k).value();
    if (was != up) {
      ASSERT_EQ(up, "zz-new");
      ++added_moves;
    }
    if (was != down) {
      ASSERT_EQ(was, "n05");
      ++removed_moves;
    } else {
      ASSERT_NE(was, "n05");
    }
  }
  std::printf(
      "rendezvous add 1 to 20: moved %.4f (ideal %.4f); remove 1 of 20: moved %.4f "
      "(ideal %.4f)\n",
      added_moves / 100000.0, 1.0 / 21, removed_moves / 100000.0, 1.0 / 20);
  // No virtual nodes: each node's share is exactly 1/n in expectation, so
  // only key-sampling noise (sd ~0.07% of keys) remains; allow 10% relative.
  EXPECT_NEAR(added_moves / 100000.0, 1.0 / 21, 0.1 / 21);
  EXPECT_NEAR(removed_moves / 100000.0, 1.0 / 20, 0.1 / 20);
}

TEST(RendezvousTest, WeightedSharesAreProportional) {
  std::vector<RingNode> nodes;
  double total = 0;
  for (int i = 0; i < 8; ++i) {
    nodes.push_back({absl::StrCat("w", i), 1.0 + i});
    total += 1.0 + i;
  }
  const RendezvousHash r = RendezvousHash::Create(nodes).value();
  std::vector<double> load(8, 0);
  const std::vector<std::string> keys = Keys(3, 400000);
  for (const std::string& k : keys) ++load[r.OwnerIndex(k).value()];
  for (std::size_t i = 0; i < 8; ++i) {
    // Logarithmic method: exact proportionality in expectation; the smallest
    // share (1/36 of 400000 = 11111 keys) has sd ~1%: allow 5%.
    const double expected = keys.size() * nodes[i].weight / total;
    EXPECT_NEAR(load[i] / expected, 1.0, 0.05) << nodes[i].id;
  }
}

TEST(RendezvousTest, RaisingOneWeightMovesKeysOnlyToThatNode) {
  std::vector<RingNode> nodes = Nodes(10);
  nodes[0].weight = 2.0;  // weighted mode in both snapshots
  const RendezvousHash before = RendezvousHash::Create(nodes).value();
  nodes[3].weight = 3.0;
  const RendezvousHash after = RendezvousHash::Create(nodes).value();
  for (const std::string& k : Keys(4, 50000)) {
    const std::string_view was = before.Owner(k).value();
    const std::string_view now = after.Owner(k).value();
    if (was != now) {
      ASSERT_EQ(now, "n03");
    }
  }
}

TEST(RendezvousTest, EqualWeightsRankAsUnweighted) {
  // Same weights everywhere but one extra heavier node in the weighted set:
  // among the common nodes, the relative order must be identical.
  std::vector<RingNode> nodes = Nodes(6);
  const RendezvousHash plain = RendezvousHash::Create(nodes).value();
  nodes.push_back({"heavy", 4.0});
  const RendezvousHash weighted = RendezvousHash::Create(nodes).value();
  for (const std::string& k : Keys(5, 5000)) {
    std::vector<std::string_view> w = weighted.TopN(k, 7).value();
    w.erase(std::remove(w.begin(), w.end(), "heavy"), w.end());
    ASSERT_EQ(w, plain.TopN(k, 6).value());
  }
}

}  // namespace
}  // namespace cohort::ring
