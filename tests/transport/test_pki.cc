#include "test_pki.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace cohort::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* NewCertificate(const std::string& common_name, EVP_PKEY* key, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("cohort tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  return cert;
}

}  // namespace

struct TestCa::Impl {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  mutable long next_serial = 2;
  ~Impl() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestCa::TestCa(const std::string& common_name) : impl_(std::make_unique<Impl>()) {
  impl_->key = NewKey();
  impl_->cert = NewCertificate(common_name, impl_->key, 1);
  X509_set_issuer_name(impl_->cert, X509_get_subject_name(impl_->cert));
  AddExtension(impl_->cert, impl_->cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(impl_->cert, impl_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(impl_->cert, impl_->cert, NID_subject_key_identifier, "hash");
  Check(X509_sign(impl_->cert, impl_->key, EVP_sha256()) > 0, "X509_sign (CA)");
  certificate_pem_ = ToPem(impl_->cert);
}

TestCa::~TestCa() = default;

PemPair TestCa::Issue(const std::string& common_name,
                      const std::vector<std::string>& alt_names) const {
  EVP_PKEY* key = NewKey();
  X509* cert = NewCertificate(common_name, key, impl_->next_serial++);
  X509_set_issuer_name(cert, X509_get_subject_name(impl_->cert));
  AddExtension(cert, impl_->cert, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert, impl_->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExtension(cert, impl_->cert, NID_ext_key_usage, "serverAuth,clientAuth");
  AddExtension(cert, impl_->cert, NID_authority_key_identifier, "keyid");
  if (!alt_names.empty()) {
    std::string sans;
    for (const std::string& n : alt_names) sans += (sans.empty() ? "" : ",") + n;
    AddExtension(cert, impl_->cert, NID_subject_alt_name, sans);
  }
  Check(X509_sign(cert, impl_->key, EVP_sha256()) > 0, "X509_sign (leaf)");
  PemPair out{ToPem(cert), ToPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cohort-test-XXXXXX").string();
  Check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& name, const std::string& contents) const {
  const std::string target = path_ + "/" + name;
  const std::string temp = target + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << contents;
    Check(static_cast<bool>(out), "write");
  }
  Check(std::rename(temp.c_str(), target.c_str()) == 0, "rename");
  return target;
}

}  // namespace cohort::testing
