#include "cohort/transport/simulated_network.h"

#include <map>
#include <set>
#include <utility>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/channel.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/resilience/status_hints.h"
#include "transport/link_options.h"

namespace cohort::transport {
namespace {

using Reply = asio::experimental::channel<void(asio::error_code, absl::StatusOr<std::string>)>;

std::string AsString(std::string_view s) { return std::string(s); }

// An outgoing call waiting for its first response.
struct PendingCall {
  explicit PendingCall(const Executor& executor) : reply(executor, 1) {}
  void Complete(absl::StatusOr<std::string> result) {
    if (completed) return;  // duplicates and late answers are dropped
    completed = true;
    reply.try_send(asio::error_code(), std::move(result));
  }
  Reply reply;
  bool completed = false;
};

// A handler running on behalf of a caller.
struct Serving {
  std::string caller;
  std::uint64_t call_id = 0;
  std::unique_ptr<asio::cancellation_signal> signal;
};

// A node's state; lives as long as messages or coroutines refer to it, which
// may be longer than its endpoint object.
struct Node {
  std::string address;
  std::map<std::string, Handler, std::less<>> handlers;
  bool crashed = false;
  bool shut_down = false;
  bool removed = false;
  std::uint64_t next_call_id = 1;
  std::uint64_t next_serve_id = 1;
  std::map<std::uint64_t, std::shared_ptr<PendingCall>> outgoing;
  std::map<std::uint64_t, Serving> serving;

  // A crashed or destroyed node neither sends nor receives; a node shutting
  // down still answers the calls it is serving but accepts no new ones.
  bool CanSend() const { return !crashed && !removed; }
  bool Accepts() const { return CanSend() && !shut_down; }

  void CancelServing() {
    for (auto& [id, s] : serving) s.signal->emit(asio::cancellation_type::terminal);
  }
  void FailOutgoing(const absl::Status& status) {
    auto calls = std::move(outgoing);
    outgoing.clear();
    for (auto& [id, call] : calls) call->Complete(status);
  }
};

}  // namespace

struct SimulatedNetwork::State : std::enable_shared_from_this<SimulatedNetwork::State> {
  State(SimulatedClock& c, Executor e, std::uint64_t s)
      : clock(c), executor(std::move(e)), seed(s), random(s) {}

  SimulatedClock& clock;
  Executor executor;
  const std::uint64_t seed;
  Random random;
  LinkOptions default_link;
  std::map<std::pair<std::string, std::string>, LinkOptions, std::less<>> links;
  std::set<std::pair<std::string, std::string>, std::less<>> blocked;
  std::map<std::string, std::shared_ptr<Node>, std::less<>> nodes;
  NetworkStats stats;

  std::shared_ptr<Node> Find(std::string_view address) const {
    auto it = nodes.find(address);
    return it == nodes.end() ? nullptr : it->second;
  }

  const LinkOptions& LinkFor(const std::string& from, const std::string& to) const {
    auto it = links.find(std::make_pair(from, to));
    return it == links.end() ? default_link : it->second;
  }

  bool Blocked(const std::string& from, const std::string& to) const {
    if (blocked.count(std::make_pair(from, to)) > 0) return true;
    auto a = Find(from), b = Find(to);
    return a == nullptr || b == nullptr || !a->CanSend() || !b->CanSend();
  }

  // Sends one message from `from` to `to`: decides loss and duplication, then
  // runs `deliver` after each copy's delay unless the link or either node is
  // down when it arrives. All random draws happen here, in call order.
  void Transmit(const std::string& from, const std::string& to, std::function<void()> deliver) {
    ++stats.sent;
    const LinkOptions& link = LinkFor(from, to);
    if (Blocked(from, to)) {
      ++stats.blocked;
      return;
    }
    if (random.Bernoulli(link.loss)) {
      ++stats.lost;
      return;
    }
    int copies = 1;
    if (random.Bernoulli(link.duplicate)) {
      ++copies;
      ++stats.duplicated;
    }
    for (int i = 0; i < copies; ++i) {
      const absl::Duration delay = random.UniformDuration(link.min_delay, link.max_delay);
      asio::co_spawn(
          executor,
          [self = shared_from_this(), from, to, deliver, delay]() -> Awaitable<void> {
            if (!(co_await self->clock.SleepFor(delay)).ok()) co_return;
            if (self->Blocked(from, to)) {
              ++self->stats.blocked;
              co_return;
            }
            ++self->stats.delivered;
            deliver();
          },
          asio::detached);
    }
  }

  // Runs `method` on `callee` for a call (answered through the network) or,
  // with call_id 0, for a one-way message (Send: its result goes nowhere).
  void DeliverRequest(const std::string& caller, const std::string& callee,
                      std::uint64_t call_id, const std::string& method,
                      const std::string& request, const CallOptions& options) {
    auto node = Find(callee);
    if (node == nullptr) return;
    auto respond = [self = shared_from_this(), caller, callee,
                    call_id](absl::StatusOr<std::string> result) {
      if (call_id == 0) return;
      self->Transmit(callee, caller, [self, caller, call_id, result = std::move(result)] {
        auto origin = self->Find(caller);
        if (origin == nullptr) return;
        auto it = origin->outgoing.find(call_id);
        if (it == origin->outgoing.end()) return;  // gave up already
        auto call = it->second;
        origin->outgoing.erase(it);
        call->Complete(result);
      });
    };
    if (!node->Accepts()) {
      respond(MarkNotSent(absl::UnavailableError(
          absl::StrCat("node ", callee, " is shutting down and accepts no new calls"))));
      return;
    }
    auto handler = node->handlers.find(method);
    if (handler == node->handlers.end()) {
      respond(absl::UnimplementedError(
          absl::StrCat("node ", callee, " has no handler for method '", method, "'")));
      return;
    }
    const std::uint64_t serve_id = node->next_serve_id++;
    Serving& serving = node->serving[serve_id];
    serving.caller = caller;
    serving.call_id = call_id;
    serving.signal = std::make_unique<asio::cancellation_signal>();
    asio::co_spawn(
        executor,
        [node, serve_id, fn = handler->second, respond, method, request, caller,
         options]() -> Awaitable<void> {
          ServerCall call{method, PeerIdentity{caller, ""}, options.trace, options.deadline};
          absl::StatusOr<std::string> result = co_await fn(call, request);
          node->serving.erase(serve_id);
          if (node->CanSend()) respond(std::move(result));
        },
        asio::bind_cancellation_slot(serving.signal->slot(), asio::detached));
  }

  void DeliverCancel(const std::string& caller, const std::string& callee,
                     std::uint64_t call_id) {
    auto node = Find(callee);
    if (node == nullptr) return;
    for (auto& [id, s] : node->serving) {
      if (s.caller == caller && s.call_id == call_id) {
        s.signal->emit(asio::cancellation_type::terminal);
      }
    }
  }
};

class SimulatedEndpoint final : public Transport {
 public:
  SimulatedEndpoint(std::shared_ptr<SimulatedNetwork::State> net, std::shared_ptr<Node> node)
      : net_(std::move(net)), node_(std::move(node)) {}

  ~SimulatedEndpoint() override {
    node_->removed = true;
    node_->CancelServing();
    node_->FailOutgoing(absl::UnavailableError("endpoint destroyed"));
    net_->nodes.erase(node_->address);
  }

  const std::string& address() const override { return node_->address; }

  absl::Status Register(std::string method, Handler handler) override {
    if (method.empty()) return absl::InvalidArgumentError("method name must not be empty");
    if (node_->handlers.count(method) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("method '", method, "' already registered"));
    }
    node_->handlers.emplace(std::move(method), std::move(handler));
    return absl::OkStatus();
  }

  Awaitable<absl::StatusOr<std::string>> Call(std::string_view peer, std::string_view method,
                                              std::string request,
                                              const CallOptions& options) override {
    using namespace asio::experimental::awaitable_operators;  // NOLINT
    if (!node_->Accepts()) {
      co_return MarkNotSent(absl::UnavailableError(
          absl::StrCat("node ", node_->address, " is down or shutting down")));
    }
    if (net_->Find(peer) == nullptr) {
      co_return MarkNotSent(absl::UnavailableError(
          absl::StrCat("no route from ", node_->address, " to ", AsString(peer))));
    }
    const std::uint64_t call_id = node_->next_call_id++;
    auto pending = std::make_shared<PendingCall>(net_->executor);
    node_->outgoing.emplace(call_id, pending);
    const std::string caller = node_->address, callee = AsString(peer);
    net_->Transmit(caller, callee,
                   [net = net_, caller, callee, call_id, m = AsString(method),
                    req = std::move(request), options] {
                     net->DeliverRequest(caller, callee, call_id, m, req, options);
                   });

    absl::StatusOr<std::string> result = absl::UnknownError("no reply");
    absl::Status gave_up;
    if (options.deadline == absl::InfiniteFuture()) {
      auto [ec, reply] =
          co_await pending->reply.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) gave_up = absl::CancelledError("call cancelled");
      result = std::move(reply);
    } else {
      auto event = co_await (
          pending->reply.async_receive(asio::experimental::as_tuple(asio::use_awaitable)) ||
          net_->clock.SleepUntil(options.deadline));
      if (event.index() == 0) {
        auto [ec, reply] = std::move(std::get<0>(event));
        if (ec) gave_up = absl::CancelledError("call cancelled");
        result = std::move(reply);
      } else {
        absl::Status slept = std::get<1>(event);
        gave_up = slept.ok() ? absl::DeadlineExceededError(absl::StrCat(
                                   "call to ", callee, " '", AsString(method),
                                   "' did not complete before its deadline"))
                             : slept;
      }
    }
    if (!gave_up.ok()) {
      node_->outgoing.erase(call_id);
      net_->Transmit(caller, callee, [net = net_, caller, callee, call_id] {
        net->DeliverCancel(caller, callee, call_id);
      });
      co_return gave_up;
    }
    co_return result;
  }

  absl::Status Send(std::string_view peer, std::string_view method, std::string message,
                    const CallOptions& options) override {
    if (!node_->Accepts()) {
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("node ", node_->address, " is down or shutting down")));
    }
    if (net_->Find(peer) == nullptr) {
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat("no route from ", node_->address, " to ", AsString(peer))));
    }
    if (options.deadline <= net_->clock.Now()) {
      return MarkNotSent(absl::DeadlineExceededError(absl::StrCat(
          "message to ", AsString(peer), " not sent: its deadline had already passed")));
    }
    const std::string caller = node_->address, callee = AsString(peer);
    net_->Transmit(caller, callee,
                   [net = net_, caller, callee, m = AsString(method), msg = std::move(message),
                    options] {
                     net->DeliverRequest(caller, callee, /*call_id=*/0, m, msg, options);
                   });
    return absl::OkStatus();
  }

  Awaitable<void> Shutdown(absl::Time deadline) override {
    if (node_->shut_down) co_return;
    node_->shut_down = true;  // new requests are now dropped
    while (!node_->serving.empty() && net_->clock.Now() < deadline) {
      // Handlers finish on simulated time; look again at the next wake-up.
      const absl::Time next = std::min(deadline, net_->clock.Now() + absl::Milliseconds(1));
      if (!(co_await net_->clock.SleepUntil(next)).ok()) break;
    }
    node_->CancelServing();
    node_->FailOutgoing(absl::UnavailableError(
        absl::StrCat("node ", node_->address, " shut down")));
  }

 private:
  std::shared_ptr<SimulatedNetwork::State> net_;
  std::shared_ptr<Node> node_;
};

SimulatedNetwork::SimulatedNetwork(SimulatedClock& clock, Executor executor, std::uint64_t seed)
    : state_(std::make_shared<State>(clock, std::move(executor), seed)) {}

SimulatedNetwork::~SimulatedNetwork() = default;

absl::StatusOr<std::unique_ptr<Transport>> SimulatedNetwork::NewEndpoint(std::string address) {
  if (address.empty()) return absl::InvalidArgumentError("endpoint address must not be empty");
  if (state_->nodes.count(address) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("address ", address, " is already in use"));
  }
  auto node = std::make_shared<Node>();
  node->address = address;
  state_->nodes.emplace(std::move(address), node);
  return std::unique_ptr<Transport>(new SimulatedEndpoint(state_, std::move(node)));
}

absl::Status SimulatedNetwork::SetDefaultLink(const LinkOptions& options) {
  if (absl::Status s = ValidateLinkOptions(options); !s.ok()) return s;
  state_->default_link = options;
  return absl::OkStatus();
}

absl::Status SimulatedNetwork::SetLink(std::string_view from, std::string_view to,
                                       const LinkOptions& options) {
  if (absl::Status s = ValidateLinkOptions(options); !s.ok()) return s;
  state_->links[std::make_pair(AsString(from), AsString(to))] = options;
  return absl::OkStatus();
}

void SimulatedNetwork::Block(std::string_view from, std::string_view to) {
  state_->blocked.emplace(AsString(from), AsString(to));
}

void SimulatedNetwork::Partition(const std::vector<std::string>& side_a,
                                 const std::vector<std::string>& side_b) {
  for (const auto& a : side_a) {
    for (const auto& b : side_b) {
      Block(a, b);
      Block(b, a);
    }
  }
}

void SimulatedNetwork::Heal() { state_->blocked.clear(); }

void SimulatedNetwork::Crash(std::string_view address) {
  auto node = state_->Find(address);
  if (node == nullptr || node->crashed) return;
  node->crashed = true;
  node->CancelServing();
  node->FailOutgoing(absl::UnavailableError(absl::StrCat("node ", node->address, " crashed")));
}

void SimulatedNetwork::Restart(std::string_view address) {
  if (auto node = state_->Find(address)) node->crashed = false;
}

const NetworkStats& SimulatedNetwork::stats() const { return state_->stats; }

std::uint64_t SimulatedNetwork::seed() const { return state_->seed; }

}  // namespace cohort::transport
