// CRC32C (Castagnoli), the checksum of every cohort wire frame and disk
// record.
//
// Uses the SSE4.2 crc32 instruction when the processor has it (checked once at
// run time) and a table-driven software version otherwise; both give the same
// results (iSCSI / RFC 3720 polynomial 0x1EDC6F41, reflected, initial and
// final XOR 0xFFFFFFFF).
#ifndef COHORT_BASE_CRC32C_H_
#define COHORT_BASE_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cohort::crc32c {

// Returns the CRC32C of `data` appended to the data whose CRC32C is
// `init_crc` (Extend(Extend(0, a), b) == Value(a + b)). Thread-safe.
std::uint32_t Extend(std::uint32_t init_crc, const void* data, std::size_t size);

// The CRC32C of `data`.
inline std::uint32_t Value(std::string_view data) {
  return Extend(0, data.data(), data.size());
}

// Stored checksums are masked, so that the CRC of a buffer that itself
// contains CRCs (a record holding a frame, say) stays well distributed.
inline constexpr std::uint32_t kMaskDelta = 0xa282ead8u;

inline std::uint32_t Mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline std::uint32_t Unmask(std::uint32_t masked) {
  const std::uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// True if the hardware instruction is in use (for benchmarks and logs).
bool IsHardwareAccelerated();

}  // namespace cohort::crc32c

#endif  // COHORT_BASE_CRC32C_H_
