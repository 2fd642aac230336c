// SimulatedNetwork: a deterministic network for protocol tests.
//
// Endpoints created here implement Transport without sockets or threads.
// Every message crosses a simulated link with a delay drawn from the link's
// range, may be lost or duplicated, and is reordered whenever delays overlap;
// partitions (symmetric or one-way) and crashed nodes drop messages. All of it
// is driven by a SimulatedClock and one seed: the same seed and the same test
// give the same run, message for message. A failing test prints its seed.
//
// Single-threaded: create endpoints and inject faults from the thread that
// runs the io_context, between or inside its handlers.
#ifndef COHORT_TRANSPORT_SIMULATED_NETWORK_H_
#define COHORT_TRANSPORT_SIMULATED_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/transport/transport.h"

namespace cohort::transport {

// How messages travel from one node to another.
struct LinkOptions {
  // Each message's delay is uniform in [min_delay, max_delay]; overlapping
  // ranges reorder messages. Default: 1 ms to 5 ms.
  absl::Duration min_delay = absl::Milliseconds(1);
  absl::Duration max_delay = absl::Milliseconds(5);
  // Probability that a message is lost, in [0, 1]. Default: 0.
  double loss = 0;
  // Probability that a message is delivered twice, in [0, 1]. Default: 0.
  double duplicate = 0;
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;         // dropped by LinkOptions::loss
  std::uint64_t blocked = 0;      // dropped by a partition or a crashed node
  std::uint64_t duplicated = 0;
};

class SimulatedNetwork {
 public:
  // `clock` must outlive the network and every endpoint. Messages are
  // delivered through coroutines on `executor`.
  SimulatedNetwork(SimulatedClock& clock, Executor executor, std::uint64_t seed);
  ~SimulatedNetwork();

  SimulatedNetwork(const SimulatedNetwork&) = delete;
  SimulatedNetwork& operator=(const SimulatedNetwork&) = delete;

  // A new endpoint reachable at `address`. kAlreadyExists if the address is
  // taken by a live endpoint. The endpoint must not outlive the network.
  absl::StatusOr<std::unique_ptr<Transport>> NewEndpoint(std::string address);

  // Link behaviour for all pairs without their own, and for one direction.
  // kInvalidArgument for probabilities outside [0, 1] or min > max.
  absl::Status SetDefaultLink(const LinkOptions& options);
  absl::Status SetLink(std::string_view from, std::string_view to, const LinkOptions& options);

  // Drops messages from `from` to `to` (one-way) until healed.
  void Block(std::string_view from, std::string_view to);
  // Cuts every link between the two groups, both ways.
  void Partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b);
  // Restores every blocked link.
  void Heal();

  // A crashed node sends and receives nothing: its handlers in flight are
  // cancelled and its outgoing calls fail with kUnavailable. Restart lets it
  // communicate again (the endpoint object keeps its registrations; a test
  // simulating lost state creates a new node instead).
  void Crash(std::string_view address);
  void Restart(std::string_view address);

  const NetworkStats& stats() const;
  std::uint64_t seed() const;

 private:
  friend class SimulatedEndpoint;
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cohort::transport

#endif  // COHORT_TRANSPORT_SIMULATED_NETWORK_H_
