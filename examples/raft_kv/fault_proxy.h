// A fault-injecting TCP relay for the raft_kv cluster tests: one listener on
// 127.0.0.1 per directed link, forwarding to one target port, that the test
// can cut and heal.
//
// A cut closes the link's open connections and then either refuses new ones
// (accepts and closes them at once: the sender sees the peer go away) or
// blackholes them (accepts them and discards what they carry: the sender's
// calls time out, as behind a dropped route). Healing closes the
// blackholed connections, so senders reconnect through the healed link.
//
// The relay runs on its own thread, so that a test which blocks (forking a
// server, checking a history) never stalls the cluster's traffic.
#ifndef COHORT_EXAMPLES_RAFT_KV_FAULT_PROXY_H_
#define COHORT_EXAMPLES_RAFT_KV_FAULT_PROXY_H_

#include <memory>

#include "absl/status/statusor.h"

namespace raft_kv {

enum class CutMode { kRefuse, kBlackhole };

class FaultProxy {
 public:
  FaultProxy();
  // Closes every listener and connection and joins the relay thread.
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Opens a link (listening on an ephemeral port of 127.0.0.1) that
  // forwards to 127.0.0.1:`target_port` and returns its id; ListenPort(id)
  // is where senders connect. kInternal if no port could be bound.
  absl::StatusOr<int> AddLink(int target_port);
  int ListenPort(int link) const;

  // Cuts link `link` (see the file comment); a cut link stays cut until
  // Heal. Cutting a cut link changes its mode. Not from the relay thread.
  void Cut(int link, CutMode mode);
  void Heal(int link);

  // Connections the link has forwarded since it was added (for tests that
  // want to show traffic really flows through the proxy).
  long Forwarded(int link) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace raft_kv

#endif  // COHORT_EXAMPLES_RAFT_KV_FAULT_PROXY_H_
