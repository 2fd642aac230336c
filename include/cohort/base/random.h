// Random: a seeded, portable pseudo-random source for protocol code.
//
// The generator (xoshiro256**, seeded through SplitMix64) and every
// distribution below are specified by cohort, not by the standard library, so
// a seed replays the same sequence on every platform and compiler. Protocol
// code never uses an unseeded source: a failing simulation prints its seed and
// replays exactly.
#ifndef COHORT_BASE_RANDOM_H_
#define COHORT_BASE_RANDOM_H_

#include <cstdint>
#include <string_view>

#include "absl/time/time.h"

namespace cohort {

// Not thread-safe: give each component its own stream (see Fork() and
// Context::NewRandom()). Cheap to copy; a copy continues the same sequence
// independently.
class Random {
 public:
  explicit Random(std::uint64_t seed);

  // The seed this stream was created from.
  std::uint64_t seed() const { return seed_; }

  // A uniformly distributed 64-bit value.
  std::uint64_t Next64();

  // Uniform in [0, n). Requires n > 0 (returns 0 for n == 0). Unbiased.
  std::uint64_t Uniform(std::uint64_t n);

  // Uniform in [lo, hi]. Requires lo <= hi (returns lo otherwise).
  std::int64_t UniformInRange(std::int64_t lo, std::int64_t hi);

  // Uniform in [0, 1), with 53 bits of precision.
  double UniformDouble();

  // True with probability p; p <= 0 is never, p >= 1 is always.
  bool Bernoulli(double p);

  // Uniform in [lo, hi] at nanosecond granularity. Requires lo <= hi.
  absl::Duration UniformDuration(absl::Duration lo, absl::Duration hi);

  // A new, independent stream derived from this one (advances this stream).
  Random Fork();

 private:
  std::uint64_t seed_;
  std::uint64_t s_[4];
};

// Deterministically derives a seed for the sub-stream named `purpose` of
// `seed`. The same inputs give the same output on every platform.
std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view purpose);

// A seed from the operating system's entropy source, for production contexts.
// Protocol code never calls this; it receives seeds.
std::uint64_t SeedFromEntropy();

}  // namespace cohort

#endif  // COHORT_BASE_RANDOM_H_
