// Randomized properties of the checker on generated histories: linearizable
// by construction must pass (also after weakening), and mutations that no
// order can explain must fail. Seeds are fixed; a failure prints its seed.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cohort/base/random.h"
#include "cohort/testing/history.h"
#include "cohort/testing/history_generator.h"
#include "cohort/testing/linearizability.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::testing {
namespace {

using ::testing::Contains;

constexpr int kSeeds = 300;

RegisterHistoryOptions RandomOptions(Random& random) {
  RegisterHistoryOptions options;
  options.clients = static_cast<int>(random.UniformInRange(1, 8));
  options.keys = static_cast<int>(random.UniformInRange(1, 3));
  options.operations = static_cast<std::size_t>(random.UniformInRange(1, 200));
  // Unknown outcomes stay pending to the end of the history, and each one
  // pending doubles the configurations a failing search must rule out: a
  // realistic share keeps every check small.
  options.unknown_fraction = random.Bernoulli(0.5) ? 0.0 : random.UniformDouble() * 0.05;
  options.record_found = random.Bernoulli(0.5);
  options.max_think_ns = random.UniformInRange(0, 50);
  options.max_latency_ns = random.UniformInRange(1, 500);
  return options;
}

CheckResult MustCheck(const std::vector<Operation>& history) {
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *std::move(result) : CheckResult{.outcome = CheckOutcome::kUnknown};
}

TEST(LincheckRandomTest, GeneratedHistoriesAreLinearizable) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Random random(static_cast<std::uint64_t>(seed));
    auto history = GenerateRegisterHistory(random, RandomOptions(random));
    ASSERT_THAT(history, IsOk());
    const CheckResult result = MustCheck(*history);
    ASSERT_EQ(result.outcome, CheckOutcome::kLinearizable) << result.explanation;
    // The file format keeps everything the checker uses.
    auto reparsed = ParseHistory(FormatHistory(*history));
    ASSERT_THAT(reparsed, IsOk());
    ASSERT_EQ(*reparsed, *history);
  }
}

// Weakening a linearizable history keeps it linearizable: widening
// intervals, turning outcomes into unknowns, dropping reads.
TEST(LincheckRandomTest, WeakenedHistoriesStayLinearizable) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Random random(static_cast<std::uint64_t>(seed) + 1000);
    auto history = GenerateRegisterHistory(random, RandomOptions(random));
    ASSERT_THAT(history, IsOk());
    std::vector<Operation> weakened;
    for (Operation op : *history) {
      const auto what = random.Uniform(20);
      if (what < 5) {
        op.call_ns -= random.UniformInRange(0, 300);
        op.return_ns += random.UniformInRange(0, 300);
      } else if (what == 5 && op.kind != OpKind::kGet) {
        op.ok = false;
      } else if (what < 10 && op.kind == OpKind::kGet) {
        continue;
      }
      weakened.push_back(op);
    }
    const CheckResult result = MustCheck(weakened);
    ASSERT_EQ(result.outcome, CheckOutcome::kLinearizable) << result.explanation;
  }
}

// Index of a random operation with ok == true matching `pred`, or -1.
template <typename Pred>
int PickOp(Random& random, const std::vector<Operation>& history, Pred pred) {
  std::vector<int> candidates;
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (history[i].ok && pred(history[i])) candidates.push_back(static_cast<int>(i));
  }
  if (candidates.empty()) return -1;
  return candidates[random.Uniform(candidates.size())];
}

TEST(LincheckRandomTest, ReadOfAValueNeverWrittenFails) {
  int mutated = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Random random(static_cast<std::uint64_t>(seed) + 2000);
    auto history = GenerateRegisterHistory(random, RandomOptions(random));
    ASSERT_THAT(history, IsOk());
    const int i = PickOp(random, *history, [](const Operation& op) {
      return op.kind == OpKind::kGet;
    });
    if (i < 0) continue;
    ++mutated;
    (*history)[static_cast<std::size_t>(i)].output = "never-written";
    (*history)[static_cast<std::size_t>(i)].found.reset();
    const CheckResult result = MustCheck(*history);
    ASSERT_EQ(result.outcome, CheckOutcome::kNotLinearizable);
    EXPECT_EQ(result.partition, "key \"" + (*history)[static_cast<std::size_t>(i)].key + "\"");
    EXPECT_THAT(result.pending, Contains(result.stuck));
    EXPECT_THAT(result.pending, Contains(static_cast<std::size_t>(i)));
  }
  EXPECT_GT(mutated, kSeeds / 2);
}

TEST(LincheckRandomTest, SwapFromAValueNeverWrittenFails) {
  int mutated = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Random random(static_cast<std::uint64_t>(seed) + 3000);
    RegisterHistoryOptions options = RandomOptions(random);
    options.cas_fraction = 0.4;
    auto history = GenerateRegisterHistory(random, options);
    ASSERT_THAT(history, IsOk());
    const int i = PickOp(random, *history, [](const Operation& op) {
      return op.kind == OpKind::kCas;
    });
    if (i < 0) continue;
    ++mutated;
    Operation& op = (*history)[static_cast<std::size_t>(i)];
    op.expected = "never-written";
    op.output = "true";
    const CheckResult result = MustCheck(*history);
    ASSERT_EQ(result.outcome, CheckOutcome::kNotLinearizable);
    EXPECT_THAT(result.pending, Contains(static_cast<std::size_t>(i)));
  }
  EXPECT_GT(mutated, kSeeds / 2);
}

// A read that saw the latest value moved after a completed later write of
// the same key (with no write in between that could explain it) must fail.
TEST(LincheckRandomTest, ReadMovedPastALaterCompletedWriteFails) {
  int mutated = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Random random(static_cast<std::uint64_t>(seed) + 4000);
    RegisterHistoryOptions options = RandomOptions(random);
    options.unknown_fraction = 0;
    options.cas_fraction = 0;
    auto history = GenerateRegisterHistory(random, options);
    ASSERT_THAT(history, IsOk());
    // Find a put P of value v, and a put Q of the same key that was called
    // after P returned. A new read of v placed after Q returned, with no
    // other put of that key overlapping it, is stale.
    std::vector<Operation>& h = *history;
    std::int64_t end = 0;
    for (const Operation& op : h) end = std::max(end, op.return_ns);
    int p = PickOp(random, h, [](const Operation& op) { return op.kind == OpKind::kPut; });
    if (p < 0) continue;
    const Operation& put = h[static_cast<std::size_t>(p)];
    const bool later_write = std::any_of(h.begin(), h.end(), [&](const Operation& op) {
      return op.kind == OpKind::kPut && op.key == put.key && op.call_ns > put.return_ns;
    });
    if (!later_write) continue;
    ++mutated;
    h.push_back({.client = 99, .kind = OpKind::kGet, .key = put.key, .call_ns = end + 1,
                 .return_ns = end + 2, .output = put.value});
    const CheckResult result = MustCheck(h);
    ASSERT_EQ(result.outcome, CheckOutcome::kNotLinearizable);
    EXPECT_EQ(result.stuck, h.size() - 1);
  }
  EXPECT_GT(mutated, kSeeds / 4);
}

// The size the brief asks the checker to handle quickly; the time is
// measured by bench/testing/lincheck_bench.cc, this checks only the verdict
// and that the search stays near-linear (a deterministic step count).
TEST(LincheckRandomTest, TenThousandOperationsOverTenKeys) {
  Random random(42);
  RegisterHistoryOptions options;
  options.clients = 8;
  options.keys = 10;
  options.operations = 10'000;
  options.unknown_fraction = 0.01;
  auto history = GenerateRegisterHistory(random, options);
  ASSERT_THAT(history, IsOk());
  const CheckResult result = MustCheck(*history);
  EXPECT_EQ(result.outcome, CheckOutcome::kLinearizable) << result.explanation;
  EXPECT_EQ(result.partitions, 10u);
  EXPECT_LT(result.steps, 20 * 10'000);
}

}  // namespace
}  // namespace cohort::testing
