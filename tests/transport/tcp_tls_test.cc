// TLS and mutual TLS on the TCP transport, with certificates from a CA made
// when the test runs.
#include <atomic>
#include <string>

#include "cohort/testing/status_matchers.h"
#include "cohort/transport/tcp_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loopback.h"
#include "test_pki.h"
#include "transport/tcp/address.h"

#include <asio/ip/tcp.hpp>

namespace cohort::transport {
namespace {

using ::cohort::testing::IoThreads;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::cohort::testing::TempDir;
using ::cohort::testing::TestCa;
using ::cohort::testing::WaitFor;
using ::testing::HasSubstr;

Awaitable<absl::StatusOr<std::string>> CallWithin(Transport& t, std::string peer,
                                                  std::string method, absl::Duration timeout,
                                                  Clock* clock) {
  CallOptions options;
  options.deadline = clock->Now() + timeout;
  co_return co_await t.Call(peer, method, "", options);
}

class TcpTlsTest : public ::testing::Test {
 protected:
  TcpTlsTest() : ca_("cohort test CA"), other_ca_("someone else's CA") {
    ca_file_ = dir_.Write("ca.pem", ca_.certificate_pem());
    other_ca_file_ = dir_.Write("other-ca.pem", other_ca_.certificate_pem());
    auto server = ca_.Issue("node-1", {"IP:127.0.0.1", "DNS:localhost"});
    server_cert_ = dir_.Write("server.pem", server.certificate);
    server_key_ = dir_.Write("server.key", server.private_key);
  }

  // A listening transport whose handler "whoami" returns the peer's subject.
  std::unique_ptr<TcpTransport> Server(bool require_client_certificate,
                                       absl::Duration reload_interval = absl::ZeroDuration()) {
    TcpTransportOptions options;
    options.listen_address = "127.0.0.1:0";
    TlsOptions tls;
    tls.certificate_file = server_cert_;
    tls.private_key_file = server_key_;
    tls.ca_file = ca_file_;
    tls.require_client_certificate = require_client_certificate;
    tls.reload_interval = reload_interval;
    options.tls = tls;
    auto server = TcpTransport::Create(options, io_.context());
    EXPECT_TRUE(server.ok()) << server.status();
    EXPECT_TRUE((*server)
                    ->Register("whoami",
                               [](const ServerCall& call, std::string)
                                   -> Awaitable<absl::StatusOr<std::string>> {
                                 co_return call.peer.subject;
                               })
                    .ok());
    return *std::move(server);
  }

  // A client trusting `ca_file`, presenting a certificate for `name` issued
  // by `issuer` (none if null).
  std::unique_ptr<TcpTransport> Client(const std::string& ca_file, const TestCa* issuer,
                                       const std::string& name = "client-1",
                                       const std::string& server_name = "") {
    TcpTransportOptions options;
    options.reconnect.initial_backoff = absl::Milliseconds(1);
    options.reconnect.max_backoff = absl::Milliseconds(20);
    TlsOptions tls;
    tls.ca_file = ca_file;
    tls.server_name = server_name;
    if (issuer != nullptr) {
      auto pair = issuer->Issue(name, {"DNS:" + name});
      tls.certificate_file = dir_.Write(name + ".pem", pair.certificate);
      tls.private_key_file = dir_.Write(name + ".key", pair.private_key);
    }
    options.tls = tls;
    auto client = TcpTransport::Create(options, io_.context());
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  absl::StatusOr<std::string> WhoAmI(TcpTransport& client, const std::string& server) {
    return io_.Run(CallWithin(client, server, "whoami", absl::Seconds(30), io_.context().clock));
  }

  IoThreads io_;
  TempDir dir_;
  TestCa ca_;
  TestCa other_ca_;
  std::string ca_file_, other_ca_file_, server_cert_, server_key_;
};

TEST_F(TcpTlsTest, EncryptedCallsWork) {
  auto server = Server(/*require_client_certificate=*/false);
  auto client = Client(ca_file_, nullptr);
  EXPECT_THAT(WhoAmI(*client, server->address()), IsOkAndHolds(""));
}

TEST_F(TcpTlsTest, MutualTlsShowsTheClientsVerifiedSubjectToTheHandler) {
  auto server = Server(/*require_client_certificate=*/true);
  auto client = Client(ca_file_, &ca_, "client-1");
  EXPECT_THAT(WhoAmI(*client, server->address()), IsOkAndHolds("CN=client-1,O=cohort tests"));
}

TEST_F(TcpTlsTest, ClientWithoutACertificateIsRefused) {
  auto server = Server(/*require_client_certificate=*/true);
  auto client = Client(ca_file_, nullptr);
  EXPECT_THAT(WhoAmI(*client, server->address()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_refused >= 1; }));
  EXPECT_EQ(server->stats().calls_served, 0u);
}

TEST_F(TcpTlsTest, ClientWithACertificateFromAnotherCaIsRefused) {
  auto server = Server(/*require_client_certificate=*/true);
  auto client = Client(ca_file_, &other_ca_, "intruder");
  EXPECT_THAT(WhoAmI(*client, server->address()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_refused >= 1; }));
  EXPECT_EQ(server->stats().calls_served, 0u);
  // Everyone else is still served.
  auto good = Client(ca_file_, &ca_, "client-2");
  EXPECT_THAT(WhoAmI(*good, server->address()), IsOkAndHolds("CN=client-2,O=cohort tests"));
}

TEST_F(TcpTlsTest, ServerSignedByAnUntrustedCaIsRefusedByTheClient) {
  auto server = Server(/*require_client_certificate=*/false);
  auto client = Client(other_ca_file_, nullptr);
  EXPECT_THAT(WhoAmI(*client, server->address()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("TLS handshake")));
}

TEST_F(TcpTlsTest, ServerCertificateMustNameTheServer) {
  auto server = Server(/*require_client_certificate=*/false);
  auto wrong = Client(ca_file_, nullptr, "client-1", "db.example.com");
  EXPECT_THAT(WhoAmI(*wrong, server->address()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("db.example.com")));
  auto right = Client(ca_file_, nullptr, "client-1", "localhost");
  EXPECT_THAT(WhoAmI(*right, server->address()), IsOkAndHolds(""));
}

TEST_F(TcpTlsTest, ReloadSwitchesTrustWithoutARestart) {
  auto server = Server(/*require_client_certificate=*/true);
  auto old_client = Client(ca_file_, &ca_, "old-client");
  ASSERT_THAT(WhoAmI(*old_client, server->address()), IsOk());
  auto new_client = Client(ca_file_, &other_ca_, "new-client");
  ASSERT_THAT(WhoAmI(*new_client, server->address()), StatusIs(absl::StatusCode::kUnavailable));

  // The operator now trusts the other CA for clients. The server's own
  // certificate still chains to the first CA, so clients keep trusting it.
  dir_.Write("ca.pem", other_ca_.certificate_pem());
  ASSERT_TRUE(server->ReloadCertificates().ok());
  absl::StatusOr<std::string> result;
  ASSERT_TRUE(WaitFor([&] {
    result = WhoAmI(*new_client, server->address());
    return result.ok();
  })) << result.status();
  EXPECT_EQ(*result, "CN=new-client,O=cohort tests");
  // The old client's connection was made with the old trust and stays up.
  EXPECT_THAT(WhoAmI(*old_client, server->address()), IsOk());
}

TEST_F(TcpTlsTest, ChangedFilesAreReloadedOnTheirOwn) {
  auto server = Server(/*require_client_certificate=*/true, absl::Milliseconds(20));
  auto new_client = Client(ca_file_, &other_ca_, "new-client");
  ASSERT_THAT(WhoAmI(*new_client, server->address()), StatusIs(absl::StatusCode::kUnavailable));
  dir_.Write("ca.pem", other_ca_.certificate_pem());
  absl::StatusOr<std::string> result;
  ASSERT_TRUE(WaitFor([&] {
    result = WhoAmI(*new_client, server->address());
    return result.ok();
  })) << result.status();
}

TEST_F(TcpTlsTest, SilentClientIsDroppedAfterTheHandshakeTimeout) {
  TcpTransportOptions options;
  options.listen_address = "127.0.0.1:0";
  options.connect_timeout = absl::Milliseconds(200);
  TlsOptions tls;
  tls.certificate_file = server_cert_;
  tls.private_key_file = server_key_;
  tls.ca_file = ca_file_;
  options.tls = tls;
  auto server = TcpTransport::Create(options, io_.context());
  ASSERT_TRUE(server.ok()) << server.status();
  // Connects and never says a word: the handshake must not wait forever.
  auto hp = ParseHostPort((*server)->address());
  ASSERT_TRUE(hp.ok());
  asio::io_context raw_io;
  asio::ip::tcp::socket raw(raw_io);
  raw.connect(asio::ip::tcp::endpoint(asio::ip::make_address(hp->host), hp->port));
  char byte;
  asio::error_code ec;
  raw.read_some(asio::buffer(&byte, 1), ec);  // returns when the server closes
  EXPECT_TRUE(ec) << "the server sent data instead of closing";
  EXPECT_TRUE(WaitFor([&] { return (*server)->stats().connections_refused == 1; }));
}

TEST_F(TcpTlsTest, PlainClientIsRefusedByATlsServer) {
  auto server = Server(/*require_client_certificate=*/false);
  auto plain = TcpTransport::Create({}, io_.context());
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT(WhoAmI(**plain, server->address()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_refused == 1; }));
}

TEST_F(TcpTlsTest, BadFilesAreReportedByName) {
  TcpTransportOptions options;
  options.listen_address = "127.0.0.1:0";
  TlsOptions tls;
  tls.certificate_file = dir_.path() + "/missing.pem";
  tls.private_key_file = server_key_;
  tls.ca_file = ca_file_;
  options.tls = tls;
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing.pem")));

  auto other = ca_.Issue("node-2", {"IP:127.0.0.1"});
  options.tls->certificate_file = server_cert_;
  options.tls->private_key_file = dir_.Write("other.key", other.private_key);
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));

  options.tls->private_key_file = server_key_;
  options.tls->ca_file = "";
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ca_file")));

  // A failed reload keeps the old credentials.
  auto server = Server(/*require_client_certificate=*/false);
  dir_.Write("ca.pem", "not a certificate");
  EXPECT_THAT(server->ReloadCertificates(), StatusIs(absl::StatusCode::kInvalidArgument));
  dir_.Write("ca.pem", ca_.certificate_pem());
  auto client = Client(ca_file_, nullptr);
  EXPECT_THAT(WhoAmI(*client, server->address()), IsOk());
}

}  // namespace
}  // namespace cohort::transport
