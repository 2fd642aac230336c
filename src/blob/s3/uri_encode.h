// Percent-encoding as SigV4 and S3 define it (RFC 3986 unreserved characters
// A-Z a-z 0-9 - . _ ~ stay, every other byte becomes %XX with upper-case hex).
//
// Thread-safety: pure functions.
#ifndef COHORT_SRC_BLOB_S3_URI_ENCODE_H_
#define COHORT_SRC_BLOB_S3_URI_ENCODE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::blob::s3 {

// Encodes every byte except unreserved ones; '/' too unless `keep_slash`
// (object keys in paths keep their slashes, query values do not).
std::string UriEncode(std::string_view text, bool keep_slash);

// Decodes %XX escapes ('+' stays '+': S3 query strings are not form data).
// InvalidArgument for a truncated or non-hex escape.
absl::StatusOr<std::string> UriDecode(std::string_view text);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_URI_ENCODE_H_
