// Streaming MD5 for ETags. The local backends give the ETag S3 gives for a
// single-part upload (the hex MD5 of the content), so that code comparing
// ETags across backends sees the same values. Uses OpenSSL's EVP (the library
// already links libcrypto for SigV4).
#ifndef COHORT_SRC_BLOB_DIGEST_H_
#define COHORT_SRC_BLOB_DIGEST_H_

#include <string>
#include <string_view>

namespace cohort::blob::internal {

// Not thread-safe; movable, not copyable.
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(Md5Hasher&& other) noexcept;
  Md5Hasher& operator=(Md5Hasher&& other) noexcept;
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  void Update(std::string_view data);
  // 32 lower-case hex digits. The hasher is reset afterwards.
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept out of this header.
};

// Hex MD5 of `data`.
std::string Md5Hex(std::string_view data);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_DIGEST_H_
