// MD5 (RFC 1321), private to cohort::ring.
//
// Ketama placement is defined in terms of MD5, so cohort carries its own small
// implementation instead of depending on libcrypto. MD5 is used here only as a
// well-mixed, specified hash; it offers no security and must not be used for
// anything that needs collision resistance.
#ifndef COHORT_SRC_RING_MD5_H_
#define COHORT_SRC_RING_MD5_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace cohort::ring::internal {

using Md5Digest = std::array<std::uint8_t, 16>;

// The 16-byte MD5 digest of `data`. Thread-safe (pure).
Md5Digest Md5(std::string_view data);

// Little-endian 32-bit word `word` (0..3) of `digest`: the way libmemcached and
// libketama turn an MD5 digest into continuum points (word 0 is also
// libhashkit's MEMCACHED_HASH_MD5 key hash).
inline std::uint32_t Md5Word(const Md5Digest& digest, int word) {
  const int i = word * 4;
  return static_cast<std::uint32_t>(digest[i]) | (static_cast<std::uint32_t>(digest[i + 1]) << 8) |
         (static_cast<std::uint32_t>(digest[i + 2]) << 16) |
         (static_cast<std::uint32_t>(digest[i + 3]) << 24);
}

}  // namespace cohort::ring::internal

#endif  // COHORT_SRC_RING_MD5_H_
