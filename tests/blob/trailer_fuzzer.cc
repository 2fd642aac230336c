// Fuzz target for the file:// object format: any bytes, as the content of an
// object file. Properties: no crash, no allocation beyond the attribute
// limit, and a file that decodes re-encodes to exactly its trailer bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "blob/file_format.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::blob::internal;  // NOLINT
  const int fd = ::memfd_create("trailer", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  auto attributes = ReadTrailer(fd, "fuzz");
  ::close(fd);
  if (!attributes.ok()) return 0;
  const std::string tail(reinterpret_cast<const char*>(data) + attributes->size,
                         size - attributes->size);
  if (EncodeTrailer(*attributes) != tail) std::abort();
  return 0;
}
