// The bytes of one part of a multipart upload, the digests its request
// needs, and the pool of buffers that holds the parts in flight.
//
// Why a pool: an upload keeps `concurrency` parts of several MiB in memory at
// a time. A fresh std::string per part is zero-filled by the library and then
// faulted in and zeroed again by the kernel, page by page, for every part;
// measured, that was a tenth of the client's CPU. Pooled buffers are
// allocated once per upload, never value-initialised, and reused.
//
// Why digests here: whoever fills a part (for a file, the upload's reader
// thread) computes the SHA-256 of a signed payload and the CRC32C (or MD5)
// as it goes, a block at a time right after the block arrived, so that the
// part's bytes are read from cache; every attempt of the part reuses them.
//
// Thread-safety: a PartBufferPool may be used from any thread; a PartBody is
// a value, its bytes immutable once filled (they are shared by the part's
// attempts).
#ifndef COHORT_SRC_BLOB_S3_PART_BODY_H_
#define COHORT_SRC_BLOB_S3_PART_BODY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace cohort::blob::s3 {

// The digests a part's request needs.
struct PartDigestKinds {
  bool crc32c = false;  // x-amz-checksum-crc32c
  bool sha256 = false;  // the signed payload hash (x-amz-content-sha256)
  bool md5 = false;     // Content-MD5
};

struct PartBody {
  // Keeps `bytes` valid; shared by every attempt of the part.
  std::shared_ptr<const void> owner{};
  std::string_view bytes{};
  // The digests computed when the part was filled; unset or empty for the
  // kinds that were not (CompleteDigests adds them).
  std::optional<std::uint32_t> crc32c{};
  std::string sha256_hex{};
  std::string md5_hex{};
};

// A part held in its own string (a BlobWriter's buffer), without digests.
PartBody PartBodyOf(std::string data);

// Computes the digests of `kinds` that `body` lacks, in one pass over it.
// kInternal only when OpenSSL fails.
absl::Status CompleteDigests(PartBody& body, PartDigestKinds kinds);

// Reusable part buffers. Create with std::make_shared: each buffer handed out
// keeps the pool alive, so that a part still in flight after its upload gave
// up (cancelled, completing in the background) returns its buffer safely.
class PartBufferPool : public std::enable_shared_from_this<PartBufferPool> {
 public:
  // Keeps up to `max_idle` returned buffers for reuse (>= 0); more are
  // freed.
  explicit PartBufferPool(int max_idle) : max_idle_(max_idle) {}
  PartBufferPool(const PartBufferPool&) = delete;
  PartBufferPool& operator=(const PartBufferPool&) = delete;

  // A buffer of at least `size` bytes with unspecified contents, returned to
  // the pool when the last copy of the pointer goes. Page-aligned (4 KiB)
  // and rounded up to whole pages, for direct reads (transfer_files.h).
  std::shared_ptr<char> Take(std::size_t size);

  // Buffers allocated so far (for tests: reuse keeps this at the number of
  // parts in flight).
  int allocated() const;

 private:
  struct FreeBuffer {
    void operator()(char* p) const;
  };
  struct Buffer {
    std::unique_ptr<char[], FreeBuffer> data;
    std::size_t capacity = 0;
  };
  void Return(Buffer buffer);

  const int max_idle_;
  mutable absl::Mutex mu_;
  std::vector<Buffer> idle_ ABSL_GUARDED_BY(mu_);
  int allocated_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reads `n` bytes of the part, starting `at` bytes into it, into `dest`
// (which has room up to the next page boundary past `dest + n`).
using PartBlockReader =
    absl::FunctionRef<absl::Status(char* dest, std::uint64_t at, std::size_t n)>;

// What FillPart reads at a time by default: a block small enough to be still
// in the core's cache when the digests go over it.
inline constexpr std::size_t kPartReadBytes = 256u << 10;

// Fills a buffer from `pool` with a part of `size` bytes, `read_bytes` at a
// time through `read` (a whole part at once suits direct reads, which bypass
// the cache anyway), and computes the digests of `kinds` over what each read
// brought. Returns the first error of `read`, or kInternal when OpenSSL
// fails.
absl::StatusOr<PartBody> FillPart(PartBufferPool& pool, std::size_t size, PartDigestKinds kinds,
                                  PartBlockReader read, std::size_t read_bytes = kPartReadBytes);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_PART_BODY_H_
