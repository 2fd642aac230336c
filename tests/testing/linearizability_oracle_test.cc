// The checker against a brute-force oracle on small random histories: every
// order that respects real time is tried, with an independent
// implementation of the register semantics. This is what vouches for the
// search's shortcuts (memoization, reads taken without branching, unknown
// outcomes deferred to the end).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cohort/base/random.h"
#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::testing {
namespace {

using Register = std::optional<std::string>;
using Store = std::map<std::string, Register>;

// Applies `op` to `reg` if its recorded result allows; false otherwise.
bool Apply(const Operation& op, Store& store) {
  Register& reg = store[op.key];
  const std::string current = reg.value_or("");
  switch (op.kind) {
    case OpKind::kPut:
      reg = op.value;
      return true;
    case OpKind::kGet:
      if (op.found.has_value() && *op.found != reg.has_value()) return false;
      return current == op.output;
    case OpKind::kCas: {
      const bool swaps = current == op.expected;
      if (op.ok && swaps != (op.output == "true")) return false;
      if (swaps) reg = op.value;
      return true;
    }
  }
  return false;
}

// Tries every linearization of the operations not in `done`. Unknown
// outcomes may be left out (they would come last, unobserved).
bool Search(const std::vector<Operation>& ops, std::vector<bool>& done, const Store& store) {
  bool all_known_done = true;
  for (std::size_t i = 0; i < ops.size(); ++i) all_known_done &= done[i] || !ops[i].ok;
  if (all_known_done) return true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    bool minimal = true;  // no pending op must come before it in real time
    for (std::size_t j = 0; j < ops.size(); ++j) {
      if (!done[j] && j != i && ops[j].ok && ops[j].return_ns < ops[i].call_ns) minimal = false;
    }
    if (!minimal) continue;
    Store next = store;
    if (!Apply(ops[i], next)) continue;
    done[i] = true;
    const bool found = Search(ops, done, next);
    done[i] = false;
    if (found) return true;
  }
  return false;
}

bool Oracle(std::vector<Operation> history) {
  std::erase_if(history, [](const Operation& op) { return op.kind == OpKind::kGet && !op.ok; });
  std::vector<bool> done(history.size(), false);
  return Search(history, done, Store());
}

std::vector<Operation> RandomHistory(Random& random) {
  static const char* const kValues[] = {"", "a", "b"};
  const auto value = [&] { return std::string(kValues[random.Uniform(3)]); };
  std::vector<Operation> history(1 + random.Uniform(7));
  for (Operation& op : history) {
    op.client = static_cast<std::int64_t>(random.Uniform(4));
    op.kind = static_cast<OpKind>(random.Uniform(3));
    op.key = random.Bernoulli(0.8) ? "k" : "j";  // mostly one key: the hard case
    op.call_ns = random.UniformInRange(0, 20);
    op.return_ns = op.call_ns + random.UniformInRange(0, 10);
    op.ok = !random.Bernoulli(0.2);
    if (op.kind != OpKind::kGet) op.value = value();
    if (op.kind == OpKind::kCas) {
      op.expected = value();
      op.output = random.Bernoulli(0.5) ? "true" : "false";
    }
    if (op.kind == OpKind::kGet) {
      op.output = value();
      if (random.Bernoulli(0.3)) op.found = op.output.empty() ? random.Bernoulli(0.5) : true;
    }
  }
  return history;
}

TEST(LincheckOracleTest, AgreesWithBruteForceOnSmallHistories) {
  auto model = NewRegisterModel();
  Random random(20261127);
  int linearizable = 0;
  int minimized = 0;
  constexpr int kHistories = 20'000;
  for (int n = 0; n < kHistories; ++n) {
    const std::vector<Operation> history = RandomHistory(random);
    auto result = CheckLinearizability(history, *model);
    ASSERT_THAT(result, IsOk());
    ASSERT_NE(result->outcome, CheckOutcome::kUnknown);
    const bool expected = Oracle(history);
    ASSERT_EQ(result->outcome == CheckOutcome::kLinearizable, expected)
        << "history " << n << ":\n" << FormatHistory(history) << result->explanation;
    linearizable += expected;
    if (!expected && result->violation_ns.has_value()) {
      // The reported prefix has no linearization, and the one ending at the
      // previous return time has one.
      const auto prefix = [&](std::int64_t cutoff) {
        std::vector<Operation> cut;
        for (Operation op : history) {
          if (op.key != history[result->violation_op].key || op.call_ns > cutoff) continue;
          if (op.return_ns > cutoff) op.ok = false;
          cut.push_back(op);
        }
        return cut;
      };
      const std::int64_t end = *result->violation_ns;
      ASSERT_FALSE(Oracle(prefix(end))) << FormatHistory(history);
      std::int64_t before = std::numeric_limits<std::int64_t>::min();
      for (const Operation& op : history) {
        if (op.ok && op.key == history[result->violation_op].key && op.return_ns < end) {
          before = std::max(before, op.return_ns);
        }
      }
      if (before != std::numeric_limits<std::int64_t>::min()) {
        ASSERT_TRUE(Oracle(prefix(before))) << FormatHistory(history);
      }
      ++minimized;
    }
  }
  // Both verdicts are well represented, so agreement means something.
  EXPECT_GT(linearizable, kHistories / 5);
  EXPECT_LT(linearizable, kHistories * 4 / 5);
  EXPECT_EQ(minimized, kHistories - linearizable);
}

}  // namespace
}  // namespace cohort::testing
