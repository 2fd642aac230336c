// The conformance suite against file://, through blob::Open with a URI.
#include "cohort/blob/open.h"
#include "conformance.h"

namespace cohort::blob::testing {
namespace {

BlobBackend FileBackend() {
  return {"file", [](const Context& ctx, const std::string& scratch) {
            return Open("file://" + scratch + "/store", ctx);
          }};
}

INSTANTIATE_TEST_SUITE_P(File, BlobConformanceTest, ::testing::Values(FileBackend()),
                         BackendName);

}  // namespace
}  // namespace cohort::blob::testing
