// Fuzz target for ParseBlobUri: any bytes. Properties: no crash; a parsed
// s3:// bucket passes the bucket rules; a parsed file root is absolute.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cohort/blob/uri.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::blob;  // NOLINT
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto uri = ParseBlobUri(input);
  if (!uri.ok()) return 0;
  if (uri->scheme == BlobUri::Scheme::kS3 && !ValidateS3BucketName(uri->s3.bucket).ok()) {
    std::abort();
  }
  if (uri->scheme == BlobUri::Scheme::kFile &&
      (uri->file_root.empty() || uri->file_root.front() != '/')) {
    std::abort();
  }
  return 0;
}
