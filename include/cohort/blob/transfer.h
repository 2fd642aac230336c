// Transfers between local files and any BlobStorage: parallel multipart
// uploads that survive a process crash, and parallel ranged downloads.
//
//   TransferOptions options;
//   options.journal_path = "/var/tmp/backup.tar.journal";
//   COHORT_CO_ASSIGN_OR_RETURN(BlobAttributes a,
//       co_await UploadFile(*storage, "/data/backup.tar", "backups/1.tar", options));
//
// On s3:// storage, UploadFile splits the file into parts (S3's multipart
// upload): `concurrency` parts in flight, each retried on its own through the
// storage's RetryPolicy and sent with its checksum (S3Options::part_checksum:
// CRC32C by default, or Content-MD5 with the answered ETag checked). With a
// journal, an upload interrupted by a crash continues where it stopped when
// UploadFile is called again with the same file, key and journal: completed
// parts are not sent again (see docs/blob.md for the journal format).
// Nothing is visible under the key until the whole object is; a failed upload
// is aborted unless keep_parts_on_failure. Other backends (mem://, file://)
// stream the file through BlobStorage::OpenWriter, which is atomic there too.
//
// DownloadFile reads the object in `part_size` ranges, `concurrency` at a
// time, each pinned to the ETag seen first (If-Match), so an object replaced
// during the download fails with kFailedPrecondition instead of mixing
// versions. The file appears at `path` only when complete (written next to it
// as "<path>.cohort-download", then renamed).
//
// Status codes: those of BlobStorage (blob_storage.h), plus
//   kInvalidArgument    bad options (the message names the field), or a
//                       journal_path on a backend without multipart uploads;
//   kNotFound           the local file to upload does not exist;
//   kFailedPrecondition the object changed during a download;
//   kDataLoss           a part's checksum or ETag did not match, or the
//                       journal is corrupt beyond its last line (delete it to
//                       start over);
//   kResourceExhausted  the object needs more than 10,000 parts of at most
//                       5 GiB (S3's limits);
//   kInternal           a local file system error (the message has errno).
//
// Thread-safety: a transfer runs on the awaiting coroutine's executor, which
// must not run its handlers concurrently (one io_context thread, or a strand).
// Any number of transfers may run at once (with distinct journals). Blocking
// file I/O runs on a thread owned by the transfer. `storage` must outlive the
// returned awaitable.
#ifndef COHORT_BLOB_TRANSFER_H_
#define COHORT_BLOB_TRANSFER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob {

struct TransferOptions {
  // Bytes per part. Uploads: 5 MiB to 5 GiB (S3's limits), grown (to whole
  // MiB) when the object would need more than 10,000 parts; an object that
  // fits in one part is sent with a single request. Downloads: >= 1.
  // Default: 8 MiB.
  std::uint64_t part_size = 8u << 20;
  // Parts in flight at once, 1 to 64. Memory held is about part_size x
  // concurrency. Default: 4.
  int concurrency = 4;
  // Called on the executor as parts are acknowledged (bytes done, total);
  // on resume, bytes done starts at what the journal already holds.
  // Default: none.
  ProgressCallback progress{};
  // Leave uploaded parts on the server when the upload fails (for a later
  // resume through the journal) instead of aborting it. Default: false.
  bool keep_parts_on_failure = false;
  // Uploads only: a file recording the upload id and completed parts, so that
  // the upload can resume after a crash. Removed when the upload completes or
  // is aborted. s3:// only (kInvalidArgument elsewhere). Default: empty (no
  // journal).
  std::string journal_path{};
  // Uploads: the object's content type and user metadata (PutOptions rules).
  // Default: empty (application/octet-stream, no metadata).
  std::string content_type{};
  std::map<std::string, std::string> metadata{};
  // For the whole transfer, on the storage's clock. Default: none.
  absl::Time deadline = absl::InfiniteFuture();
  // Uploads of more than one part to s3://: read the file's parts with
  // direct I/O (O_DIRECT), from the device into the part's buffer without
  // the page cache. That saves the copy through the cache (a tenth of the
  // upload's CPU) and keeps a file that is read once from evicting the
  // service's cached data; a file already in the cache is read from the
  // device again. Where the file system refuses direct reads, or part_size
  // is not a multiple of 4 KiB, parts are read through the cache. Default:
  // true.
  bool bypass_page_cache = true;
};

// Uploads the file at `path` to `key`. The file must not change during the
// upload; a resumed upload checks the file's size and modification time
// against the journal and starts over (aborting the old upload) if they
// differ.
Awaitable<absl::StatusOr<BlobAttributes>> UploadFile(BlobStorage& storage, std::string path,
                                                     std::string key, TransferOptions options);

// Downloads `key` to the file `path` (replaced if it exists).
Awaitable<absl::StatusOr<BlobAttributes>> DownloadFile(BlobStorage& storage, std::string key,
                                                       std::string path, TransferOptions options);

}  // namespace cohort::blob

#endif  // COHORT_BLOB_TRANSFER_H_
