// Fuzz target for the RPC request and response decoders. Properties: no
// crash, no oversized allocation, and whatever decodes re-encodes to bytes
// that decode to the same message.
#include <cstdlib>
#include <string>
#include <string_view>

#include "support/fuzz_target.h"
#include "transport/rpc_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::transport;  // NOLINT
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto request = DecodeRequest(input); request.ok()) {
    std::string again;
    EncodeRequest(*request, &again);
    auto twice = DecodeRequest(again);
    if (!twice.ok() || twice->method != request->method || twice->body != request->body ||
        twice->timeout != request->timeout ||
        twice->trace.traceparent != request->trace.traceparent) {
      std::abort();
    }
  }
  if (auto response = DecodeResponse(input); response.ok()) {
    std::string again;
    EncodeResponse(*response, &again);
    auto twice = DecodeResponse(again);
    if (!twice.ok() || twice->status != response->status || twice->body != response->body) {
      std::abort();
    }
  }
  return 0;
}
