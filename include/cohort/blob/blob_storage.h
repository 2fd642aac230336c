// BlobStorage: objects (blobs) addressed by key, on any backend.
//
// Application code depends on this interface only (seed question 361); the
// backend is chosen at run time by URI: `mem://`, `file:///var/data`,
// `s3://bucket?region=eu-west-1`, `gs://bucket`, or, with no URI, by the
// CLOUD_PROVIDER environment variable. The same conformance suite runs against
// every backend, so code tested on `mem://` behaves the same on S3.
//
// Keys are UTF-8 strings of 1 to 1024 bytes without NUL, '/'-separated by
// convention; backends reject keys they cannot store faithfully (a `file://`
// key may not escape its root, have empty or "."/".." segments, or use both
// "x" and "x/..." at once) with kInvalidArgument (kFailedPrecondition for the
// last). Data are arbitrary bytes.
//
// ETags: mem:// and file:// give the hex MD5 of the content (32 lower-case
// digits), as S3 does for single-part uploads. if_match values may be given
// with or without HTTP's surrounding double quotes.
//
// Status codes, for every call:
//   kNotFound           the key does not exist.
//   kAlreadyExists      PutOptions::if_absent and the key exists.
//   kFailedPrecondition an if_match ETag did not match.
//   kInvalidArgument    a bad key, range or option; the message says which.
//   kPermissionDenied   credentials refused (never retried).
//   kUnavailable        a transient backend failure (throttling, 5xx, reset);
//                       safe to retry for reads, deletes and conditional
//                       writes. Backends already retry idempotent requests
//                       through their RetryPolicy before returning it.
//   kDeadlineExceeded   the call's deadline passed; a write may or may not
//                       have happened.
//   kCancelled          the awaiting coroutine was cancelled.
//
// Thread-safety: a BlobStorage may be used concurrently from any number of
// coroutines and threads. BlobReader and BlobWriter are single-consumer: one
// operation at a time.
//
// Lifetime: arguments passed by reference or view must stay valid until the
// returned awaitable completes (as they do in `co_await storage.Put(...)`).
// Readers and writers must not outlive the BlobStorage that made them.
#ifndef COHORT_BLOB_BLOB_STORAGE_H_
#define COHORT_BLOB_BLOB_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::blob {

// What a backend knows about a stored object.
struct BlobAttributes {
  std::string key{};
  std::uint64_t size = 0;
  // Opaque version tag; changes whenever the content changes. Comparable only
  // for equality, and only within one backend.
  std::string etag{};
  absl::Time modified = absl::InfinitePast();
  // Default: "application/octet-stream".
  std::string content_type{};
  // User metadata: lower-case ASCII names, values as given. On Put, names
  // are lower-cased and must be 1-128 characters of a-z 0-9 - _ . (unique
  // after lower-casing); values printable UTF-8; names plus values at most
  // 2 KiB (S3's limit). Anything else is kInvalidArgument.
  std::map<std::string, std::string> metadata{};
};

// Bytes done so far out of `total` (total is 0 when unknown, e.g. streams).
using ProgressCallback =
    std::function<void(std::uint64_t bytes_done, std::uint64_t total)>;

struct PutOptions {
  // Default: empty, stored as "application/octet-stream".
  std::string content_type{};
  // Default: none.
  std::map<std::string, std::string> metadata{};
  // Create only if the key does not exist yet (kAlreadyExists otherwise).
  // Atomic on every backend that offers it. Default: false.
  bool if_absent = false;
  // Overwrite only if the current ETag equals this (kFailedPrecondition
  // otherwise; kNotFound when the key does not exist). Excludes if_absent
  // (kInvalidArgument when both are set). Default: unset (unconditional).
  std::optional<std::string> if_match{};
  // Called from the backend's executor as bytes are acknowledged. Default: none.
  ProgressCallback progress{};
  // Absolute deadline for the whole call, on the Context's clock. A deadline
  // already passed fails with kDeadlineExceeded before anything is written.
  // The local backends check it when a call (or a writer's Write/Commit)
  // starts; a system call in progress is not interrupted. Default: none (the
  // backend's own per-request timeouts still apply).
  absl::Time deadline = absl::InfiniteFuture();
};

// A byte range: `length` bytes from `offset`; no length means to the end.
// `offset` may equal the object's size (an empty result); a `length` of 0 is
// kInvalidArgument (HTTP ranges cannot express it).
struct ByteRange {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length{};
};

struct GetOptions {
  // Default: the whole object. A range starting past the end is
  // kInvalidArgument; one reaching past the end is cut at the end.
  std::optional<ByteRange> range{};
  // Read only if the ETag still equals this (kFailedPrecondition otherwise),
  // so that a multi-part read sees a single version. Default: unset.
  std::optional<std::string> if_match{};
  // Default: none.
  ProgressCallback progress{};
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
};

struct ListOptions {
  // Only keys starting with this. Default: all keys.
  std::string prefix{};
  // When set (typically "/"), keys containing it after the prefix are rolled
  // up into ListPage::common_prefixes, as in a directory listing.
  // Default: empty (flat listing).
  std::string delimiter{};
  // Continue after a previous page (ListPage::next_page_token). Default: start.
  std::string page_token{};
  // At most this many entries + prefixes per page, 1 to 1000. Default: 1000.
  int max_results = 1000;
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
};

struct ListPage {
  // In lexicographic byte order of key.
  std::vector<BlobAttributes> entries{};
  std::vector<std::string> common_prefixes{};
  // Empty on the last page.
  std::string next_page_token{};
};

enum class PresignMethod { kGet, kPut };

struct PresignOptions {
  PresignMethod method = PresignMethod::kGet;
  // How long the URL stays valid, 1 s to 7 days. Default: 15 minutes.
  absl::Duration expires_in = absl::Minutes(15);
  // For kPut: the content type the uploader must send. Default: none.
  std::string content_type{};
};

// Reads an object as a stream. Obtained from BlobStorage::OpenReader.
class BlobReader {
 public:
  virtual ~BlobReader() = default;

  // Attributes of the version being read (fixed when the reader opened).
  virtual const BlobAttributes& attributes() const = 0;

  // Reads up to `buffer.size()` bytes into `buffer`. Returns the number read;
  // 0 means the end of the object (or of the requested range).
  virtual Awaitable<absl::StatusOr<std::size_t>> Read(std::span<std::byte> buffer) = 0;
};

// Writes an object as a stream. Nothing is visible to readers until Commit()
// succeeds; destroying an uncommitted writer aborts it (best effort, releasing
// any parts already uploaded).
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;

  // Appends `data`. May buffer; a large object is uploaded in parts as it is
  // written, so memory stays bounded by the backend's part size x concurrency.
  virtual Awaitable<absl::Status> Write(std::span<const std::byte> data) = 0;

  // Makes the object visible atomically and returns its attributes. After
  // Commit (successful or not) the writer accepts no more calls.
  virtual Awaitable<absl::StatusOr<BlobAttributes>> Commit() = 0;

  // Discards everything written. Idempotent.
  virtual Awaitable<absl::Status> Abort() = 0;
};

class BlobStorage {
 public:
  virtual ~BlobStorage() = default;

  // Stores `data` under `key`, replacing any previous object (subject to
  // if_absent / if_match). Atomic: readers see the old object or the new one,
  // never a part.
  virtual Awaitable<absl::StatusOr<BlobAttributes>> Put(
      std::string_view key, std::string_view data, const PutOptions& options) = 0;

  // Opens a streaming writer for `key`; see BlobWriter. `options.progress`
  // reports bytes acknowledged with total 0.
  virtual Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> OpenWriter(
      std::string_view key, const PutOptions& options) = 0;

  // Returns the object's bytes (or the requested range).
  virtual Awaitable<absl::StatusOr<std::string>> Get(std::string_view key,
                                                     const GetOptions& options) = 0;

  // Opens a streaming reader over the object (or the requested range).
  virtual Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> OpenReader(
      std::string_view key, const GetOptions& options) = 0;

  // Returns the object's attributes without its content.
  virtual Awaitable<absl::StatusOr<BlobAttributes>> Stat(std::string_view key) = 0;

  // Deletes the object. Deleting a missing key is OK (idempotent), as in S3;
  // an invalid key is still kInvalidArgument.
  virtual Awaitable<absl::Status> Delete(std::string_view key) = 0;

  // One page of keys; see ListOptions.
  virtual Awaitable<absl::StatusOr<ListPage>> List(const ListOptions& options) = 0;

  // Server-side copy of `from` to `to` (content, type and metadata, ETag
  // unchanged, a new modification time), subject to `options.if_absent` /
  // `if_match` on the destination. The content type and metadata come from
  // the source: `options.content_type` and `options.metadata` must be empty
  // (kInvalidArgument otherwise). kNotFound when `from` does not exist.
  virtual Awaitable<absl::StatusOr<BlobAttributes>> Copy(std::string_view from,
                                                         std::string_view to,
                                                         const PutOptions& options) = 0;

  // A URL that grants `options.method` on `key` to whoever holds it, until it
  // expires. kUnimplemented on backends without presigning (mem://, file://).
  virtual absl::StatusOr<std::string> PresignUrl(std::string_view key,
                                                 const PresignOptions& options) = 0;
};

}  // namespace cohort::blob

#endif  // COHORT_BLOB_BLOB_STORAGE_H_
