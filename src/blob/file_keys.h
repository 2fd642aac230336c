// How file:// maps keys to paths: key "a/b/c" is the file <root>/a/b/c.
// Names beginning with ".cohort-" are the backend's own (temporary files, the
// lock file) and can never be a key segment, so they never collide with
// objects and the walk skips them.
#ifndef COHORT_SRC_BLOB_FILE_KEYS_H_
#define COHORT_SRC_BLOB_FILE_KEYS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cohort::blob::internal {

inline constexpr std::string_view kReservedPrefix = ".cohort-";
inline constexpr std::string_view kTempPrefix = ".cohort-tmp-";
inline constexpr std::string_view kLockName = ".cohort-lock";

// The common key rules plus: no leading '/', no empty segment ("a//b",
// trailing '/'), no "." or ".." segment, no segment starting with ".cohort-",
// segments of at most 255 bytes. kInvalidArgument saying which rule.
absl::Status ValidateFileKey(std::string_view key);

// The directory part of `key` ("" for a top-level key).
std::string_view KeyDirectory(std::string_view key);

inline bool IsReservedName(std::string_view name) { return name.starts_with(kReservedPrefix); }

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_KEYS_H_
