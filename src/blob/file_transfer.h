// Streaming readers and writers of the file:// backend.
#ifndef COHORT_SRC_BLOB_FILE_TRANSFER_H_
#define COHORT_SRC_BLOB_FILE_TRANSFER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "blob/file_store.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::internal {

// Reads [begin, end) of the version open in `object`. `store` is borrowed.
std::unique_ptr<BlobReader> NewFileReader(FileStore* store, OpenedObject object,
                                          std::uint64_t begin, std::uint64_t end,
                                          ProgressCallback progress);

// Writes into `temp` and publishes it as `key` on Commit. `store` is borrowed.
std::unique_ptr<BlobWriter> NewFileWriter(FileStore* store, std::string key, PutOptions options,
                                          StoredHeaders headers, TempObject temp);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_TRANSFER_H_
