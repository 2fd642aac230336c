// Hand-written histories for the checker with the register model: each one
// is linearizable or not for a reason a reader can check on paper.
#include "cohort/testing/linearizability.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/testing/history.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Operation Put(std::string key, std::string value, std::int64_t call, std::int64_t ret,
              std::int64_t client = 1) {
  return {.client = client, .kind = OpKind::kPut, .key = std::move(key),
          .value = std::move(value), .call_ns = call, .return_ns = ret};
}
Operation Get(std::string key, std::string output, std::int64_t call, std::int64_t ret,
              std::int64_t client = 2) {
  return {.client = client, .kind = OpKind::kGet, .key = std::move(key), .call_ns = call,
          .return_ns = ret, .output = std::move(output)};
}
Operation Cas(std::string key, std::string expected, std::string value, bool swapped,
              std::int64_t call, std::int64_t ret, std::int64_t client = 3) {
  return {.client = client, .kind = OpKind::kCas, .key = std::move(key),
          .value = std::move(value), .expected = std::move(expected), .call_ns = call,
          .return_ns = ret, .output = swapped ? "true" : "false"};
}
Operation Unknown(Operation op) {
  op.ok = false;
  op.return_ns = 0;
  op.output.clear();
  return op;
}
Operation Found(Operation get, bool found) {
  get.found = found;
  return get;
}

CheckOutcome Check(const std::vector<Operation>& history) {
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? result->outcome : CheckOutcome::kUnknown;
}

constexpr CheckOutcome kYes = CheckOutcome::kLinearizable;
constexpr CheckOutcome kNo = CheckOutcome::kNotLinearizable;

TEST(LincheckCheckerTest, EmptyAndSequentialHistories) {
  EXPECT_EQ(Check({}), kYes);
  EXPECT_EQ(Check({Get("x", "", 0, 1)}), kYes);
  EXPECT_EQ(Check({Put("x", "a", 0, 1), Get("x", "a", 2, 3), Put("x", "b", 4, 5),
                   Get("x", "b", 6, 7)}),
            kYes);
}

TEST(LincheckCheckerTest, StaleReadAfterACompletedWriteIsExplained) {
  const std::vector<Operation> history = {Put("x", "a", 0, 10), Put("x", "b", 20, 30),
                                          Get("x", "a", 40, 50, 7)};
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, kNo);
  EXPECT_EQ(result->partition, "key \"x\"");
  EXPECT_THAT(result->linearized, ElementsAre(0, 1));
  EXPECT_EQ(result->stuck, 2u);
  EXPECT_THAT(result->pending, ElementsAre(2));
  EXPECT_THAT(result->explanation, HasSubstr("key \"x\": not linearizable"));
  EXPECT_THAT(result->explanation, HasSubstr("after which the state is \"b\""));
  EXPECT_THAT(result->explanation, HasSubstr("#2 client 7 [40, 50] get(\"x\") -> \"a\""));
  EXPECT_EQ(result->violation_ns, 50);
  EXPECT_EQ(result->violation_op, 2u);
}

TEST(LincheckCheckerTest, ReportsTheShortestPrefixWithoutLinearization) {
  // The read at [20, 30] misses a completed write; what follows is fine, and
  // the write still running at 30 cannot explain the read either.
  const std::vector<Operation> history = {
      Put("x", "a", 0, 10), Get("x", "", 20, 30), Put("x", "c", 25, 100, 3),
      Put("x", "b", 40, 50), Get("x", "c", 60, 70), Get("x", "c", 110, 120)};
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, kNo);
  EXPECT_EQ(result->violation_ns, 30);
  EXPECT_EQ(result->violation_op, 1u);
  EXPECT_THAT(result->explanation,
              HasSubstr("earliest prefix without a linearization ends at 30, when #1 returned: "
                        "the 3 operation(s) called by then"));
}

TEST(LincheckCheckerTest, LongPrefixesAreShortenedInTheExplanation) {
  std::vector<Operation> history;
  for (int i = 0; i < 15; ++i) history.push_back(Put("x", std::to_string(i), 10 * i, 10 * i + 5));
  history.push_back(Get("x", "3", 200, 210));
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->linearized.size(), 15u);
  EXPECT_THAT(result->explanation, HasSubstr("has 15 operations (the first 5 not shown)"));
  EXPECT_THAT(result->explanation, ::testing::Not(HasSubstr("#4 client")));
  EXPECT_THAT(result->explanation, HasSubstr("#5 client 1 [50, 55] put(\"x\", \"5\")"));
}

TEST(LincheckCheckerTest, LostWriteIsNotLinearizable) {
  // Both writes completed, then reads see "a", then "b": one write was
  // reordered after a read that followed it.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Put("x", "b", 0, 10, 2), Get("x", "a", 20, 30),
                   Get("x", "b", 40, 50)}),
            kNo);
  // A write that is never observed although it completed before the read.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Get("x", "", 20, 30)}), kNo);
}

TEST(LincheckCheckerTest, ConcurrentOperationsFitOnlyOneOrder) {
  // The get overlaps the put, so it may read before it ...
  EXPECT_EQ(Check({Put("x", "a", 0, 100), Get("x", "", 10, 20), Get("x", "a", 30, 40)}), kYes);
  // ... but once a read saw the write, a later read cannot miss it.
  EXPECT_EQ(Check({Put("x", "a", 0, 100), Get("x", "a", 10, 20), Get("x", "", 30, 40)}), kNo);
  // Two concurrent writes: the later read decides their order.
  EXPECT_EQ(Check({Put("x", "a", 0, 100), Put("x", "b", 0, 100, 2), Get("x", "a", 110, 120)}),
            kYes);
  EXPECT_EQ(Check({Put("x", "a", 0, 100), Put("x", "b", 0, 100, 2), Get("x", "b", 110, 120),
                   Get("x", "a", 130, 140)}),
            kNo);
  // Touching intervals count as concurrent.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Get("x", "", 10, 20)}), kYes);
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Get("x", "", 11, 20)}), kNo);
}

TEST(LincheckCheckerTest, CasAnomalies) {
  // Sequential cas chain; absent compares equal to "".
  EXPECT_EQ(Check({Cas("x", "", "a", true, 0, 1), Cas("x", "a", "b", true, 2, 3),
                   Cas("x", "a", "c", false, 4, 5), Get("x", "b", 6, 7)}),
            kYes);
  // Two concurrent swaps from the same value cannot both succeed.
  EXPECT_EQ(Check({Put("x", "a", 0, 1), Cas("x", "a", "b", true, 10, 20),
                   Cas("x", "a", "c", true, 10, 20, 4)}),
            kNo);
  // One of them failing is fine, whichever.
  EXPECT_EQ(Check({Put("x", "a", 0, 1), Cas("x", "a", "b", false, 10, 20),
                   Cas("x", "a", "c", true, 10, 20, 4), Get("x", "c", 30, 40)}),
            kYes);
  // A failed swap although the value matched and nothing else ran.
  EXPECT_EQ(Check({Put("x", "a", 0, 1), Cas("x", "a", "b", false, 10, 20)}), kNo);
  // A successful swap from a value the key never held.
  EXPECT_EQ(Check({Cas("x", "z", "b", true, 10, 20)}), kNo);
  // A successful swap whose effect a later read does not see.
  EXPECT_EQ(Check({Put("x", "a", 0, 1), Cas("x", "a", "b", true, 10, 20), Get("x", "a", 30, 40)}),
            kNo);
}

TEST(LincheckCheckerTest, UnknownWriteThatMustHaveHappened) {
  const Operation lost = Unknown(Put("x", "b", 20, 0));
  EXPECT_EQ(Check({Put("x", "a", 0, 10), lost, Get("x", "b", 30, 40)}), kYes);
  // Once observed, it cannot be undone.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), lost, Get("x", "b", 30, 40), Get("x", "a", 50, 60)}),
            kNo);
  // It cannot take effect before it was called.
  EXPECT_EQ(Check({Get("x", "b", 0, 10), Unknown(Put("x", "b", 20, 0))}), kNo);
  // An unknown cas whose swap was observed.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Unknown(Cas("x", "a", "b", true, 20, 0)),
                   Get("x", "b", 30, 40)}),
            kYes);
  EXPECT_EQ(Check({Put("x", "c", 0, 10), Unknown(Cas("x", "a", "b", true, 20, 0)),
                   Get("x", "b", 30, 40)}),
            kNo);
}

TEST(LincheckCheckerTest, UnknownWriteThatMustNotHaveHappened) {
  // Never observed: it may have been lost, or take effect after every read.
  EXPECT_EQ(Check({Put("x", "a", 0, 10), Unknown(Put("x", "b", 20, 0)), Get("x", "a", 100, 110),
                   Get("x", "a", 200, 210)}),
            kYes);
  // Or it takes effect long after its call, after a later write.
  EXPECT_EQ(Check({Unknown(Put("x", "b", 0, 0)), Put("x", "a", 10, 20), Get("x", "a", 30, 40),
                   Get("x", "b", 50, 60)}),
            kYes);
  // An unknown get constrains nothing, whatever its recorded output.
  Operation get = Get("x", "never", 0, 10);
  get.ok = false;
  EXPECT_EQ(Check({get}), kYes);
}

TEST(LincheckCheckerTest, FoundExtensionDistinguishesEmptyFromAbsent) {
  EXPECT_EQ(Check({Put("x", "", 0, 10), Found(Get("x", "", 20, 30), true)}), kYes);
  EXPECT_EQ(Check({Put("x", "", 0, 10), Found(Get("x", "", 20, 30), false)}), kNo);
  EXPECT_EQ(Check({Put("x", "", 0, 10), Get("x", "", 20, 30)}), kYes);
  EXPECT_EQ(Check({Found(Get("x", "", 0, 10), false)}), kYes);
  EXPECT_EQ(Check({Found(Get("x", "", 0, 10), true)}), kNo);
}

TEST(LincheckCheckerTest, KeysAreCheckedIndependently) {
  const std::vector<Operation> history = {
      Put("x", "a", 0, 10), Put("y", "a", 0, 10), Get("x", "a", 20, 30),
      Put("y", "b", 20, 30), Get("y", "a", 40, 50), Get("x", "a", 40, 50)};
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, kNo);
  EXPECT_EQ(result->partition, "key \"y\"");
  EXPECT_EQ(result->stuck, 4u);
  EXPECT_THAT(result->linearized, ElementsAre(1, 3));
  EXPECT_EQ(result->partitions, 2u);
}

TEST(LincheckCheckerTest, ReportsThePendingCallsAtTheFailure) {
  // Two concurrent reads of a value nobody wrote, with a write in between.
  const std::vector<Operation> history = {Put("x", "a", 0, 10), Get("x", "z", 20, 40, 5),
                                          Get("x", "a", 20, 30, 6)};
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, kNo);
  EXPECT_THAT(result->linearized, ElementsAre(0, 2));
  EXPECT_EQ(result->stuck, 1u);
  EXPECT_THAT(result->pending, UnorderedElementsAre(1));
}

TEST(LincheckCheckerTest, StepBudgetAndDeadlineGiveUnknown) {
  const std::vector<Operation> history = {Put("x", "a", 0, 10), Get("x", "a", 20, 30),
                                          Put("y", "a", 0, 10)};
  auto model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model, {.max_steps = 1});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, CheckOutcome::kUnknown);
  EXPECT_EQ(result->partition, "key \"x\"");
  EXPECT_THAT(result->explanation, HasSubstr("max_steps reached"));
  EXPECT_THAT(CheckLinearizability(history, *model, {.max_steps = 3}),
              IsOkAndHolds(::testing::Field(&CheckResult::outcome, kYes)));

  SimulatedClock clock;
  const CheckOptions expired{.clock = &clock, .deadline = clock.Now()};
  result = CheckLinearizability(history, *model, expired);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->outcome, CheckOutcome::kUnknown);
  EXPECT_THAT(result->explanation, HasSubstr("deadline passed"));
  const CheckOptions later{.clock = &clock, .deadline = clock.Now() + absl::Seconds(1)};
  EXPECT_THAT(CheckLinearizability(history, *model, later),
              IsOkAndHolds(::testing::Field(&CheckResult::outcome, kYes)));
}

TEST(LincheckCheckerTest, RejectsBadOptionsAndOperations) {
  auto model = NewRegisterModel();
  const std::vector<Operation> good = {Put("x", "a", 0, 10)};
  EXPECT_THAT(CheckLinearizability(good, *model, {.max_steps = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_steps must be positive")));
  EXPECT_THAT(CheckLinearizability(good, *model, {.deadline = absl::UnixEpoch()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a clock")));
  const std::vector<Operation> bad = {Put("x", "a", 0, 10), Get("x", "a", 30, 20)};
  EXPECT_THAT(CheckLinearizability(bad, *model),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("operation #1")));
}

}  // namespace
}  // namespace cohort::testing
