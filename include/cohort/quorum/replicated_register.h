// A Dynamo-style replicated register (seed questions 374, 379): every key
// lives on N replicas; writes are stamped with hybrid logical clock
// timestamps and the newest timestamp wins (last write wins); a write waits
// for W replicas, a read asks R replicas, returns the newest value among the
// answers and repairs the replicas that answered with an older one.
//
// With R + W > N every read quorum overlaps every write quorum, so a read
// sees the latest acknowledged write (read-your-writes). Weaker settings are
// refused unless RegisterOptions::allow_weak_quorums asks for them.
//
//   replica:  auto replica = RegisterReplica::Create(*transport);   // on each node
//   client:   auto reg = RegisterClient::Create(*transport, options, hlc, clock);
//             co_await (*reg)->Write("flags/new-ui", "on");
//             auto v = co_await (*reg)->Read("flags/new-ui");
#ifndef COHORT_QUORUM_REPLICATED_REGISTER_H_
#define COHORT_QUORUM_REPLICATED_REGISTER_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/quorum/hlc.h"
#include "cohort/quorum/quorum_call.h"
#include "cohort/transport/transport.h"

namespace cohort::quorum {

// A value with the timestamp of the write that produced it.
struct VersionedValue {
  std::string value{};
  HlcTimestamp timestamp{};
};

// One replica's copy of the registers, served over a Transport under the
// methods "cohort.register.Read" and "cohort.register.Write". Must be used
// from the transport's executor.
class RegisterReplica {
 public:
  // Registers the methods on `transport`, which is borrowed and must outlive
  // the replica. kAlreadyExists if another replica is registered there.
  static absl::StatusOr<std::unique_ptr<RegisterReplica>> Create(transport::Transport& transport);

  // The replica's current copy of `key`, for tests and operators.
  std::optional<VersionedValue> Peek(std::string_view key) const;

 private:
  RegisterReplica() = default;
  std::shared_ptr<std::map<std::string, VersionedValue, std::less<>>> store_;
};

struct RegisterOptions {
  // Addresses of the N replicas. Required, no duplicates.
  std::vector<std::string> replicas{};
  // W and R, each in [1, N]. Defaults: majorities (set when 0).
  std::size_t write_quorum = 0;
  std::size_t read_quorum = 0;
  // Accept R + W <= N (reads may miss the latest write). Default: false.
  bool allow_weak_quorums = false;
  // Deadline of each Read and Write, from its start. Default: 1 second.
  absl::Duration timeout = absl::Seconds(1);
  // Write the newest value back to replicas that answered a read with an
  // older one (in the background). Default: true.
  bool read_repair = true;
  // Default: none (all N replicas are asked at once).
  HedgingOptions hedging{};
};

class RegisterClient {
 public:
  // `transport`, `hlc` and `clock` are borrowed and must outlive the client and
  // its background repairs. kInvalidArgument for bad options, naming the fix.
  static absl::StatusOr<std::unique_ptr<RegisterClient>> Create(transport::Transport& transport,
                                                                RegisterOptions options,
                                                                HybridLogicalClock& hlc,
                                                                Clock& clock);

  // Writes `value` under a fresh timestamp and returns it once W replicas
  // have stored it. kUnavailable / kDeadlineExceeded when no quorum answers
  // in time (the write may still be on some replicas).
  Awaitable<absl::StatusOr<HlcTimestamp>> Write(std::string key, std::string value);

  // The newest value among R replicas' answers; kNotFound if none of them
  // has the key.
  Awaitable<absl::StatusOr<VersionedValue>> Read(std::string key);

  const RegisterOptions& options() const { return options_; }

 private:
  RegisterClient(transport::Transport& transport, RegisterOptions options,
                 HybridLogicalClock& hlc, Clock& clock)
      : transport_(transport), options_(std::move(options)), hlc_(hlc), clock_(clock) {}

  transport::Transport& transport_;
  RegisterOptions options_;
  HybridLogicalClock& hlc_;
  Clock& clock_;
};

}  // namespace cohort::quorum

#endif  // COHORT_QUORUM_REPLICATED_REGISTER_H_
