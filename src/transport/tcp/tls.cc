#include "transport/tcp/tls.h"

#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace cohort::transport {
namespace {

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status FileError(const std::string& what, const std::string& file) {
  return absl::InvalidArgumentError(
      absl::StrCat("TLS ", what, " \"", file, "\" could not be loaded: ", OpenSslError()));
}

// A context with cohort's floor: TLS 1.2 or later, no compression or
// renegotiation.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> NewContext(const TlsOptions& options,
                                                               bool server) {
  auto context = std::make_shared<asio::ssl::context>(
      server ? asio::ssl::context::tls_server : asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!options.certificate_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.certificate_file.c_str()) != 1) {
      return FileError("certificate chain", options.certificate_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.private_key_file.c_str(), SSL_FILETYPE_PEM) !=
        1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        return absl::InvalidArgumentError(absl::StrCat(
            "TLS private key \"", options.private_key_file,
            "\" does not match the certificate \"", options.certificate_file, "\""));
      }
      return FileError("private key", options.private_key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS private key \"", options.private_key_file,
                       "\" does not match the certificate \"", options.certificate_file, "\""));
    }
  }
  if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    return FileError("CA file", options.ca_file);
  }
  int mode = SSL_VERIFY_PEER;
  if (server) {
    mode = options.require_client_certificate
               ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
               : SSL_VERIFY_NONE;
    // Session resumption would skip client verification on later
    // connections after a reload; keep every handshake full.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return context;
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsCredentials>> TlsCredentials::Create(TlsOptions options,
                                                                       bool listening) {
  if (options.ca_file.empty()) {
    return absl::InvalidArgumentError("tls.ca_file is required: the CA that signs peers");
  }
  if (listening && options.certificate_file.empty()) {
    return absl::InvalidArgumentError(
        "tls.certificate_file and tls.private_key_file are required to listen with TLS");
  }
  if (options.certificate_file.empty() != options.private_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls.certificate_file and tls.private_key_file go together: set both or neither");
  }
  if (options.reload_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tls.reload_interval must be >= 0");
  }
  std::shared_ptr<TlsCredentials> credentials(new TlsCredentials(std::move(options), listening));
  if (absl::Status s = credentials->Reload(); !s.ok()) return s;
  return credentials;
}

absl::Status TlsCredentials::Reload() {
  std::shared_ptr<asio::ssl::context> server;
  if (listening_) {
    auto built = NewContext(options_, /*server=*/true);
    if (!built.ok()) return built.status();
    server = *std::move(built);
  }
  auto client = NewContext(options_, /*server=*/false);
  if (!client.ok()) return client.status();
  absl::MutexLock lock(&mu_);
  server_ = std::move(server);
  client_ = *std::move(client);
  return absl::OkStatus();
}

std::shared_ptr<asio::ssl::context> TlsCredentials::server_context() const {
  absl::MutexLock lock(&mu_);
  return server_;
}

std::shared_ptr<asio::ssl::context> TlsCredentials::client_context() const {
  absl::MutexLock lock(&mu_);
  return client_;
}

absl::StatusOr<absl::Time> TlsCredentials::FilesModified() const {
  absl::Time newest = absl::InfinitePast();
  for (const std::string* file :
       {&options_.certificate_file, &options_.private_key_file, &options_.ca_file}) {
    if (file->empty()) continue;
    struct stat st {};
    if (::stat(file->c_str(), &st) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot stat TLS file \"", *file, "\""));
    }
    newest = std::max(newest, absl::TimeFromTimespec(st.st_mtim));
  }
  return newest;
}

std::string PeerSubject(SSL* ssl) {
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) return "";
  std::string out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0) out.assign(data, static_cast<std::size_t>(size));
    BIO_free(bio);
  }
  X509_free(certificate);
  return out;
}

}  // namespace cohort::transport
