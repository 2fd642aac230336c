#include "cohort/ring/jump_hash.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cohort/ring/hash.h"

namespace cohort::ring {

absl::StatusOr<std::int32_t> JumpHash(std::uint64_t key, std::int32_t num_buckets) {
  if (num_buckets < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("JumpHash: num_buckets must be >= 1, got ", num_buckets));
  }
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < num_buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    // The paper's exact expression: the double division is part of the
    // placement contract, do not "simplify" it into integer arithmetic.
    j = static_cast<std::int64_t>(
        static_cast<double>(b + 1) *
        (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(b);
}

absl::StatusOr<std::int32_t> JumpHashKey(std::string_view key, std::int32_t num_buckets,
                                         std::uint64_t seed) {
  return JumpHash(Hash64(key, seed), num_buckets);
}

}  // namespace cohort::ring
