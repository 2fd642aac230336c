#include "transport/tcp/client_connection.h"

#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/use_awaitable.hpp>
#include <openssl/ssl.h>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/base/deadline.h"
#include "cohort/resilience/status_hints.h"
#include "transport/rpc_codec.h"

namespace cohort::transport {
namespace {

using asio::experimental::as_tuple;

bool IsIpLiteral(const std::string& host) {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

ClientConnection::ClientConnection(Strand strand, std::string peer, ClientConnectionConfig config,
                                   std::weak_ptr<ConnectionListener> listener)
    : Connection(std::move(strand), std::move(peer), config.max_payload, config.logger),
      config_(std::move(config)),
      listener_(std::move(listener)) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::Start() {
  auto self = std::static_pointer_cast<ClientConnection>(shared_from_this());
  deadlines_ = std::make_shared<DeadlineQueue>(strand(), config_.clock,
                                               [weak = std::weak_ptr<ClientConnection>(self)](
                                                   std::uint64_t id) {
                                                 if (auto c = weak.lock()) c->Expire(id);
                                               });
  deadlines_->Start();
  asio::co_spawn(
      strand(),
      [self]() -> Awaitable<void> {
        const absl::Time deadline = self->config_.clock->Now() + self->config_.connect_timeout;
        const std::string what = absl::StrCat("connecting to ", self->peer_address());
        Awaitable<absl::StatusOr<std::unique_ptr<Stream>>> establish = self->Establish();
        absl::StatusOr<std::unique_ptr<Stream>> stream =
            co_await WithDeadline(*self->config_.clock, deadline, std::move(establish), what);
        if (!stream.ok()) {
          absl::Status status = stream.status();
          if (status.code() != absl::StatusCode::kUnavailable) {
            status = absl::UnavailableError(status.message());
          }
          // The pool learns of the failure (and starts its backoff) before
          // the connection reads as closed, so that no call slips in
          // between and opens another one at once.
          self->connect_reported_ = true;
          if (auto listener = self->listener_.lock()) {
            listener->OnConnectFailed(self->peer_address(), status);
          }
          self->Close(std::move(status));
          co_return;
        }
        self->established_ = true;
        if (auto listener = self->listener_.lock()) listener->OnConnected(self->peer_address());
        self->Attach(*std::move(stream));
      },
      asio::detached);
}

Awaitable<absl::StatusOr<std::unique_ptr<Stream>>> ClientConnection::Establish() {
  asio::ip::tcp::resolver resolver(strand());
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
      config_.host, std::to_string(config_.port), as_tuple(asio::use_awaitable));
  if (resolve_ec) {
    co_return absl::UnavailableError(
        absl::StrCat("cannot resolve ", config_.host, ": ", resolve_ec.message()));
  }
  asio::ip::tcp::socket socket(strand());
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(socket, endpoints, as_tuple(asio::use_awaitable));
  if (connect_ec) {
    co_return absl::UnavailableError(
        absl::StrCat("cannot connect to ", peer_address(), ": ", connect_ec.message()));
  }
  asio::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (config_.tls == nullptr) co_return std::make_unique<Stream>(std::move(socket));

  std::shared_ptr<asio::ssl::context> context = config_.tls->client_context();
  Stream::Tls tls(std::move(socket), *context);
  const std::string& expected = config_.tls->options().server_name.empty()
                                    ? config_.host
                                    : config_.tls->options().server_name;
  if (!IsIpLiteral(expected)) SSL_set_tlsext_host_name(tls.native_handle(), expected.c_str());
  tls.set_verify_mode(asio::ssl::verify_peer);
  tls.set_verify_callback(asio::ssl::host_name_verification(expected));
  auto [handshake_ec] =
      co_await tls.async_handshake(asio::ssl::stream_base::client, as_tuple(asio::use_awaitable));
  if (handshake_ec) {
    co_return absl::UnavailableError(absl::StrCat("TLS handshake with ", peer_address(),
                                                  " (expecting a certificate for \"", expected,
                                                  "\") failed: ", handshake_ec.message()));
  }
  co_return std::make_unique<Stream>(std::move(tls));
}

absl::StatusOr<std::uint64_t> ClientConnection::StartCall(std::shared_ptr<PendingCall> call,
                                                          std::string_view request_payload) {
  std::uint64_t id = 0;
  bool kick = false;
  {
    absl::MutexLock lock(&calls_mu_);
    if (!usable()) {
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("connection to ", peer_address(), " is closing")));
    }
    id = next_id_++;
    // Registered before the request is queued, so that neither a fast
    // response nor the connection closing can miss it.
    calls_.emplace(id, call);
    deadlines_->Add(id, call->deadline);
    absl::StatusOr<std::uint64_t> sequence =
        Enqueue(FrameType::kRequest, id, request_payload, &kick);
    if (!sequence.ok()) {
      calls_.erase(id);
      deadlines_->Remove(id, call->deadline);
      absl::Status status = sequence.status();
      return MarkNotSent(std::move(status));
    }
    call->sequence = *sequence;
  }
  // Outside calls_mu_: the write may run here and, failing, close the
  // connection, which takes calls_mu_.
  if (kick) Kick();
  return id;
}

absl::Status ClientConnection::StartOneWay(std::string_view request_payload) {
  bool kick = false;
  {
    absl::MutexLock lock(&calls_mu_);
    if (!usable()) {
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("connection to ", peer_address(), " is closing")));
    }
    absl::StatusOr<std::uint64_t> sequence =
        Enqueue(FrameType::kRequest, /*correlation_id=*/0, request_payload, &kick,
                kFrameFlagOneWay);
    if (!sequence.ok()) {
      absl::Status status = sequence.status();
      return MarkNotSent(std::move(status));
    }
  }
  if (kick) Kick();
  return absl::OkStatus();
}

std::shared_ptr<PendingCall> ClientConnection::Take(std::uint64_t id) {
  absl::MutexLock lock(&calls_mu_);
  auto it = calls_.find(id);
  if (it == calls_.end()) return nullptr;
  std::shared_ptr<PendingCall> call = std::move(it->second);
  calls_.erase(it);
  return call;
}

void ClientConnection::Abandon(std::uint64_t id) {
  std::shared_ptr<PendingCall> call = Take(id);
  if (call == nullptr) return;
  deadlines_->Remove(id, call->deadline);
  (void)Send(FrameType::kCancel, id, "");
  CloseIfDrained();
}

void ClientConnection::Expire(std::uint64_t id) {
  std::shared_ptr<PendingCall> call = Take(id);
  if (call == nullptr) return;
  call->Complete(absl::DeadlineExceededError(
      absl::StrCat("call to ", peer_address(), " did not complete before its deadline")));
  (void)Send(FrameType::kCancel, id, "");
  CloseIfDrained();
}

void ClientConnection::CloseIfDrained() {
  if (!draining_.load(std::memory_order_acquire)) return;
  bool idle = false;
  {
    absl::MutexLock lock(&calls_mu_);
    idle = calls_.empty();
  }
  if (idle) {
    Close(absl::UnavailableError(
        absl::StrCat("connection to ", peer_address(), " drained after the server went away")));
  }
}

void ClientConnection::OnFrame(Frame frame) {
  switch (frame.header.type) {
    case FrameType::kResponse: {
      std::shared_ptr<PendingCall> call = Take(frame.header.correlation_id);
      if (call == nullptr) return;  // expired or abandoned meanwhile
      deadlines_->Remove(frame.header.correlation_id, call->deadline);
      absl::StatusOr<RpcResponse> response = DecodeResponse(frame.payload);
      if (!response.ok()) {
        call->Complete(response.status());
        Close(absl::DataLossError(absl::StrCat("malformed response from ", peer_address(), ": ",
                                               response.status().message())));
        return;
      }
      if (response->status.ok()) {
        call->Complete(std::move(response->body));
      } else {
        call->Complete(std::move(response->status));
      }
      CloseIfDrained();
      return;
    }
    case FrameType::kGoAway:
      draining_.store(true, std::memory_order_release);
      CloseIfDrained();
      return;
    case FrameType::kPing:
      (void)Send(FrameType::kPong, frame.header.correlation_id, "");
      return;
    case FrameType::kPong:
      return;
    case FrameType::kRequest:
    case FrameType::kCancel:
      Close(absl::DataLossError(absl::StrCat(
          "server ", peer_address(), " sent a request frame on a client connection")));
      return;
  }
}

void ClientConnection::OnClose(const absl::Status& reason, std::uint64_t handed_to_socket) {
  if (deadlines_ != nullptr) deadlines_->Stop();
  absl::flat_hash_map<std::uint64_t, std::shared_ptr<PendingCall>> calls;
  {
    absl::MutexLock lock(&calls_mu_);
    calls.swap(calls_);
  }
  for (auto& [id, call] : calls) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("call to ", peer_address(), " failed: ", reason.message()));
    if (call->sequence > handed_to_socket) status = MarkNotSent(std::move(status));
    call->Complete(std::move(status));
  }
  if (!established_ && !connect_reported_) {
    if (auto listener = listener_.lock()) listener->OnConnectFailed(peer_address(), reason);
  }
  const bool protocol_error = reason.code() != absl::StatusCode::kUnavailable;
  if (protocol_error) {
    logger()->warn("cohort transport: closed connection to {}: {}", peer_address(),
                   std::string(reason.message()));
  } else {
    logger()->debug("cohort transport: connection to {} closed: {}", peer_address(),
                    std::string(reason.message()));
  }
}

}  // namespace cohort::transport
