// The on-disk form of a file:// object: one regular file holding the content
// followed by a trailer with the attributes.
//
//   [content: data_size bytes]
//   [attributes: meta_len bytes]      version, modified, etag, content type,
//                                     metadata; each string length-prefixed
//   [footer: 24 bytes]                u64 data_size, u32 meta_len,
//                                     u32 masked CRC32C of the attributes,
//                                     8-byte magic "cohblob1" (little endian)
//
// Content and attributes live in one file so that the single rename that
// publishes an object publishes both: there is no moment, and no crash point,
// at which a reader could pair new content with old metadata. The footer's
// sizes must add up to the file size and the CRC must match, so a torn or
// foreign file is reported as kDataLoss instead of being served.
#ifndef COHORT_SRC_BLOB_FILE_FORMAT_H_
#define COHORT_SRC_BLOB_FILE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::internal {

inline constexpr std::size_t kFooterBytes = 24;
// Attributes are bounded by key, content-type and metadata limits; anything
// larger is corruption, rejected before allocating.
inline constexpr std::uint32_t kMaxAttributeBytes = 64 * 1024;

// The bytes to append after `attributes.size` bytes of content. The key is
// not stored (the path gives it).
std::string EncodeTrailer(const BlobAttributes& attributes);

// Reads the trailer of the open object file `fd` and returns its attributes
// (with `key` filled in). kDataLoss when the file is not a well-formed object;
// kUnavailable for an I/O error.
absl::StatusOr<BlobAttributes> ReadTrailer(int fd, std::string_view key);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_FORMAT_H_
