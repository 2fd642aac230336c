#include "blob/s3/part_body.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "blob/digest.h"
#include "blob/s3/crypto.h"
#include "cohort/base/crc32c.h"

namespace cohort::blob::s3 {
namespace {

// Small enough that a block just read is still in the core's cache (1 MiB
// of L2 on the machines measured) when the digests go over it. (Measured on
// a 256 MiB upload: 64 KiB to whole-part blocks made no difference in CPU.)
constexpr std::size_t kBlock = 256 << 10;
constexpr std::size_t kPage = 4096;

// The digests of `kinds`, fed block by block.
class Digests {
 public:
  explicit Digests(PartDigestKinds kinds) : kinds_(kinds) {
    if (kinds.sha256) sha256_.emplace();
    if (kinds.md5) md5_.emplace();
  }

  void Update(std::string_view block) {
    // The hashes first: a block that a direct read left in memory, not in
    // the cache, is brought in by the slow SHA-256 / MD5, whose arithmetic
    // hides the memory's latency, and is then in cache for the CRC32C, which
    // would otherwise stall on it (measured: CRC32C from 9% to 4% of the
    // upload's CPU).
    if (sha256_) sha256_->Update(block);
    if (md5_) md5_->Update(block);
    if (kinds_.crc32c) crc_ = crc32c::Extend(crc_, block.data(), block.size());
  }

  absl::Status Finish(PartBody& body) {
    if (kinds_.crc32c) body.crc32c = crc_;
    if (sha256_) {
      absl::StatusOr<std::string> digest = sha256_->Finish();
      if (!digest.ok()) return digest.status();
      body.sha256_hex = HexEncode(*digest);
    }
    if (md5_) body.md5_hex = md5_->HexDigest();
    return absl::OkStatus();
  }

 private:
  const PartDigestKinds kinds_;
  std::uint32_t crc_ = 0;
  std::optional<Sha256Hasher> sha256_;
  std::optional<internal::Md5Hasher> md5_;
};

}  // namespace

PartBody PartBodyOf(std::string data) {
  auto owned = std::make_shared<const std::string>(std::move(data));
  PartBody body;
  body.bytes = *owned;
  body.owner = std::move(owned);
  return body;
}

absl::Status CompleteDigests(PartBody& body, PartDigestKinds kinds) {
  const PartDigestKinds missing{.crc32c = kinds.crc32c && !body.crc32c.has_value(),
                                .sha256 = kinds.sha256 && body.sha256_hex.empty(),
                                .md5 = kinds.md5 && body.md5_hex.empty()};
  if (!missing.crc32c && !missing.sha256 && !missing.md5) return absl::OkStatus();
  Digests digests(missing);
  for (std::size_t at = 0; at < body.bytes.size(); at += kBlock) {
    digests.Update(body.bytes.substr(at, kBlock));
  }
  return digests.Finish(body);
}

std::shared_ptr<char> PartBufferPool::Take(std::size_t size) {
  Buffer buffer;
  {
    absl::MutexLock lock(&mu_);
    auto fits = std::find_if(idle_.begin(), idle_.end(),
                             [size](const Buffer& b) { return b.capacity >= size; });
    if (fits != idle_.end()) {
      buffer = std::move(*fits);
      idle_.erase(fits);
    } else {
      ++allocated_;
    }
  }
  if (buffer.data == nullptr) {
    // Not value-initialised: every byte is written by the part's reader.
    // (Transparent huge pages, asked for with madvise, made the upload
    // slower half of the time on the machine measured: zeroing fresh huge
    // pages cost up to a quarter of the CPU.)
    buffer.capacity = (std::max<std::size_t>(size, 1) + kPage - 1) / kPage * kPage;
    buffer.data.reset(static_cast<char*>(std::aligned_alloc(kPage, buffer.capacity)));
    if (buffer.data == nullptr) throw std::bad_alloc();
  }
  char* data = buffer.data.get();
  return std::shared_ptr<char>(
      data, [pool = shared_from_this(), held = std::make_shared<Buffer>(std::move(buffer))](
                char*) mutable { pool->Return(std::move(*held)); });
}

void PartBufferPool::FreeBuffer::operator()(char* p) const { std::free(p); }

void PartBufferPool::Return(Buffer buffer) {
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(idle_.size()) < max_idle_) idle_.push_back(std::move(buffer));
}

int PartBufferPool::allocated() const {
  absl::MutexLock lock(&mu_);
  return allocated_;
}

absl::StatusOr<PartBody> FillPart(PartBufferPool& pool, std::size_t size, PartDigestKinds kinds,
                                  PartBlockReader read, std::size_t read_bytes) {
  std::shared_ptr<char> buffer = pool.Take(size);
  Digests digests(kinds);
  read_bytes = std::max<std::size_t>(read_bytes, 1);
  for (std::size_t at = 0; at < size; at += read_bytes) {
    const std::size_t n = std::min(read_bytes, size - at);
    if (absl::Status s = read(buffer.get() + at, at, n); !s.ok()) return s;
    for (std::size_t block = 0; block < n; block += kBlock) {
      digests.Update(std::string_view(buffer.get() + at + block, std::min(kBlock, n - block)));
    }
  }
  PartBody body;
  body.bytes = std::string_view(buffer.get(), size);
  body.owner = std::move(buffer);
  if (absl::Status s = digests.Finish(body); !s.ok()) return s;
  return body;
}

}  // namespace cohort::blob::s3
