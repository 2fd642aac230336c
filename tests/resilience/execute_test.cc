// Retry around breaker around the call.
#include "cohort/resilience/execute.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <optional>

#include "cohort/resilience/status_hints.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resilience_test_util.h"

namespace cohort {
namespace {

using ::cohort::resilience_test::AutoAdvanceClock;
using ::cohort::resilience_test::Fail;
using ::cohort::resilience_test::MakeContext;
using ::cohort::resilience_test::MustCreate;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ExecuteTest : public ::testing::Test {
 protected:
  ExecuteTest() {
    CircuitBreakerOptions b = CircuitBreakerOptions::LikeGobreaker();
    b.name = "payments";
    b.consecutive_failures_threshold = 2;
    b.wait_duration_in_open_state = absl::Seconds(5);
    breaker_ = MustCreate(b, &clock_);
    RetryOptions r;
    r.max_attempts = 5;
    r.jitter = Jitter::kNone;
    r.initial_backoff = absl::Seconds(1);
    retry_ = std::move(*RetryPolicy::Create(r, MakeContext(&clock_)));
  }

  void TripBreaker() {
    for (int i = 0; i < 2; ++i) (void)breaker_->Call([] { return Fail(); });
    ASSERT_EQ(breaker_->state(), CircuitState::kOpen);
  }

  AutoAdvanceClock clock_;
  std::unique_ptr<CircuitBreaker> breaker_;
  std::unique_ptr<RetryPolicy> retry_;
};

TEST_F(ExecuteTest, RetryHonoursTheOpenBreakersRetryAfter) {
  int downstream = 0;
  absl::StatusOr<int> r = Execute(*retry_, breaker_.get(), Idempotency::kIdempotent,
                                  [&]() -> absl::StatusOr<int> {
                                    if (++downstream <= 2) return Fail();
                                    return 99;
                                  });
  EXPECT_THAT(r, IsOkAndHolds(99));
  // t=0 fail, wait 1 s; t=1 fail and trip (open until 6), wait 2 s; t=3 the
  // breaker rejects with retry-after 3 s; t=6 the half-open trial succeeds.
  EXPECT_EQ(downstream, 3);
  EXPECT_THAT(clock_.blocks(),
              ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)));
  EXPECT_EQ(breaker_->state(), CircuitState::kClosed);
}

TEST_F(ExecuteTest, NonIdempotentCallIsRetriedThroughAnOpenBreaker) {
  TripBreaker();
  int posts = 0;
  absl::Status s = Execute(*retry_, breaker_.get(), Idempotency::kNonIdempotent, [&] {
    ++posts;
    return absl::OkStatus();
  });
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(posts, 1);  // sent once, after the rejection that never left
  EXPECT_THAT(clock_.blocks(), ElementsAre(absl::Seconds(5)));
}

TEST_F(ExecuteTest, NonIdempotentCallThatReachedTheServerIsNotRetried) {
  int posts = 0;
  absl::Status s = Execute(*retry_, breaker_.get(), Idempotency::kNonIdempotent, [&] {
    ++posts;
    return Fail();
  });
  EXPECT_EQ(posts, 1);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not idempotent")));
}

TEST_F(ExecuteTest, OpenBreakerBeyondTheTimeoutFailsFast) {
  RetryOptions r;
  r.timeout = absl::Seconds(2);
  auto fast = std::move(*RetryPolicy::Create(r, MakeContext(&clock_)));
  TripBreaker();
  int downstream = 0;
  absl::Status s = Execute(*fast, breaker_.get(), Idempotency::kIdempotent, [&] {
    ++downstream;
    return absl::OkStatus();
  });
  EXPECT_EQ(downstream, 0);
  EXPECT_TRUE(clock_.blocks().empty());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded,
                          AllOf(HasSubstr("server asked to wait 5s"),
                                HasSubstr("circuit breaker 'payments' is open"))));
}

TEST_F(ExecuteTest, NullBreakerIsJustRetry) {
  int calls = 0;
  absl::Status s = Execute(*retry_, nullptr, Idempotency::kIdempotent,
                           [&] { return ++calls < 2 ? Fail() : absl::OkStatus(); });
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(calls, 2);
}

TEST_F(ExecuteTest, AsyncFormThroughAnOpenBreaker) {
  asio::io_context io;
  TripBreaker();
  int posts = 0;
  const absl::Time start = clock_.Now();
  std::optional<absl::StatusOr<std::string>> result;
  asio::co_spawn(
      io,
      [&]() -> Awaitable<void> {
        result =
            co_await AsyncExecute(*retry_, breaker_.get(), Idempotency::kNonIdempotent,
                                  [&]() -> Awaitable<absl::StatusOr<std::string>> {
                                    ++posts;
                                    co_return std::string("created");
                                  });
      },
      asio::detached);
  testing::RunUntilIdle(io, clock_.sim());
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOkAndHolds(std::string("created")));
  EXPECT_EQ(posts, 1);
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace cohort
