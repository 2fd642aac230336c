// Checks and normalisations shared by every backend, so that they all accept
// and reject the same input (the conformance suite relies on it).
#ifndef COHORT_SRC_BLOB_VALIDATION_H_
#define COHORT_SRC_BLOB_VALIDATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/clock.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::internal {

inline constexpr std::size_t kMaxKeyBytes = 1024;
// S3's limit on user metadata (names plus values).
inline constexpr std::size_t kMaxMetadataBytes = 2048;
inline constexpr std::size_t kMaxContentTypeBytes = 256;
inline constexpr std::string_view kDefaultContentType = "application/octet-stream";

// 1 to 1024 bytes of valid UTF-8 without NUL.
absl::Status ValidateKey(std::string_view key);

// The content type and metadata to store for a Put: the default content type
// when none is given; metadata names lower-cased (ASCII) and checked (1-128 of
// a-z 0-9 - _ .; unique after lower-casing); values printable UTF-8; the
// total within kMaxMetadataBytes.
struct StoredHeaders {
  std::string content_type;
  std::map<std::string, std::string> metadata;
};
absl::StatusOr<StoredHeaders> NormalizeHeaders(const PutOptions& options);

// Copy takes type and metadata from its source; it rejects options that look
// like they would replace them. Also checks the deadline.
absl::Status ValidateCopyOptions(const PutOptions& options, const Clock& clock);

// kInvalidArgument when both if_absent and if_match are set, or if_match is
// empty.
absl::Status ValidateConditions(const PutOptions& options);

// kDeadlineExceeded when `deadline` is not after clock.Now().
absl::Status CheckDeadline(absl::Time deadline, const Clock& clock, std::string_view what);

// The half-open byte interval [first, second) that `range` selects from an
// object of `size` bytes; see GetOptions::range.
absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> ResolveRange(
    const std::optional<ByteRange>& range, std::uint64_t size);

// True when the current ETag satisfies an if_match value; surrounding
// double quotes (as HTTP writes ETags) are ignored on both sides.
bool EtagMatches(std::string_view current, std::string_view wanted);

// max_results in range, prefix a valid key prefix.
absl::Status ValidateListOptions(const ListOptions& options);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_VALIDATION_H_
