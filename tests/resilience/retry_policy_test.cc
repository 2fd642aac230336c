// RetryPolicy (blocking form): attempts, deadline, predicate, idempotency
// gate, pushback, observer, options.
#include "cohort/resilience/retry_policy.h"

#include <vector>

#include "cohort/resilience/status_hints.h"
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
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

RetryOptions NoJitter(int attempts) {
  RetryOptions o;
  o.max_attempts = attempts;
  o.jitter = Jitter::kNone;
  o.initial_backoff = absl::Seconds(1);
  o.backoff_multiplier = 2;
  o.max_backoff = absl::Seconds(60);
  return o;
}

class RetryPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<RetryPolicy> Make(RetryOptions o) {
    auto p = RetryPolicy::Create(std::move(o), MakeContext(&clock_));
    EXPECT_THAT(p, IsOk());
    return p.ok() ? std::move(*p) : nullptr;
  }
  AutoAdvanceClock clock_;
};

TEST_F(RetryPolicyTest, SucceedsAfterTransientFailures) {
  auto policy = Make(NoJitter(5));
  int calls = 0;
  absl::StatusOr<int> r =
      policy->Run(Idempotency::kIdempotent, [&]() -> absl::StatusOr<int> {
        if (++calls < 3) return Fail();
        return 42;
      });
  EXPECT_THAT(r, IsOkAndHolds(42));
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(clock_.blocks(), ElementsAre(absl::Seconds(1), absl::Seconds(2)));
}

TEST_F(RetryPolicyTest, FirstSuccessNeverWaits) {
  auto policy = Make(NoJitter(5));
  EXPECT_THAT(policy->Run(Idempotency::kIdempotent, [] { return absl::OkStatus(); }),
              IsOk());
  EXPECT_TRUE(clock_.blocks().empty());
}

TEST_F(RetryPolicyTest, StopsAtMaxAttemptsWithTheLastError) {
  auto policy = Make(NoJitter(3));
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return absl::UnavailableError(absl::StrCat("boom ", calls));
  });
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kUnavailable,
                  AllOf(HasSubstr("gave up after 3 attempts"), HasSubstr("boom 3"))));
}

TEST_F(RetryPolicyTest, MaxAttemptsOneNeverRetries) {
  auto policy = Make(NoJitter(1));
  int calls = 0;
  (void)policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return Fail();
  });
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryPolicyTest, DefaultRetriesOnlyUnavailable) {
  auto policy = Make(NoJitter(5));
  for (absl::StatusCode code :
       {absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kInternal,
        absl::StatusCode::kInvalidArgument, absl::StatusCode::kAborted}) {
    int calls = 0;
    absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
      ++calls;
      return absl::Status(code, "no");
    });
    EXPECT_EQ(calls, 1) << code;
    EXPECT_EQ(s, absl::Status(code, "no"));  // returned untouched
  }
}

TEST_F(RetryPolicyTest, CustomRetryablePredicate) {
  RetryOptions o = NoJitter(4);
  o.retryable = [](const absl::Status& s) {
    return s.code() == absl::StatusCode::kAborted;
  };
  auto policy = Make(o);
  int calls = 0;
  (void)policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return absl::AbortedError("conflict");
  });
  EXPECT_EQ(calls, 4);
}

TEST_F(RetryPolicyTest, TimeoutCutsRetriesShortWithoutSleepingPastIt) {
  RetryOptions o = NoJitter(10);
  o.timeout = absl::Seconds(5);
  auto policy = Make(o);
  const absl::Time start = clock_.Now();
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return absl::UnavailableError("still down");
  });
  // Waits 1 s and 2 s (t=3); the next 4 s wait would end at t=7 > 5: stop now.
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(clock_.blocks(), ElementsAre(absl::Seconds(1), absl::Seconds(2)));
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(3));
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr("retry timeout of 5s would pass before attempt 4"),
                             HasSubstr("last error: UNAVAILABLE: still down"))));
}

TEST_F(RetryPolicyTest, SlowAttemptsUseUpTheTimeout) {
  RetryOptions o = NoJitter(10);
  o.timeout = absl::Seconds(5);
  auto policy = Make(o);
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    clock_.AdvanceTime(absl::Seconds(6));  // the attempt itself overruns
    return Fail();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(clock_.blocks().empty());
}

// The seed's "never retry POSTs blindly".
TEST_F(RetryPolicyTest, NonIdempotentCallIsNotRetriedAfterItMayHaveBeenSent) {
  auto policy = Make(NoJitter(5));
  int posts = 0;
  absl::Status s = policy->Run(Idempotency::kNonIdempotent, [&] {
    ++posts;
    return absl::UnavailableError("connection reset after request was written");
  });
  EXPECT_EQ(posts, 1);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          HasSubstr("not retried: the call is not idempotent")));
}

TEST_F(RetryPolicyTest, NonIdempotentCallIsRetriedWhenNotSent) {
  auto policy = Make(NoJitter(5));
  int posts = 0;
  absl::StatusOr<int> r =
      policy->Run(Idempotency::kNonIdempotent, [&]() -> absl::StatusOr<int> {
        if (++posts < 3) return MarkNotSent(absl::UnavailableError("connect refused"));
        return 201;
      });
  EXPECT_THAT(r, IsOkAndHolds(201));
  EXPECT_EQ(posts, 3);
}

TEST_F(RetryPolicyTest, IdempotentCallIsRetriedEitherWay) {
  auto policy = Make(NoJitter(3));
  int calls = 0;
  (void)policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return Fail();
  });
  EXPECT_EQ(calls, 3);
}

TEST_F(RetryPolicyTest, ServerPushbackReplacesBackoff) {
  auto policy = Make(NoJitter(4));
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    if (calls == 2) return WithRetryAfter(Fail(), absl::Seconds(7));
    if (calls == 3) return WithRetryAfter(Fail(), absl::ZeroDuration());
    return Fail();
  });
  EXPECT_EQ(calls, 4);
  // 1 s backoff, then the server's 7 s, then the server's "now".
  EXPECT_THAT(clock_.blocks(),
              ElementsAre(absl::Seconds(1), absl::Seconds(7), absl::ZeroDuration()));
}

TEST_F(RetryPolicyTest, PushbackBeyondTheTimeoutStopsAtOnce) {
  RetryOptions o = NoJitter(5);
  o.timeout = absl::Seconds(10);
  auto policy = Make(o);
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return WithRetryAfter(absl::UnavailableError("shedding load"), absl::Seconds(30));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock_.blocks().empty());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded,
                          AllOf(HasSubstr("server asked to wait 30s"),
                                HasSubstr("shedding load"))));
}

TEST_F(RetryPolicyTest, InfinitePushbackMeansDoNotRetry) {
  auto policy = Make(NoJitter(5));
  int calls = 0;
  absl::Status s = policy->Run(Idempotency::kIdempotent, [&] {
    ++calls;
    return WithRetryAfter(Fail(), absl::InfiniteDuration());
  });
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("asked not to retry")));
}

TEST_F(RetryPolicyTest, ObserverSeesEveryAttempt) {
  auto policy = Make(NoJitter(3));
  std::vector<std::string> seen;
  int calls = 0;
  (void)policy->Run(
      Idempotency::kIdempotent, [&] { return ++calls < 3 ? Fail() : absl::OkStatus(); },
      [&](const RetryAttempt& a) {
        seen.push_back(
            absl::StrCat(a.attempt, " ", absl::StatusCodeToString(a.status.code()), " ",
                         a.next_delay ? absl::FormatDuration(*a.next_delay) : "-"));
      });
  EXPECT_THAT(seen, ElementsAre("1 UNAVAILABLE 1s", "2 UNAVAILABLE 2s", "3 OK -"));
}

TEST(RetryOptionsTest, BadOptionsAreInvalidArgument) {
  SimulatedClock clock;
  auto check = [&](void (*mutate)(RetryOptions&), const char* text) {
    RetryOptions o;
    mutate(o);
    EXPECT_THAT(RetryPolicy::Create(o, MakeContext(&clock)).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(text)));
  };
  check([](RetryOptions& o) { o.max_attempts = 0; },
        "max_attempts must be >= 1 (1 means no retries), got 0");
  check([](RetryOptions& o) { o.initial_backoff = -absl::Seconds(1); },
        "initial_backoff must be >= 0");
  check([](RetryOptions& o) { o.backoff_multiplier = 0.5; },
        "backoff_multiplier must be >= 1 and finite, got 0.5");
  check([](RetryOptions& o) { o.max_backoff = absl::Milliseconds(10); },
        "max_backoff must be finite and >= initial_backoff (100ms), got 10ms");
  check([](RetryOptions& o) { o.timeout = absl::ZeroDuration(); }, "timeout must be > 0");
  EXPECT_THAT(RetryPolicy::Create(RetryOptions(), Context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort
