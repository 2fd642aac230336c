#include "blob/s3/crypto.h"

#include <openssl/evp.h>

namespace cohort::blob::s3 {

struct Sha256Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  bool ok = false;
};

Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  ctx_->ok = ctx_->md != nullptr &&
             EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1;
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(ctx_->md); }

void Sha256Hasher::Update(std::string_view data) {
  if (ctx_->ok) ctx_->ok = EVP_DigestUpdate(ctx_->md, data.data(), data.size()) == 1;
}

absl::StatusOr<std::string> Sha256Hasher::Finish() {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (!ctx_->ok ||
      EVP_DigestFinal_ex(ctx_->md, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    ctx_->ok = false;
    return absl::InternalError("OpenSSL SHA-256 failed");
  }
  ctx_->ok = false;
  out.resize(len);
  return out;
}

absl::StatusOr<std::string> Sha256(std::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

absl::StatusOr<std::string> Sha256Hex(std::string_view data) {
  absl::StatusOr<std::string> digest = Sha256(data);
  if (!digest.ok()) return digest.status();
  return HexEncode(*digest);
}

absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  std::size_t len = 0;
  // EVP_Q_mac wants a non-null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_ptr, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                reinterpret_cast<unsigned char*>(out.data()), out.size(),
                &len) == nullptr) {
    return absl::InternalError("OpenSSL HMAC-SHA256 failed");
  }
  out.resize(len);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

}  // namespace cohort::blob::s3
