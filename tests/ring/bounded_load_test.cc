#include "cohort/ring/bounded_load.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::ring {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

HashRing Ring(int n, bool weighted = false) {
  std::vector<RingNode> nodes;
  for (int i = 0; i < n; ++i) {
    nodes.push_back({absl::StrCat("node-", i), weighted ? 1.0 + i % 3 : 1.0});
  }
  return HashRing::Create(nodes).value();
}

TEST(BoundedLoadTest, RejectsBadOptionsAndEmptyRing) {
  EXPECT_THAT(
      NewBoundedLoadBalancer(Ring(3), {.epsilon = 0}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("epsilon must be finite and > 0")));
  EXPECT_THAT(NewBoundedLoadBalancer(Ring(3), {.epsilon = -0.5}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewBoundedLoadBalancer(Ring(3), {.epsilon = NAN}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewBoundedLoadBalancer(HashRing()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("at least one node")));
}

TEST(BoundedLoadTest, ReleaseAndLoadErrors) {
  auto lb = NewBoundedLoadBalancer(Ring(3)).value();
  EXPECT_THAT(lb->Release("node-9"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(lb->Release("node-1"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("must match an earlier Assign")));
  EXPECT_THAT(lb->Load("nope"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(lb->Capacity("nope"), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string node(lb->Assign("k").value());
  EXPECT_THAT(lb->Load(node), IsOkAndHolds(1));
  EXPECT_EQ(lb->total_load(), 1);
  EXPECT_THAT(lb->Release(node), IsOk());
  EXPECT_THAT(lb->Load(node), IsOkAndHolds(0));
}

TEST(BoundedLoadTest, UnloadedKeysGoToTheirRingOwner) {
  // Every capacity is >= 1, so a key whose owner holds nothing yet always
  // lands on its owner.
  auto lb = NewBoundedLoadBalancer(Ring(200), {.epsilon = 0.1}).value();
  int checked = 0;
  for (int k = 0; k < 200; ++k) {
    const std::string key = absl::StrCat("key", k);
    const std::string_view owner = lb->ring().Owner(key).value();
    const bool owner_empty = lb->Load(owner).value() == 0;
    const std::string_view chosen = lb->Assign(key).value();
    if (owner_empty) {
      EXPECT_EQ(chosen, owner);
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
}

// Assigns `items` keys (all the same hot key when `hot`), releasing a random
// earlier one now and then, and checks the bound before every assignment.
void CheckBoundHolds(const HashRing& ring, double epsilon, bool hot, std::uint64_t seed) {
  auto lb = NewBoundedLoadBalancer(ring, {.epsilon = epsilon}).value();
  Random rng(seed);
  std::vector<std::string> assigned;
  double total_weight = 0;
  for (const RingNode& n : ring.nodes()) total_weight += n.weight;
  for (int i = 0; i < 20000; ++i) {
    if (!assigned.empty() && rng.Bernoulli(0.3)) {
      const std::size_t victim = rng.Uniform(assigned.size());
      ASSERT_THAT(lb->Release(assigned[victim]), IsOk());
      assigned[victim] = assigned.back();
      assigned.pop_back();
    }
    const std::int64_t total_before = lb->total_load();
    const std::string key = hot ? std::string("hot") : absl::StrCat("k", rng.Next64());
    const std::string node(lb->Assign(key).value());
    assigned.push_back(node);
    for (const RingNode& n : ring.nodes()) {
      const double bound = std::ceil((1 + epsilon) * static_cast<double>(total_before + 1) *
                                     n.weight / total_weight);
      ASSERT_LE(lb->Load(n.id).value(), bound)
          << "node " << n.id << " after " << i << " steps, epsilon " << epsilon;
    }
  }
  EXPECT_EQ(lb->total_load(), static_cast<std::int64_t>(assigned.size()));
}

TEST(BoundedLoadTest, NoNodeExceedsTheBoundUniformKeys) {
  CheckBoundHolds(Ring(10), 0.25, /*hot=*/false, 1);
  CheckBoundHolds(Ring(7, /*weighted=*/true), 0.5, /*hot=*/false, 2);
}

TEST(BoundedLoadTest, NoNodeExceedsTheBoundWithOneHotKey) {
  // Every item has the same key: without the bound a single node would take
  // all of them; with it the load spills clockwise.
  CheckBoundHolds(Ring(10), 0.25, /*hot=*/true, 3);
  CheckBoundHolds(Ring(5, /*weighted=*/true), 1.0, /*hot=*/true, 4);
}

TEST(BoundedLoadTest, HotKeySpillsToSuccessorsInRingOrder) {
  const HashRing ring = Ring(5);
  auto lb = NewBoundedLoadBalancer(ring, {.epsilon = 0.25}).value();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(lb->Assign("hot").ok());
  // Final capacity is ceil(1.25 * 1000 / 5) = 250 at most: the owner and its
  // next successors are full, the total is spread over >= 4 nodes.
  const auto order = ring.Successors("hot", 5).value();
  EXPECT_THAT(lb->Load(order[0]), IsOkAndHolds(::testing::Le(250)));
  EXPECT_GE(lb->Load(order[0]).value(), 240);
  EXPECT_GE(lb->Load(order[1]).value(), 240);
  EXPECT_GE(lb->Load(order[2]).value(), 240);
  EXPECT_EQ(lb->total_load(), 1000);
}

TEST(BoundedLoadTest, ConcurrentAssignAndReleaseKeepCountsConsistent) {
  auto lb = NewBoundedLoadBalancer(Ring(8), {.epsilon = 0.5}).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&lb, t] {
      std::vector<std::string> held;
      for (int i = 0; i < 2000; ++i) {
        held.emplace_back(lb->Assign(absl::StrCat("t", t, "-", i)).value());
        if (i % 2 == 1) {
          EXPECT_TRUE(lb->Release(held.front()).ok());
          held.erase(held.begin());
        }
      }
      for (const std::string& node : held) EXPECT_TRUE(lb->Release(node).ok());
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(lb->total_load(), 0);
  for (const RingNode& n : lb->ring().nodes()) EXPECT_THAT(lb->Load(n.id), IsOkAndHolds(0));
}

}  // namespace
}  // namespace cohort::ring
