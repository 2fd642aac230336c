// RetryBudget: gRFC A6 retry throttling.
#include "cohort/resilience/retry_budget.h"

#include <thread>
#include <vector>

#include "cohort/resilience/retry_policy.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::AutoAdvanceClock;
using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MakeContext;
using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

std::shared_ptr<RetryBudget> Budget(double max_tokens, double ratio) {
  auto b = RetryBudget::Create(max_tokens, ratio);
  EXPECT_THAT(b, IsOk());
  return *b;
}

TEST(RetryBudgetTest, StartsFullAndThrottlesAtHalf) {
  auto budget = Budget(10, 0.1);
  EXPECT_EQ(budget->tokens(), 10);
  EXPECT_TRUE(budget->RetryAllowed());
  for (int i = 0; i < 4; ++i) budget->RecordFailure();
  EXPECT_EQ(budget->tokens(), 6);
  EXPECT_TRUE(budget->RetryAllowed());
  budget->RecordFailure();  // 5: not > 10/2
  EXPECT_FALSE(budget->RetryAllowed());
}

TEST(RetryBudgetTest, SuccessesRefillByRatioUpToMax) {
  auto budget = Budget(10, 0.1);
  for (int i = 0; i < 5; ++i) budget->RecordFailure();
  budget->RecordSuccess();  // 5.1
  EXPECT_DOUBLE_EQ(budget->tokens(), 5.1);
  EXPECT_TRUE(budget->RetryAllowed());
  for (int i = 0; i < 1000; ++i) budget->RecordSuccess();
  EXPECT_EQ(budget->tokens(), 10);
}

TEST(RetryBudgetTest, NeverBelowZero) {
  auto budget = Budget(3, 1);
  for (int i = 0; i < 10; ++i) budget->RecordFailure();
  EXPECT_EQ(budget->tokens(), 0);
  budget->RecordSuccess();
  EXPECT_EQ(budget->tokens(), 1);
}

TEST(RetryBudgetTest, BadParameters) {
  EXPECT_THAT(RetryBudget::Create(0, 0.1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_tokens must be in (0, 1000], got 0")));
  EXPECT_THAT(RetryBudget::Create(1001, 0.1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_tokens")));
  EXPECT_THAT(RetryBudget::Create(10, 0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("token_ratio must be in (0, 1], got 0")));
  EXPECT_THAT(RetryBudget::Create(10, 0.0001).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("three decimals")));
}

TEST(RetryBudgetTest, RetriesStopWhenFailuresDominateAndResumeAfterSuccesses) {
  AutoAdvanceClock clock;
  auto budget = Budget(4, 0.5);  // retries allowed while tokens > 2
  RetryOptions o;
  o.max_attempts = 10;
  o.jitter = Jitter::kNone;
  o.budget = budget;
  auto policy = *RetryPolicy::Create(o, MakeContext(&clock));
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return Fail();
  });
  // 4 -> 3 (retry) -> 2 (throttled).
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("retry budget exhausted")));

  // While throttled, a failing call gets exactly one attempt.
  calls = 0;
  (void)policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return Fail();
  });
  EXPECT_EQ(calls, 1);  // tokens now 1

  // Successes refill: 1 + 5 * 0.5 = 3.5; the next failure leaves 2.5 > 2,
  // so retries resume.
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(policy->Run(Idempotency::kIdempotent, [] { return absl::OkStatus(); }),
                IsOk());
  }
  calls = 0;
  absl::Status ok = policy->Run(Idempotency::kIdempotent,
                                [&] { return ++calls < 2 ? Fail() : absl::OkStatus(); });
  EXPECT_THAT(ok, IsOk());
  EXPECT_EQ(calls, 2);
}

TEST(RetryBudgetTest, NonRetryableErrorsDoNotSpendTokens) {
  AutoAdvanceClock clock;
  auto budget = Budget(10, 0.1);
  RetryOptions o;
  o.budget = budget;
  auto policy = *RetryPolicy::Create(o, MakeContext(&clock));
  for (int i = 0; i < 20; ++i) {
    (void)policy->Run(Idempotency::kIdempotent, [] { return absl::NotFoundError("x"); });
  }
  EXPECT_EQ(budget->tokens(), 10);
}

TEST(RetryBudgetTest, SharedAcrossThreadsStaysWithinBounds) {
  auto budget = Budget(100, 0.25);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&budget, t] {
      for (int i = 0; i < 10'000; ++i) {
        if ((i + t) % 2 == 0) {
          budget->RecordFailure();
        } else {
          budget->RecordSuccess();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(budget->tokens(), 0);
  EXPECT_LE(budget->tokens(), 100);
  // Failures dominate (1 token each vs 0.25 back): the bucket drained.
  EXPECT_FALSE(budget->RetryAllowed());
}

}  // namespace
}  // namespace cohort
