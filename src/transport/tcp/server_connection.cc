#include "transport/tcp/server_connection.h"

#include <exception>
#include <utility>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::transport {

std::shared_ptr<const Handler> ServerState::Find(std::string_view method) {
  absl::MutexLock lock(&mu);
  auto it = handlers.find(method);
  return it == handlers.end() ? nullptr : it->second;
}

void ServerState::HandlerDone() {
  if (in_flight.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (!draining.load(std::memory_order_acquire)) return;
  std::function<void()> idle;
  {
    absl::MutexLock lock(&mu);
    idle = on_idle;
  }
  if (idle) idle();
}

ServerConnection::ServerConnection(Strand strand, PeerIdentity peer,
                                   std::shared_ptr<ServerState> server)
    : Connection(std::move(strand), peer.address, server->max_payload, server->logger),
      peer_(std::move(peer)),
      server_(std::move(server)) {}

ServerConnection::~ServerConnection() = default;

void ServerConnection::Serve(std::unique_ptr<Stream> stream) {
  auto self = std::static_pointer_cast<ServerConnection>(shared_from_this());
  deadlines_ = std::make_shared<DeadlineQueue>(
      strand(), server_->clock, [weak = std::weak_ptr<ServerConnection>(self)](std::uint64_t id) {
        if (auto c = weak.lock()) c->Cancel(id);
      });
  deadlines_->Start();
  Attach(std::move(stream));
}

void ServerConnection::GoAway() {
  auto self = std::static_pointer_cast<ServerConnection>(shared_from_this());
  asio::dispatch(strand(), [self] {
    if (self->going_away_) return;
    self->going_away_ = true;
    (void)self->Send(FrameType::kGoAway, 0, "");
  });
}

void ServerConnection::CancelHandlers() {
  auto self = std::static_pointer_cast<ServerConnection>(shared_from_this());
  asio::dispatch(strand(), [self] {
    std::vector<std::uint64_t> ids;
    for (auto& [id, serving] : self->serving_) ids.push_back(id);
    for (std::uint64_t id : ids) self->Cancel(id);
  });
}

void ServerConnection::OnFrame(Frame frame) {
  switch (frame.header.type) {
    case FrameType::kRequest:
      HandleRequest(frame.header.correlation_id, std::move(frame.payload),
                    (frame.header.flags & kFrameFlagOneWay) != 0);
      return;
    case FrameType::kCancel:
      Cancel(frame.header.correlation_id);
      return;
    case FrameType::kPing:
      (void)Send(FrameType::kPong, frame.header.correlation_id, "");
      return;
    case FrameType::kPong:
    case FrameType::kGoAway:
      return;
    case FrameType::kResponse:
      Close(absl::DataLossError(
          absl::StrCat("client ", peer_.address, " sent a response frame to a server")));
      return;
  }
}

void ServerConnection::Refuse(std::uint64_t id, bool one_way, const absl::Status& status) {
  if (!one_way) {
    Respond(id, status);
    return;
  }
  if (status.code() == absl::StatusCode::kUnimplemented) {
    absl::MutexLock lock(&server_->mu);
    if (server_->unknown_one_way.size() < 64 &&
        server_->unknown_one_way.insert(std::string(status.message())).second) {
      server_->logger->warn("cohort transport: dropped a message from {}: {}", peer_.address,
                            std::string(status.message()));
      return;
    }
  }
  server_->logger->debug("cohort transport: dropped a message from {}: {}", peer_.address,
                         std::string(status.message()));
}

void ServerConnection::HandleRequest(std::uint64_t id, std::string payload, bool one_way) {
  absl::StatusOr<RpcRequest> request = DecodeRequest(payload);
  if (!request.ok()) {
    // The frame was intact, so the stream is still in step: end this call.
    server_->logger->warn("cohort transport: malformed request from {}: {}", peer_.address,
                          std::string(request.status().message()));
    if (!one_way) Respond(id, request.status());
    return;
  }
  if (going_away_ || server_->draining.load(std::memory_order_acquire)) {
    Refuse(id, one_way,
           MarkNotSent(absl::UnavailableError(absl::StrCat(
               "server ", server_->local_address,
               " is shutting down and did not run the call; send it elsewhere"))));
    return;
  }
  std::shared_ptr<const Handler> handler = server_->Find(request->method);
  if (handler == nullptr) {
    Refuse(id, one_way,
           absl::UnimplementedError(absl::StrCat("no handler for method \"", request->method,
                                                 "\" on ", server_->local_address)));
    return;
  }
  if (static_cast<int>(serving_.size()) >= server_->max_concurrent_calls) {
    Refuse(id, one_way,
           WithRetryAfter(absl::ResourceExhaustedError(absl::StrCat(
                              "server ", server_->local_address, " is serving ",
                              serving_.size(), " calls on this connection already")),
                          absl::Milliseconds(10)));
    return;
  }
  if (one_way) {
    id = next_one_way_id_++;
  } else if (id >= kFirstOneWayId) {
    Close(absl::DataLossError(absl::StrCat("client ", peer_.address, " used call id ", id,
                                           ", which is reserved for one-way messages")));
    return;
  }
  if (serving_.contains(id)) {
    Close(absl::DataLossError(
        absl::StrCat("client ", peer_.address, " reused call id ", id, " while it was in flight")));
    return;
  }
  const absl::Time deadline = request->timeout > absl::ZeroDuration()
                                  ? server_->clock->Now() + request->timeout
                                  : absl::InfiniteFuture();
  auto serving = std::make_unique<Serving>();
  serving->deadline = deadline;
  serving->one_way = one_way;
  auto slot = serving->signal.slot();
  serving_.emplace(id, std::move(serving));
  deadlines_->Add(id, deadline);
  server_->in_flight.fetch_add(1, std::memory_order_acq_rel);
  auto self = std::static_pointer_cast<ServerConnection>(shared_from_this());
  asio::co_spawn(strand(), RunHandler(id, std::move(handler), *std::move(request), deadline),
                 asio::bind_cancellation_slot(slot, [self, id](std::exception_ptr) {
                   // Forget the signal only after its coroutine has fully
                   // let go of the slot.
                   asio::post(self->strand(), [self, id] { self->serving_.erase(id); });
                 }));
}

Awaitable<void> ServerConnection::RunHandler(std::uint64_t id,
                                             std::shared_ptr<const Handler> handler,
                                             RpcRequest request, absl::Time deadline) {
  ServerCall call;
  call.method = request.method;
  call.peer = peer_;
  call.trace = std::move(request.trace);
  call.deadline = deadline;
  absl::StatusOr<std::string> result;
  try {
    Awaitable<absl::StatusOr<std::string>> op = (*handler)(call, std::move(request.body));
    result = co_await std::move(op);
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("handler for \"", request.method,
                                              "\" threw: ", e.what()));
  } catch (...) {
    result = absl::InternalError(
        absl::StrCat("handler for \"", request.method, "\" threw a non-standard exception"));
  }
  server_->calls_served.fetch_add(1, std::memory_order_relaxed);
  auto it = serving_.find(id);
  if (it != serving_.end()) {
    deadlines_->Remove(id, it->second->deadline);
    if (it->second->one_way) {
      if (!result.ok()) {
        server_->logger->debug("cohort transport: message \"{}\" from {} failed: {}", call.method,
                               peer_.address, result.status().ToString());
      }
    } else if (!it->second->cancelled) {
      Respond(id, result);
    }
  }
  server_->HandlerDone();
}

void ServerConnection::Cancel(std::uint64_t id) {
  auto it = serving_.find(id);
  if (it == serving_.end() || it->second->cancelled) return;
  it->second->cancelled = true;
  it->second->signal.emit(asio::cancellation_type::terminal);
}

void ServerConnection::Respond(std::uint64_t id, const absl::StatusOr<std::string>& result) {
  RpcResponse response;
  if (result.ok()) {
    response.body = *result;
  } else {
    response.status = result.status();
  }
  std::string payload;
  EncodeResponse(response, &payload);
  if (payload.size() > server_->max_payload) {
    response.body.clear();
    response.status = absl::ResourceExhaustedError(absl::StrCat(
        "the response of ", payload.size(), " bytes exceeds the frame limit of ",
        server_->max_payload, " bytes"));
    payload.clear();
    EncodeResponse(response, &payload);
  }
  (void)Send(FrameType::kResponse, id, payload);
}

void ServerConnection::OnClose(const absl::Status& reason, std::uint64_t) {
  if (deadlines_ != nullptr) deadlines_->Stop();
  // Handlers of a closed connection have no one to answer.
  for (auto& [id, serving] : serving_) {
    if (!serving->cancelled) {
      serving->cancelled = true;
      serving->signal.emit(asio::cancellation_type::terminal);
    }
  }
  if (reason.code() != absl::StatusCode::kUnavailable) {
    server_->protocol_errors.fetch_add(1, std::memory_order_relaxed);
    server_->logger->warn("cohort transport: closed connection from {}: {}", peer_.address,
                          std::string(reason.message()));
  } else {
    server_->logger->debug("cohort transport: connection from {} closed: {}", peer_.address,
                           std::string(reason.message()));
  }
}

}  // namespace cohort::transport
