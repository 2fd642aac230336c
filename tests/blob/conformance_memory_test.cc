// The conformance suite against mem://.
#include "cohort/blob/local.h"
#include "conformance.h"

namespace cohort::blob::testing {
namespace {

BlobBackend MemoryBackend() {
  return {"memory", [](const Context& ctx, const std::string&) {
            return NewMemoryBlobStorage(ctx, "conformance");
          }};
}

INSTANTIATE_TEST_SUITE_P(Memory, BlobConformanceTest, ::testing::Values(MemoryBackend()),
                         BackendName);

}  // namespace
}  // namespace cohort::blob::testing
