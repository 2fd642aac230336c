// Fuzz target for the S3 XML reader and the typed parsers built on it: any
// input must give a value or a status, never a crash, a hang or unbounded
// memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "blob/s3/s3_xml.h"
#include "blob/s3/xml_reader.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::blob::s3;  // NOLINT
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseXml(text);
  (void)ParseListObjectsV2(text);
  (void)ParseInitiateMultipartUpload(text);
  (void)ParseListParts(text);
  HttpResponse response;
  response.status = 200;
  response.body = std::string(text);
  (void)ParseCopyObjectResult(response);
  (void)ParseCompleteMultipartUpload(response);
  response.status = 503;
  (void)S3ErrorStatus(response, "Fuzz");
  return 0;
}
