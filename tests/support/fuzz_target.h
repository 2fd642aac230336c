// The entry point every cohort fuzz target defines (libFuzzer's signature).
// Built either with libFuzzer (COHORT_BUILD_FUZZERS) or with
// tests/support/fuzz_driver.cc as a corpus-replaying ctest.
#ifndef COHORT_TESTS_SUPPORT_FUZZ_TARGET_H_
#define COHORT_TESTS_SUPPORT_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#endif  // COHORT_TESTS_SUPPORT_FUZZ_TARGET_H_
