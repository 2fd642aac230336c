#include "routed_transport.h"

#include <utility>

namespace raft_kv {

RoutedTransport::RoutedTransport(cohort::transport::Transport& inner,
                                 std::map<std::string, std::string> routes)
    : inner_(inner), routes_(std::move(routes)) {}

absl::Status RoutedTransport::Register(std::string method, cohort::transport::Handler handler) {
  return inner_.Register(std::move(method), std::move(handler));
}

cohort::Awaitable<absl::StatusOr<std::string>> RoutedTransport::Call(
    std::string_view peer, std::string_view method, std::string request,
    const cohort::transport::CallOptions& options) {
  // Owned copies taken before the first suspension: the caller's views are
  // valid until then, since it awaits this call in one full-expression.
  auto it = routes_.find(std::string(peer));
  const std::string target = it == routes_.end() ? std::string(peer) : it->second;
  const std::string name(method);
  const cohort::transport::CallOptions copy = options;
  co_return co_await inner_.Call(target, name, std::move(request), copy);
}

cohort::Awaitable<void> RoutedTransport::Shutdown(absl::Time deadline) {
  co_await inner_.Shutdown(deadline);
}

}  // namespace raft_kv
