// Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent
// Hash Algorithm", 2014).
//
// Pick jump hash when the nodes are numbered 0..n-1 and only ever added or
// removed at the end (shards, partitions, replicas of a sharded store): it needs
// no memory, is ~10 ns, and moves exactly the minimum 1/(n+1) of keys when n
// grows by one. It cannot remove an arbitrary node or weight nodes; use
// HashRing or RendezvousHash for that.
//
// Placement contract: the result for a given (key, num_buckets) is fixed
// forever; it is the paper's reference algorithm bit for bit (64-bit LCG,
// IEEE double division), so it agrees with other faithful implementations
// (Guava excepted, which uses a different generator).
#ifndef COHORT_RING_JUMP_HASH_H_
#define COHORT_RING_JUMP_HASH_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::ring {

// The bucket in [0, num_buckets) for `key`.
//
// Returns InvalidArgument when num_buckets < 1 (the paper's code would return
// -1 there; cohort reports it instead). Thread-safe (pure).
namespace jump_internal {
// The error for num_buckets < 1 (out of line: keeps the inline path small).
absl::Status BadBucketCount(std::int32_t num_buckets);
}  // namespace jump_internal

// Defined inline: the loop is a handful of instructions, and a call costs a
// measurable share of it.
inline absl::StatusOr<std::int32_t> JumpHash(std::uint64_t key, std::int32_t num_buckets) {
  if (num_buckets < 1) return jump_internal::BadBucketCount(num_buckets);
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

// JumpHash(Hash64(key, seed), num_buckets): jump hash of a byte-string key.
// Same status codes as JumpHash. Thread-safe (pure).
absl::StatusOr<std::int32_t> JumpHashKey(std::string_view key, std::int32_t num_buckets,
                                         std::uint64_t seed = 0);

}  // namespace cohort::ring

#endif  // COHORT_RING_JUMP_HASH_H_
