// Directory walks of the file:// backend.
#ifndef COHORT_SRC_BLOB_FILE_WALK_H_
#define COHORT_SRC_BLOB_FILE_WALK_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "blob/listing.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::internal {

// Reads the attributes of the object `key`; kNotFound when it vanished.
using AttributeReader = std::function<absl::StatusOr<BlobAttributes>(const std::string& key)>;

// Walks the tree under `root` in key byte order (a directory "d" sorts as
// "d/", so "a-b" comes before "a/b" exactly as the keys do), skipping
// reserved names and pruning subtrees the accumulator does not want.
absl::StatusOr<ListPage> WalkForList(const std::string& root, ListAccumulator acc,
                                     const AttributeReader& read);

// Removes every temporary file under `root` (left by a writer that crashed).
// Returns how many were removed.
absl::StatusOr<int> RemoveTemporaryFiles(const std::string& root);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_WALK_H_
