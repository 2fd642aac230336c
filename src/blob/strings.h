// Small string helpers private to cohort::blob.
#ifndef COHORT_SRC_BLOB_STRINGS_H_
#define COHORT_SRC_BLOB_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cohort::blob::internal {

// Debian's abseil has its own string_view; absl::StrCat wants that one.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

inline std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_STRINGS_H_
