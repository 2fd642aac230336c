// The table-driven CRC32C, exposed so that tests can check the hardware path
// against it on the same inputs.
#ifndef COHORT_SRC_BASE_INTERNAL_CRC32C_PORTABLE_H_
#define COHORT_SRC_BASE_INTERNAL_CRC32C_PORTABLE_H_

#include <cstddef>
#include <cstdint>

namespace cohort::crc32c::internal {

std::uint32_t ExtendPortable(std::uint32_t init_crc, const void* data, std::size_t size);

}  // namespace cohort::crc32c::internal

#endif  // COHORT_SRC_BASE_INTERNAL_CRC32C_PORTABLE_H_
