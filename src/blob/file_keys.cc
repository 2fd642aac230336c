#include "blob/file_keys.h"

#include "absl/strings/str_cat.h"
#include "blob/strings.h"
#include "blob/validation.h"

namespace cohort::blob::internal {

absl::Status ValidateFileKey(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("file:// cannot store key \"", Av(key), "\": ", Av(why)));
  };
  if (key.front() == '/') return bad("it must not start with '/' (keys are relative to the root)");
  std::size_t start = 0;
  while (true) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) {
      return bad("it has an empty segment (\"//\" or a trailing '/')");
    }
    if (segment == "." || segment == "..") {
      return bad("\".\" and \"..\" segments could escape the root");
    }
    if (IsReservedName(segment)) {
      return bad("segments starting with \".cohort-\" are reserved for the backend's own files");
    }
    if (segment.size() > 255) return bad("a segment is longer than 255 bytes");
    if (end == key.size()) break;
    start = end + 1;
  }
  return absl::OkStatus();
}

std::string_view KeyDirectory(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

}  // namespace cohort::blob::internal
