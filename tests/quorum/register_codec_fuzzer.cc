// Fuzz target for the replicated register's message decoders.
#include <cstdlib>
#include <string_view>

#include "quorum/register_codec.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::quorum;  // NOLINT
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Whatever decodes survives a round trip unchanged. (Varints need not be
  // minimal on input, so the bytes themselves may differ.)
  if (auto write = DecodeWriteRequest(input); write.ok()) {
    auto again = DecodeWriteRequest(EncodeWriteRequest(*write));
    if (!again.ok() || again->key != write->key ||
        again->versioned.value != write->versioned.value ||
        again->versioned.timestamp != write->versioned.timestamp) {
      std::abort();
    }
  }
  if (auto read = DecodeReadResponse(input); read.ok()) {
    auto again = DecodeReadResponse(EncodeReadResponse(*read));
    if (!again.ok() || again->has_value() != read->has_value() ||
        (read->has_value() && ((*again)->value != (*read)->value ||
                               (*again)->timestamp != (*read)->timestamp))) {
      std::abort();
    }
  }
  return 0;
}
