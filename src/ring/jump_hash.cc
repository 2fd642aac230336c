#include "cohort/ring/jump_hash.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cohort/ring/hash.h"

namespace cohort::ring {

namespace jump_internal {

absl::Status BadBucketCount(std::int32_t num_buckets) {
  return absl::InvalidArgumentError(
      absl::StrCat("JumpHash: num_buckets must be >= 1, got ", num_buckets));
}

}  // namespace jump_internal

absl::StatusOr<std::int32_t> JumpHashKey(std::string_view key, std::int32_t num_buckets,
                                         std::uint64_t seed) {
  return JumpHash(Hash64(key, seed), num_buckets);
}

}  // namespace cohort::ring
