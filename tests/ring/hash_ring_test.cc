// HashRing API, errors, pinned placement and successor lists. Distribution
// properties (balance, movement, weights) are in hash_ring_distribution_test.cc.
#include "cohort/ring/hash_ring.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/ring/hash.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HashRingTest, RejectsBadOptions) {
  EXPECT_THAT(HashRingBuilder::Create({.points_per_node = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("points_per_node must be in [1, 65536], got 0")));
  EXPECT_THAT(HashRingBuilder::Create({.points_per_node = -3}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HashRingBuilder::Create({.points_per_node = 65537}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HashRingTest, RejectsBadNodes) {
  HashRingBuilder b = HashRingBuilder::Create().value();
  EXPECT_THAT(b.AddNode("", 1.0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-empty")));
  EXPECT_THAT(b.AddNode("a", 0.0), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("must be finite and > 0, got 0")));
  EXPECT_THAT(b.AddNode("a", -1.0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(b.AddNode("a", std::nan("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(b.AddNode("a", 1e-4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gives 0 ring points")));
  EXPECT_THAT(b.AddNode("a", 1e6),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be <= 1048576")));
  EXPECT_EQ(b.node_count(), 0u);

  ASSERT_THAT(b.AddNode("a"), IsOk());
  EXPECT_THAT(b.AddNode("a", 2.0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("use SetWeight")));
  EXPECT_THAT(b.RemoveNode("zz"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                           HasSubstr("'zz' is not in the ring")));
  EXPECT_THAT(b.SetWeight("zz", 2.0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("AddNode it first")));
  EXPECT_THAT(b.SetWeight("a", 0.0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HashRing::Create({{"x", 1.0}, {"x", 1.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'x' twice")));
}

TEST(HashRingTest, EmptyRingLookupsFailWithPrecondition) {
  const HashRing empty;
  EXPECT_THAT(empty.Owner("k"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("add at least one node")));
  EXPECT_THAT(empty.OwnerIndex("k"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(empty.Successors("k", 2), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(empty.WalkSuccessors("k", [](std::size_t) { return true; }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const HashRing built = HashRingBuilder::Create().value().Build().value();
  EXPECT_THAT(built.Owner("k"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(HashRingTest, PlacementIsPinned) {
  // Expected owners computed by an independent Python transcription of the
  // contract in hash_ring.h (reference libxxhash for Hash64). A failure here
  // means every deployed client would move keys: do not update casually.
  const std::vector<RingNode> nodes = {{"node-a", 1.0}, {"node-b", 2.0}, {"node-c", 0.5}};
  const HashRing r0 = HashRing::Create(nodes, {.points_per_node = 8, .seed = 0}).value();
  EXPECT_EQ(r0.point_count(), 8u + 16u + 4u);
  const std::vector<std::pair<std::string, std::string>> expect0 = {
      {"", "node-a"},       {"a", "node-a"},          {"user:1", "node-a"}, {"user:2", "node-c"},
      {"user:3", "node-b"}, {"session/42", "node-a"}, {"k7", "node-b"},     {"k8", "node-c"},
      {"k9", "node-a"},     {"k10", "node-a"}};
  for (const auto& [key, owner] : expect0) {
    EXPECT_THAT(r0.Owner(key), IsOkAndHolds(owner)) << "key '" << key << "'";
  }
  const HashRing r42 = HashRing::Create(nodes, {.points_per_node = 8, .seed = 42}).value();
  const std::vector<std::pair<std::string, std::string>> expect42 = {
      {"", "node-a"},       {"a", "node-b"},          {"user:1", "node-b"}, {"user:2", "node-b"},
      {"user:3", "node-a"}, {"session/42", "node-a"}, {"k7", "node-a"},     {"k8", "node-c"},
      {"k9", "node-b"},     {"k10", "node-a"}};
  for (const auto& [key, owner] : expect42) {
    EXPECT_THAT(r42.Owner(key), IsOkAndHolds(owner)) << "key '" << key << "'";
  }
  EXPECT_EQ(r0.KeyPosition("abc"), Hash64("abc", 0));
  EXPECT_EQ(r42.KeyPosition("abc"), Hash64("abc", 42));
}

TEST(HashRingTest, InsertionOrderDoesNotMatter) {
  std::vector<RingNode> nodes;
  for (int i = 0; i < 20; ++i) nodes.push_back({absl::StrCat("n", i), 1.0 + (i % 3)});
  const HashRing forward = HashRing::Create(nodes).value();
  std::reverse(nodes.begin(), nodes.end());
  const HashRing backward = HashRing::Create(nodes).value();
  for (int k = 0; k < 5000; ++k) {
    const std::string key = absl::StrCat("key-", k);
    ASSERT_EQ(forward.Owner(key).value(), backward.Owner(key).value());
  }
}

TEST(HashRingTest, NodesSortedAndPointsFollowWeights) {
  const HashRing ring =
      HashRing::Create({{"b", 2.0}, {"a", 1.0}, {"c", 0.25}}, {.points_per_node = 100}).value();
  ASSERT_EQ(ring.node_count(), 3u);
  EXPECT_EQ(ring.nodes()[0].id, "a");
  EXPECT_EQ(ring.nodes()[1].id, "b");
  EXPECT_EQ(ring.PointsOf(0), 100u);
  EXPECT_EQ(ring.PointsOf(1), 200u);
  EXPECT_EQ(ring.PointsOf(2), 25u);
  EXPECT_EQ(ring.point_count(), 325u);
}

TEST(HashRingTest, CopiesShareAndOutliveTheBuilder) {
  HashRing copy;
  {
    HashRingBuilder b = HashRingBuilder::Create().value();
    ASSERT_THAT(b.AddNode("only"), IsOk());
    const HashRing ring = b.Build().value();
    copy = ring;
  }
  EXPECT_THAT(copy.Owner("anything"), IsOkAndHolds("only"));
}

TEST(HashRingTest, ToBuilderRoundTrips) {
  const HashRing ring =
      HashRing::Create({{"a", 1.0}, {"b", 3.0}}, {.points_per_node = 40, .seed = 9}).value();
  HashRingBuilder b = ring.ToBuilder();
  EXPECT_EQ(b.options().points_per_node, 40);
  EXPECT_EQ(b.options().seed, 9u);
  EXPECT_TRUE(b.Contains("b"));
  const HashRing again = b.Build().value();
  for (int k = 0; k < 1000; ++k) {
    const std::string key = absl::StrCat(k);
    ASSERT_EQ(ring.Owner(key).value(), again.Owner(key).value());
  }
}

HashRing MakeRing(int nodes, int points = 160) {
  HashRingBuilder b = HashRingBuilder::Create({.points_per_node = points}).value();
  for (int i = 0; i < nodes; ++i) EXPECT_THAT(b.AddNode(absl::StrCat("node-", i)), IsOk());
  return b.Build().value();
}

TEST(HashRingTest, SuccessorsAreDistinctAndStartWithTheOwner) {
  const HashRing ring = MakeRing(10);
  for (int k = 0; k < 2000; ++k) {
    const std::string key = absl::StrCat("obj/", k);
    for (int n : {1, 3, 10}) {
      const std::vector<std::string_view> succ = ring.Successors(key, n).value();
      ASSERT_EQ(succ.size(), static_cast<std::size_t>(n));
      EXPECT_EQ(succ[0], ring.Owner(key).value());
      EXPECT_EQ(std::set<std::string_view>(succ.begin(), succ.end()).size(), succ.size());
    }
    // Replica lists are prefixes of each other.
    const auto three = ring.Successors(key, 3).value();
    const auto ten = ring.Successors(key, 10).value();
    EXPECT_TRUE(std::equal(three.begin(), three.end(), ten.begin()));
  }
}

TEST(HashRingTest, SuccessorsBeyondNodeCountReturnAllNodes) {
  const HashRing ring = MakeRing(4);
  const auto all = ring.Successors("k", 10).value();
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(std::set<std::string_view>(all.begin(), all.end()).size(), 4u);
  EXPECT_THAT(ring.Successors("k", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n must be >= 1, got 0")));
}

TEST(HashRingTest, SuccessorsSkipTheRemovedNode) {
  // A replica set after removing a member is the old one minus that member
  // plus the next node: the defining property of ring replication.
  const HashRing ring = MakeRing(8);
  HashRingBuilder b = ring.ToBuilder();
  ASSERT_THAT(b.RemoveNode("node-3"), IsOk());
  const HashRing smaller = b.Build().value();
  for (int k = 0; k < 2000; ++k) {
    const std::string key = absl::StrCat("obj/", k);
    std::vector<std::string_view> before = ring.Successors(key, 4).value();
    const std::vector<std::string_view> after = smaller.Successors(key, 3).value();
    before.erase(std::remove(before.begin(), before.end(), "node-3"), before.end());
    before.resize(3);
    ASSERT_EQ(before, after) << key;
  }
}

TEST(HashRingTest, WalkSuccessorsStopsWhenAsked) {
  const HashRing ring = MakeRing(5);
  std::vector<std::size_t> seen;
  ASSERT_THAT(ring.WalkSuccessors("k",
                                  [&](std::size_t i) {
                                    seen.push_back(i);
                                    return seen.size() < 2;
                                  }),
              IsOk());
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], ring.OwnerIndex("k").value());
  EXPECT_EQ(ring.OwnerIndexAt(ring.KeyPosition("k")).value(), seen[0]);
}

TEST(HashRingTest, SnapshotsAreSafeToShareAcrossThreads) {
  const HashRing ring = MakeRing(50);
  std::vector<std::string> keys;
  std::vector<std::size_t> expected;
  for (int k = 0; k < 4000; ++k) {
    keys.push_back(absl::StrCat("t", k));
    expected.push_back(ring.OwnerIndex(keys.back()).value());
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const HashRing local = ring;  // copies share the snapshot
      for (std::size_t k = 0; k < keys.size(); ++k) {
        mismatches[t] += local.OwnerIndex(keys[k]).value() != expected[k];
        mismatches[t] += local.Successors(keys[k], 3).value().size() != 3;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(HashRingTest, SingleNodeOwnsEverything) {
  const HashRing ring = MakeRing(1, 1);
  EXPECT_THAT(ring.Owner("x"), IsOkAndHolds("node-0"));
  EXPECT_THAT(ring.OwnerIndexAt(0), IsOkAndHolds(0u));
  EXPECT_THAT(ring.OwnerIndexAt(~0ULL), IsOkAndHolds(0u));
  EXPECT_THAT(ring.Successors("x", 3).value(), ElementsAre("node-0"));
}

}  // namespace
}  // namespace cohort::ring
