// Fuzz target for the upload journal's line decoders: any input must give a
// value or kDataLoss, never a crash; a decoded line re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "blob/transfer_journal.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::blob::internal;  // NOLINT
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto header = ParseHeaderLine(text); header.ok()) {
    if (!ParseHeaderLine(HeaderLine(*header)).ok()) std::abort();
  }
  if (auto part = ParsePartLine(text); part.ok()) {
    if (!ParsePartLine(PartLine(*part)).ok()) std::abort();
  }
  return 0;
}
