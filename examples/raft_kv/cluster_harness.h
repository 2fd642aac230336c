// The harness of the raft_kv real-process tests: N raft_kv servers on
// 127.0.0.1, each Raft link (member i -> member j) through a FaultProxy link
// so that tests can partition the cluster, a KvClient factory talking to the
// members' client ports directly, and bounded polls of cluster conditions.
//
// Time: the cluster runs on the real clock. Every wait is a poll of a
// condition with a generous deadline, never a fixed sleep, so that a slow or
// loaded machine makes the tests slower, not flaky.
#ifndef COHORT_EXAMPLES_RAFT_KV_CLUSTER_HARNESS_H_
#define COHORT_EXAMPLES_RAFT_KV_CLUSTER_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/transport/transport.h"
#include "fault_proxy.h"
#include "kv_client.h"

namespace raft_kv::testing {

using MemberId = std::uint64_t;

struct ClusterOptions {
  std::string server;  // path of the raft_kv binary
  std::string dir;     // data directories and server logs
  int members = 3;
  // Election timeout = election_ticks x tick_ms = 2 s: two election timeouts
  // (4 s) dwarf the scheduling hiccups of a loaded 2-core machine, while a
  // kill-and-elect round still takes only a few seconds.
  int tick_ms = 100;
  int election_ticks = 20;
};

class Cluster {
 public:
  // Picks ports and opens the proxy links; starts nothing.
  static absl::StatusOr<std::unique_ptr<Cluster>> Create(ClusterOptions options);
  // SIGKILLs the members still running.
  ~Cluster();

  const ClusterOptions& options() const { return options_; }
  absl::Duration ElectionTimeout() const;
  std::vector<MemberId> Ids() const;
  // The client address of each of `ids` (every member when empty).
  std::map<MemberId, std::string> ClientAddresses(const std::vector<MemberId>& ids = {}) const;

  // Starts member `id` and waits (polling, up to 30 s) for its "ready" line.
  cohort::Awaitable<bool> Start(MemberId id, cohort::Clock& clock);
  // kill -9, then reaps it.
  void Kill(MemberId id);
  bool Alive(MemberId id) const;

  // Cuts every link between members of different sides, both directions.
  void Partition(const std::vector<std::vector<MemberId>>& sides, CutMode mode);
  void HealAll();
  // Connections the proxy link from -> to has forwarded so far.
  long Forwarded(MemberId from, MemberId to) const;

 private:
  struct Member {
    int peer_port = 0;
    int client_port = 0;
    pid_t pid = -1;
  };
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}

  ClusterOptions options_;
  std::map<MemberId, Member> members_;
  FaultProxy proxy_;
  std::map<std::pair<MemberId, MemberId>, int> links_;  // (from, to) -> proxy link
};

// One member's "kv.Status" answer.
struct MemberStatus {
  std::string role;
  MemberId leader = 0;
  std::uint64_t term = 0;
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
};

class Harness {
 public:
  Harness(Cluster& cluster, cohort::transport::Transport& transport, cohort::Clock& clock)
      : cluster_(cluster), transport_(transport), clock_(clock) {}

  Cluster& cluster() { return cluster_; }
  cohort::Clock& clock() { return clock_; }
  absl::Time Now() const { return clock_.Now(); }

  // A client of `members` (every member when empty) with a fresh client id.
  std::unique_ptr<KvClient> NewClient(const std::vector<MemberId>& members = {});

  cohort::Awaitable<std::optional<MemberStatus>> StatusOf(MemberId id);
  // The leader that every live member of `among` (all when empty) names,
  // itself a leader, or 0 once `limit` has passed.
  cohort::Awaitable<MemberId> WaitForLeader(absl::Duration limit,
                                            std::vector<MemberId> among = {});
  // Every live member names the same leader and has applied its commit
  // index. Returns that leader, or 0 at the deadline.
  cohort::Awaitable<MemberId> WaitConverged(absl::Duration limit);
  // Reads every key of `acked` (linearizable Get, through `via` when
  // non-zero) and compares; prints the first mismatch. `acked` must outlive
  // the call.
  cohort::Awaitable<bool> ReadBack(const std::map<std::string, std::string>& acked, MemberId via);
  // The highest commit index any live member reports.
  cohort::Awaitable<std::uint64_t> MaxCommit();
  // Polls `condition` every 50 ms until it holds (true) or `limit` passes.
  // `condition` must outlive the call (pass a named std::function).
  cohort::Awaitable<bool> WaitFor(const std::function<bool()>& condition, absl::Duration limit);

 private:
  Cluster& cluster_;
  cohort::transport::Transport& transport_;
  cohort::Clock& clock_;
  std::uint64_t next_client_id_ = 1000;
};

// Prints "  ok  what" or "  FAIL what"; returns ok.
bool Check(bool ok, const std::string& what);

// Command-line flags of the test programs: --server PATH, --members N and
// any other "--name value" pairs (read with Flag).
struct TestFlags {
  std::string server;
  int members = 3;
  std::map<std::string, std::string> extra;
  std::string Flag(const std::string& name, std::string fallback) const;
  int IntFlag(const std::string& name, int fallback) const;
};

// The main() of a test program: parses flags, makes a temporary directory,
// creates and starts the cluster, runs `body` on a client transport and
// prints the verdict. Exit 0 when `body` returned true; otherwise 1, and the
// directory (server logs, histories) is kept and printed.
int RunClusterTest(int argc, char** argv, const char* name,
                   std::function<cohort::Awaitable<bool>(Harness&, const TestFlags&)> body);

}  // namespace raft_kv::testing

#endif  // COHORT_EXAMPLES_RAFT_KV_CLUSTER_HARNESS_H_
