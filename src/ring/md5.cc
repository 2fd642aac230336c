#include "ring/md5.h"

#include <cstring>
#include <utility>

namespace cohort::ring::internal {
namespace {

// Per-round shift amounts and sine-derived constants, RFC 1321 section 3.4.
constexpr int kShift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

constexpr std::uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

constexpr std::uint32_t Rotl32(std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

// Message word used by step i (RFC 1321 section 3.4).
constexpr int WordIndex(int i) {
  return i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15;
}

// One step with every index, shift and round function fixed at compile time,
// so the 64 steps unroll into straight-line code. MD5 dominates a ketama
// lookup; a loop with run-time indexes made KetamaRing ~1.4x slower.
template <int kStep>
inline void Step(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d,
                 const std::uint32_t* m) {
  std::uint32_t f;
  if constexpr (kStep < 16) {
    f = d ^ (b & (c ^ d));
  } else if constexpr (kStep < 32) {
    f = c ^ (d & (b ^ c));
  } else if constexpr (kStep < 48) {
    f = b ^ c ^ d;
  } else {
    f = c ^ (b | ~d);
  }
  const std::uint32_t next = b + Rotl32(a + f + kSine[kStep] + m[WordIndex(kStep)], kShift[kStep]);
  a = d;
  d = c;
  c = b;
  b = next;
}

template <int... kSteps>
inline void AllSteps(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d,
                     const std::uint32_t* m, std::integer_sequence<int, kSteps...>) {
  (Step<kSteps>(a, b, c, d, m), ...);
}

void Compress(std::uint32_t state[4], const unsigned char* block) {
  std::uint32_t m[16];
  for (int i = 0; i < 16; ++i) {
    const unsigned char* w = block + 4 * i;
    m[i] = static_cast<std::uint32_t>(w[0]) | (static_cast<std::uint32_t>(w[1]) << 8) |
           (static_cast<std::uint32_t>(w[2]) << 16) | (static_cast<std::uint32_t>(w[3]) << 24);
  }
  std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  AllSteps(a, b, c, d, m, std::make_integer_sequence<int, 64>());
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

}  // namespace

Md5Digest Md5(std::string_view data) {
  std::uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t remaining = data.size();
  while (remaining >= 64) {
    Compress(state, p);
    p += 64;
    remaining -= 64;
  }
  // Padding: 0x80, zeros, then the bit length as a little-endian 64-bit word;
  // one extra block when fewer than 9 bytes are left in the last one.
  unsigned char tail[128] = {};
  std::memcpy(tail, p, remaining);
  tail[remaining] = 0x80;
  const std::size_t tail_len = remaining < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_len - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
  }
  Compress(state, tail);
  if (tail_len == 128) Compress(state, tail + 64);

  Md5Digest out;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      out[4 * i + j] = static_cast<std::uint8_t>(state[i] >> (8 * j));
    }
  }
  return out;
}

}  // namespace cohort::ring::internal
