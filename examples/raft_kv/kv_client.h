// The raft_kv client: calls kv.Put/Get/Delete/Cas/Status on the servers'
// client ports and follows leader hints.
//
// Writes carry (client id, sequence number), so retrying one after a lost
// answer, a timeout or a leader change cannot apply it twice.
#ifndef COHORT_EXAMPLES_RAFT_KV_KV_CLIENT_H_
#define COHORT_EXAMPLES_RAFT_KV_KV_CLIENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/transport/transport.h"
#include "kv_codec.h"

namespace raft_kv {

// Parses "1=127.0.0.1:7001,2=127.0.0.1:7002" into id -> address.
std::optional<std::map<std::uint64_t, std::string>> ParseMembers(const std::string& text);

class KvClient {
 public:
  // `servers`: raft member id -> client address. Borrowed references must
  // outlive the client. `client_id` must be unique among clients (0 turns
  // off deduplication).
  KvClient(cohort::transport::Transport& transport, cohort::Clock& clock,
           std::map<std::uint64_t, std::string> servers, std::uint64_t client_id);

  // Returns the state machine's answer ("ok", "deleted", "absent");
  // kFailedPrecondition for a failed compare-and-swap; kDeadlineExceeded if
  // no leader answered in time.
  cohort::Awaitable<absl::StatusOr<std::string>> Put(std::string key, std::string value,
                                                     absl::Time deadline);
  cohort::Awaitable<absl::StatusOr<std::string>> Delete(std::string key, absl::Time deadline);
  // `expected` nullopt: the key must be absent.
  cohort::Awaitable<absl::StatusOr<std::string>> Cas(std::string key,
                                                     std::optional<std::string> expected,
                                                     std::string value, absl::Time deadline);
  // A linearizable read; nullopt when the key is absent. `via` non-zero:
  // ask that member only (it confirms with the leader).
  cohort::Awaitable<absl::StatusOr<std::optional<std::string>>> Get(std::string key,
                                                                    absl::Time deadline,
                                                                    std::uint64_t via = 0);
  // "role=<role> leader=<id> term=<t> commit=<c> applied=<a>" of one member.
  cohort::Awaitable<absl::StatusOr<std::string>> Status(std::uint64_t id, absl::Time deadline);
  // Member `id`'s metrics in the Prometheus text format.
  cohort::Awaitable<absl::StatusOr<std::string>> Metrics(std::uint64_t id, absl::Time deadline);

 private:
  cohort::Awaitable<absl::StatusOr<std::string>> Invoke(std::string method, Request request,
                                                        absl::Time deadline, std::uint64_t via);

  cohort::transport::Transport& transport_;
  cohort::Clock& clock_;
  std::map<std::uint64_t, std::string> servers_;
  std::uint64_t client_id_;
  std::uint64_t seq_ = 0;
  std::uint64_t leader_ = 0;
};

}  // namespace raft_kv

#endif  // COHORT_EXAMPLES_RAFT_KV_KV_CLIENT_H_
