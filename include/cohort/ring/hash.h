// Hash functions whose outputs are part of cohort::ring's placement contract.
//
// Every placement cohort::ring computes (HashRing points and key positions,
// jump hash of string keys, rendezvous scores) is derived from the two
// functions below. Their outputs are specified, not implementation-defined:
// the same input gives the same 64-bit value on every platform, compiler and
// cohort version, so clients built at different times agree on which node owns
// a key. Known-answer tests in tests/ring/hash_test.cc pin them; changing
// either one is a breaking change that would move every key.
#ifndef COHORT_RING_HASH_H_
#define COHORT_RING_HASH_H_

#include <cstdint>
#include <string_view>

namespace cohort::ring {

// XXH64 (xxHash 64-bit, as specified by Yann Collet's xxHash 0.8) of `data`
// with `seed`. Byte order: reads `data` as little-endian words on every
// platform, matching the reference implementation. Thread-safe (pure).
std::uint64_t Hash64(std::string_view data, std::uint64_t seed = 0);

// The SplitMix64 finalizer (Steele, Lea and Flood): a bijective 64-bit mixer.
// Used to derive many ring points from one node hash and to combine a key hash
// with a node hash. Thread-safe (pure).
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

}  // namespace cohort::ring

#endif  // COHORT_RING_HASH_H_
