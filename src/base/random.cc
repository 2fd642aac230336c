#include "cohort/base/random.h"

#include <random>

#include "absl/numeric/int128.h"

namespace cohort {
namespace {

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t Rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Random::Random(std::uint64_t seed) : seed_(seed) {
  std::uint64_t sm = seed;
  for (auto& word : s_) word = SplitMix64(sm);
}

std::uint64_t Random::Next64() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

std::uint64_t Random::Uniform(std::uint64_t n) {
  if (n == 0) return 0;
  // Lemire's nearly-divisionless method: multiply, reject the biased sliver.
  absl::uint128 m = absl::uint128(Next64()) * n;
  std::uint64_t low = absl::Uint128Low64(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = absl::uint128(Next64()) * n;
      low = absl::Uint128Low64(m);
    }
  }
  return absl::Uint128High64(m);
}

std::int64_t Random::UniformInRange(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t offset = span == ~std::uint64_t{0} ? Next64() : Uniform(span + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
}

double Random::UniformDouble() {
  return static_cast<double>(Next64() >> 11) * 0x1.0p-53;
}

bool Random::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return UniformDouble() < p;
}

absl::Duration Random::UniformDuration(absl::Duration lo, absl::Duration hi) {
  if (hi <= lo) return lo;
  const std::int64_t span = absl::ToInt64Nanoseconds(hi - lo);
  return lo + absl::Nanoseconds(UniformInRange(0, span));
}

Random Random::Fork() { return Random(Next64()); }

std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view purpose) {
  // FNV-1a over the purpose, mixed with the seed through SplitMix64: stable
  // across platforms, unlike absl::Hash or std::hash.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : purpose) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  std::uint64_t state = seed ^ h;
  return SplitMix64(state);
}

std::uint64_t SeedFromEntropy() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace cohort
