// Fuzz target for the frame decoder: any bytes, decoded as a stream of frames.
// Properties: no crash, no allocation beyond the limit, and every frame that
// decodes re-encodes to exactly the bytes it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/frame.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::transport;  // NOLINT
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::uint32_t kLimit = 1u << 16;
  while (!input.empty()) {
    std::size_t consumed = 0;
    auto frame = DecodeFrame(input, &consumed, kLimit);
    if (!frame.ok()) break;
    if (consumed == 0 || consumed > input.size() || frame->payload.size() > kLimit) std::abort();
    std::string again;
    if (!AppendFrame(frame->header.type, frame->header.flags, frame->header.correlation_id,
                     frame->payload, &again, kLimit)
             .ok() ||
        again != input.substr(0, consumed)) {
      std::abort();
    }
    input.remove_prefix(consumed);
  }
  return 0;
}
