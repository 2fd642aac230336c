// SHA-256 and HMAC-SHA256 through OpenSSL's EVP interface, for request signing
// and payload hashes.
//
// Errors: kInternal only when OpenSSL itself fails (an allocation failure or a
// provider configuration without SHA-256); nothing here aborts.
// Thread-safety: free functions are reentrant; a Sha256Hasher is single-owner.
#ifndef COHORT_SRC_BLOB_S3_CRYPTO_H_
#define COHORT_SRC_BLOB_S3_CRYPTO_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::blob::s3 {

// Raw 32-byte digests are returned as std::string holding binary bytes.
absl::StatusOr<std::string> Sha256(std::string_view data);
absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data);

// Lower-case hexadecimal, as SigV4 wants it.
std::string HexEncode(std::string_view bytes);

// Hex SHA-256 of `data`: the x-amz-content-sha256 of a body held in memory.
absl::StatusOr<std::string> Sha256Hex(std::string_view data);

// Incremental SHA-256 for bodies that arrive in pieces. A failure in Update
// is remembered and reported by Finish.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // The raw digest; the hasher accepts no more input afterwards.
  absl::StatusOr<std::string> Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_CRYPTO_H_
