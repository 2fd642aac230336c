// TLS credentials for the TCP transport: the server and client contexts built
// from TlsOptions, swapped atomically when the files are reloaded.
#ifndef COHORT_SRC_TRANSPORT_TCP_TLS_H_
#define COHORT_SRC_TRANSPORT_TCP_TLS_H_

#include <memory>
#include <string>

#include <asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cohort/transport/tcp_transport.h"

typedef struct ssl_st SSL;

namespace cohort::transport {

class TlsCredentials {
 public:
  // Reads the files. kInvalidArgument naming the file that is missing or
  // invalid, or the key that does not match its certificate.
  static absl::StatusOr<std::shared_ptr<TlsCredentials>> Create(TlsOptions options,
                                                                bool listening);

  // Reads the files again; on failure the current contexts stay in use.
  absl::Status Reload();

  // The contexts new connections use. Each connection keeps the one it got.
  std::shared_ptr<asio::ssl::context> server_context() const;
  std::shared_ptr<asio::ssl::context> client_context() const;

  const TlsOptions& options() const { return options_; }

  // The newest modification time over the files, for change detection.
  absl::StatusOr<absl::Time> FilesModified() const;

 private:
  TlsCredentials(TlsOptions options, bool listening)
      : options_(std::move(options)), listening_(listening) {}

  const TlsOptions options_;
  const bool listening_;
  mutable absl::Mutex mu_;
  std::shared_ptr<asio::ssl::context> server_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<asio::ssl::context> client_ ABSL_GUARDED_BY(mu_);
};

// The verified peer certificate's subject in RFC 2253 form
// ("CN=node-1,O=cohort"), or empty when the peer presented none.
std::string PeerSubject(SSL* ssl);

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_TLS_H_
