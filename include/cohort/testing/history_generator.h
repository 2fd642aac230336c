// Random key-value histories that are linearizable by construction, for
// testing and benchmarking linearizability checkers (and the code that
// records histories).
//
// The generator runs a sequential register per key and gives each operation
// a real-time interval around its point in that sequence, with `clients`
// clients each running one operation at a time, so intervals of different
// clients overlap.
#ifndef COHORT_TESTING_HISTORY_GENERATOR_H_
#define COHORT_TESTING_HISTORY_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "cohort/base/random.h"
#include "cohort/testing/history.h"

namespace cohort::testing {

struct RegisterHistoryOptions {
  // Concurrent clients (each has at most one call outstanding). Must be >= 1.
  // Default: 8.
  int clients = 8;
  // Distinct keys, named "k0", "k1", ... Must be >= 1.
  // Default: 10.
  int keys = 10;
  // Operations to generate.
  // Default: 1000.
  std::size_t operations = 1000;
  // Share of puts and of cas among operations; the rest are gets. Each in
  // [0, 1], their sum at most 1.
  // Default: 0.4 and 0.2.
  double put_fraction = 0.4;
  double cas_fraction = 0.2;
  // Share of operations recorded with ok == false; such a put or cas takes
  // effect or not with equal probability, and its client continues under a
  // new client id (as a crashed process would be replaced). In [0, 1].
  // Default: 0.
  double unknown_fraction = 0.0;
  // Whether gets record the "found" extension.
  // Default: false.
  bool record_found = false;
  // Upper bound of a client's pause between operations, and of the time from
  // a call to its effect and from the effect to the return. Must be >= 0
  // and >= 1 respectively.
  // Default: 100 and 1000.
  std::int64_t max_think_ns = 100;
  std::int64_t max_latency_ns = 1000;
};

// Returns a linearizable history ordered by call_ns, using and advancing
// `random` (so a seed replays it), or InvalidArgument naming an out-of-range
// option. Written values are unique ("v<n>").
absl::StatusOr<std::vector<Operation>> GenerateRegisterHistory(
    Random& random, const RegisterHistoryOptions& options);

}  // namespace cohort::testing

#endif  // COHORT_TESTING_HISTORY_GENERATOR_H_
