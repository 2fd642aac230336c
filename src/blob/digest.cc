#include "blob/digest.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <utility>

namespace cohort::blob::internal {
namespace {

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

void InitOrDie(EVP_MD_CTX* ctx) {
  // MD5 initialisation fails only on allocation failure or a FIPS-only
  // provider set; neither can be reported through an ETag, and continuing
  // would hand out wrong ETags.
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) != 1) std::abort();
}

}  // namespace

Md5Hasher::Md5Hasher() : ctx_(EVP_MD_CTX_new()) { InitOrDie(Ctx(ctx_)); }

Md5Hasher::~Md5Hasher() {
  if (ctx_ != nullptr) EVP_MD_CTX_free(Ctx(ctx_));
}

Md5Hasher::Md5Hasher(Md5Hasher&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Md5Hasher& Md5Hasher::operator=(Md5Hasher&& other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

void Md5Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size());
}

std::string Md5Hasher::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(Ctx(ctx_), digest, &length);
  InitOrDie(Ctx(ctx_));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  Md5Hasher hasher;
  hasher.Update(data);
  return hasher.HexDigest();
}

}  // namespace cohort::blob::internal
