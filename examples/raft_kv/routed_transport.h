// A Transport decorator that dials some peer addresses through others, for
// running raft_kv behind per-link proxies (the fault-injecting proxy of the
// cluster tests, or a sidecar).
//
// Why raft_kv needs it: every Raft message carries its sender's own address
// and the receiver records it (RaftNode learns members' addresses that way),
// so a member told "reach 2 through proxy port P" by --peers alone would
// switch to 2's real address as soon as 2 spoke to it. Routing below the
// node, on the address actually dialled, keeps every call on its link.
#ifndef COHORT_EXAMPLES_RAFT_KV_ROUTED_TRANSPORT_H_
#define COHORT_EXAMPLES_RAFT_KV_ROUTED_TRANSPORT_H_

#include <map>
#include <string>
#include <string_view>

#include "cohort/transport/transport.h"

namespace raft_kv {

class RoutedTransport final : public cohort::transport::Transport {
 public:
  // `routes`: address a caller asks for -> address actually dialled.
  // Addresses not in `routes` are dialled as they are. `inner` is borrowed
  // and must outlive this object. Thread-safety: as `inner` (routes are
  // immutable).
  RoutedTransport(cohort::transport::Transport& inner, std::map<std::string, std::string> routes);

  const std::string& address() const override { return inner_.address(); }
  absl::Status Register(std::string method, cohort::transport::Handler handler) override;
  cohort::Awaitable<absl::StatusOr<std::string>> Call(
      std::string_view peer, std::string_view method, std::string request,
      const cohort::transport::CallOptions& options) override;
  cohort::Awaitable<void> Shutdown(absl::Time deadline) override;

 private:
  cohort::transport::Transport& inner_;
  const std::map<std::string, std::string> routes_;
};

}  // namespace raft_kv

#endif  // COHORT_EXAMPLES_RAFT_KV_ROUTED_TRANSPORT_H_
