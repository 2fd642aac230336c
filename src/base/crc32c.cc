#include "cohort/base/crc32c.h"

#include "base/internal/crc32c_portable.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace cohort::crc32c {
namespace {

constexpr std::uint32_t kPolyReflected = 0x82f63b78u;

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero
// bytes, which lets the loop consume 8 bytes per step.
struct Tables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t crc = b;
      for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? kPolyReflected : 0);
      t[0][b] = crc;
    }
    for (std::uint32_t b = 0; b < 256; ++b) {
      for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
};
constexpr Tables kTables;

std::uint64_t LoadLE64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and aarch64 are little-endian
  return v;
}

std::uint32_t ExtendSoftware(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  const auto& t = kTables.t;
  while (n >= 8) {
    const std::uint64_t v = LoadLE64(p) ^ crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
          t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
          t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return crc;
}

// The CRC register after `Bytes` zero bytes are appended, as four table
// lookups: appending zeros is linear over GF(2), so the operator is a 32x32
// bit matrix, built here by squaring the one-byte operator, then tabulated
// per byte of the register. It lets independent CRC streams over adjacent
// blocks be combined (crc(r, A|B) = Shift_|B|(crc(r, A)) ^ crc(0, B)).
template <std::size_t Bytes>
struct ZerosOperator {
  std::array<std::array<std::uint32_t, 256>, 4> t{};

  // Column i of a matrix is the image of bit i.
  using Matrix = std::array<std::uint32_t, 32>;
  static constexpr std::uint32_t Apply(const Matrix& m, std::uint32_t v) {
    std::uint32_t out = 0;
    for (int i = 0; v != 0; ++i, v >>= 1) {
      if (v & 1) out ^= m[i];
    }
    return out;
  }

  constexpr ZerosOperator() {
    static_assert((Bytes & (Bytes - 1)) == 0, "a power of two");
    Matrix m{};  // one zero byte: eight shifts of the reflected register
    for (int i = 0; i < 32; ++i) {
      std::uint32_t crc = 1u << i;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1) ? kPolyReflected : 0);
      m[i] = crc;
    }
    for (std::size_t n = 1; n < Bytes; n *= 2) {
      Matrix squared{};
      for (int i = 0; i < 32; ++i) squared[i] = Apply(m, m[i]);
      m = squared;
    }
    for (int k = 0; k < 4; ++k) {
      for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = Apply(m, b << (8 * k));
    }
  }

  std::uint32_t operator()(std::uint32_t crc) const {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^
           t[3][crc >> 24];
  }
};

// Block sizes of the three interleaved streams: long for bulk data, short for
// what is left of it, so that only a few hundred bytes run on one stream.
constexpr std::size_t kLongBlock = 8192;
constexpr std::size_t kShortBlock = 256;
constexpr ZerosOperator<kLongBlock> kShiftLong;
constexpr ZerosOperator<kShortBlock> kShiftShort;

#if defined(__x86_64__)
// Three crc32 instructions in flight at once over three adjacent blocks: the
// instruction's latency is three times its issue interval, so one stream
// alone leaves two thirds of its throughput unused.
template <std::size_t Block, typename Shift>
__attribute__((target("sse4.2"))) std::uint64_t ThreeStreams(std::uint64_t c0,
                                                             const unsigned char*& p,
                                                             std::size_t& n, const Shift& shift) {
  while (n >= 3 * Block) {
    std::uint64_t c1 = 0, c2 = 0;
    for (const unsigned char* end = p + Block; p < end; p += 8) {
      c0 = __builtin_ia32_crc32di(c0, LoadLE64(p));
      c1 = __builtin_ia32_crc32di(c1, LoadLE64(p + Block));
      c2 = __builtin_ia32_crc32di(c2, LoadLE64(p + 2 * Block));
    }
    c0 = shift(static_cast<std::uint32_t>(c0)) ^ static_cast<std::uint32_t>(c1);
    c0 = shift(static_cast<std::uint32_t>(c0)) ^ static_cast<std::uint32_t>(c2);
    p += 2 * Block;
    n -= 3 * Block;
  }
  return c0;
}

__attribute__((target("sse4.2"))) std::uint32_t ExtendHardware(std::uint32_t crc,
                                                               const unsigned char* p,
                                                               std::size_t n) {
  std::uint64_t c = crc;
  c = ThreeStreams<kLongBlock>(c, p, n, kShiftLong);
  c = ThreeStreams<kShortBlock>(c, p, n, kShiftShort);
  while (n >= 8) {
    c = __builtin_ia32_crc32di(c, LoadLE64(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return c32;
}

bool DetectSse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

using ExtendFn = std::uint32_t (*)(std::uint32_t, const unsigned char*, std::size_t);

ExtendFn Choose() {
#if defined(__x86_64__)
  if (DetectSse42()) return &ExtendHardware;
#endif
  return &ExtendSoftware;
}

// Chosen once; a function-local static is initialised thread-safely.
ExtendFn Implementation() {
  static const ExtendFn fn = Choose();
  return fn;
}

}  // namespace

std::uint32_t Extend(std::uint32_t init_crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  return ~Implementation()(~init_crc, p, size);
}

bool IsHardwareAccelerated() { return Implementation() != &ExtendSoftware; }

namespace internal {
// Exposed for tests that compare both paths on the same input.
std::uint32_t ExtendPortable(std::uint32_t init_crc, const void* data, std::size_t size) {
  return ~ExtendSoftware(~init_crc, static_cast<const unsigned char*>(data), size);
}
}  // namespace internal

}  // namespace cohort::crc32c
