// Backoff sequences, exactly (seeded), and jitter bounds.
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
using ::testing::ElementsAre;

// Runs an always-failing call and returns the waits the policy made.
std::vector<absl::Duration> Waits(RetryOptions o, std::uint64_t seed = 42) {
  AutoAdvanceClock clock;
  auto policy = RetryPolicy::Create(o, MakeContext(&clock, seed));
  EXPECT_TRUE(policy.ok()) << policy.status();
  (void)(*policy)->Run(Idempotency::kIdempotent, [] { return Fail(); });
  return clock.blocks();
}

TEST(RetryBackoffTest, ExponentialWithoutJitterIsExact) {
  RetryOptions o;
  o.max_attempts = 7;
  o.jitter = Jitter::kNone;
  o.initial_backoff = absl::Milliseconds(100);
  o.backoff_multiplier = 2;
  o.max_backoff = absl::Seconds(2);
  EXPECT_THAT(Waits(o), ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200),
                                    absl::Milliseconds(400), absl::Milliseconds(800),
                                    absl::Milliseconds(1600), absl::Seconds(2)));
}

TEST(RetryBackoffTest, MultiplierOneIsConstant) {
  RetryOptions o;
  o.max_attempts = 4;
  o.jitter = Jitter::kNone;
  o.initial_backoff = absl::Milliseconds(250);
  o.backoff_multiplier = 1;
  EXPECT_THAT(Waits(o), ElementsAre(absl::Milliseconds(250), absl::Milliseconds(250),
                                    absl::Milliseconds(250)));
}

TEST(RetryBackoffTest, HugeExponentsSaturateAtTheCap) {
  RetryOptions o;
  o.max_attempts = 200;
  o.jitter = Jitter::kNone;
  o.initial_backoff = absl::Seconds(1);
  o.backoff_multiplier = 10;
  o.max_backoff = absl::Seconds(30);
  std::vector<absl::Duration> waits = Waits(o);
  ASSERT_EQ(waits.size(), 199u);
  EXPECT_EQ(waits[1], absl::Seconds(10));
  EXPECT_EQ(waits[198], absl::Seconds(30));
}

TEST(RetryBackoffTest, FullJitterStaysWithinTheExponentialEnvelope) {
  RetryOptions o;
  o.max_attempts = 8;
  o.jitter = Jitter::kFull;
  o.initial_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Seconds(5);
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<absl::Duration> waits = Waits(o, seed);
    ASSERT_EQ(waits.size(), 7u);
    absl::Duration cap = absl::Milliseconds(100);
    for (absl::Duration w : waits) {
      EXPECT_GE(w, absl::ZeroDuration());
      EXPECT_LE(w, cap);
      cap = std::min(cap * 2, absl::Seconds(5));
    }
  }
}

TEST(RetryBackoffTest, SameSeedSameSequenceDifferentSeedDifferent) {
  RetryOptions o;
  o.max_attempts = 6;
  o.jitter = Jitter::kFull;
  EXPECT_EQ(Waits(o, 7), Waits(o, 7));
  EXPECT_NE(Waits(o, 7), Waits(o, 8));
}

TEST(RetryBackoffTest, DecorrelatedJitterBounds) {
  // sleep = min(cap, uniform(base, 3 * previous sleep)), previous starts at base.
  RetryOptions o;
  o.max_attempts = 12;
  o.jitter = Jitter::kDecorrelated;
  o.initial_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Seconds(3);
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<absl::Duration> waits = Waits(o, seed);
    ASSERT_EQ(waits.size(), 11u);
    absl::Duration previous = absl::Milliseconds(100);
    for (absl::Duration w : waits) {
      EXPECT_GE(w, absl::Milliseconds(100));
      EXPECT_LE(w, std::min(absl::Seconds(3), previous * 3));
      previous = w;
    }
  }
}

TEST(RetryBackoffTest, JitteredSequencesAreReproducible) {
  // Pin one seeded sequence so that a change to the jitter arithmetic or the
  // random stream derivation is noticed.
  RetryOptions o;
  o.max_attempts = 4;
  o.jitter = Jitter::kFull;
  o.initial_backoff = absl::Seconds(1);
  std::vector<absl::Duration> first = Waits(o, 1234);
  std::vector<absl::Duration> again = Waits(o, 1234);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first, again);
  // Each wait is a fresh draw, not a scaled copy of the first.
  EXPECT_NE(first[1], first[0] * 2);
}

TEST(RetryBackoffTest, FullJitterDrawsFromTheDocumentedStream) {
  // The first call of a policy draws from NewRandom("resilience/retry").Fork():
  // uniform in [0, b(n)] for each retry n.
  RetryOptions o;
  o.max_attempts = 5;
  o.jitter = Jitter::kFull;
  o.initial_backoff = absl::Milliseconds(100);
  o.backoff_multiplier = 3;
  o.max_backoff = absl::Seconds(2);
  Context ctx;
  ctx.seed = 99;
  Random root = ctx.NewRandom("resilience/retry");
  Random stream = root.Fork();
  std::vector<absl::Duration> expected;
  for (absl::Duration b : {absl::Milliseconds(100), absl::Milliseconds(300),
                           absl::Milliseconds(900), absl::Seconds(2)}) {
    expected.push_back(stream.UniformDuration(absl::ZeroDuration(), b));
  }
  EXPECT_EQ(Waits(o, 99), expected);
}

TEST(RetryBackoffTest, DecorrelatedJitterDrawsFromTheDocumentedStream) {
  RetryOptions o;
  o.max_attempts = 5;
  o.jitter = Jitter::kDecorrelated;
  o.initial_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Seconds(1);
  Context ctx;
  ctx.seed = 5;
  Random root = ctx.NewRandom("resilience/retry");
  Random stream = root.Fork();
  std::vector<absl::Duration> expected;
  absl::Duration previous = absl::Milliseconds(100);
  for (int i = 0; i < 4; ++i) {
    previous = std::min(absl::Seconds(1),
                        stream.UniformDuration(absl::Milliseconds(100), previous * 3));
    expected.push_back(previous);
  }
  EXPECT_EQ(Waits(o, 5), expected);
}

}  // namespace
}  // namespace cohort
