// Linearizability of a KV store on the Raft node under faults: concurrent
// simulated clients issue put/get/cas against random members while leaders
// crash and restart, the network partitions and loses messages; the recorded
// history must pass CheckLinearizability.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kv_codec.h"
#include "kv_state_machine.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::CheckLinearizability;
using ::cohort::testing::CheckOutcome;
using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::Operation;
using ::cohort::testing::OpKind;

constexpr int kMembers = 5;
constexpr int kClients = 5;
constexpr int kOpsPerClient = 60;
constexpr int kKeys = 3;
// A call that has not completed by then is recorded with an unknown outcome.
constexpr absl::Duration kOpTimeout = absl::Seconds(2);
constexpr absl::Duration kAttemptTimeout = absl::Milliseconds(700);

// State shared by the clients of one run. Everything runs on the cluster's
// single io_context, so no locking is needed.
struct Workload {
  TestCluster* cluster = nullptr;
  Random rng{0};
  // Gets read a member's state machine without a read barrier (the negative
  // control: stale reads must be caught).
  bool unsafe_reads = false;
  std::vector<Operation> history;
  std::map<std::string, std::string> last_written;
  int finished = 0;
  // Attempts that failed (and were retried or given up on).
  int failed_attempts = 0;
  int unexpected_results = 0;
};

// The raft_kv state machine, counting snapshot restores (so that the test
// can tell that restarts went through Restore).
class CountingKv final : public StateMachine {
 public:
  explicit CountingKv(int* restores) : restores_(restores) {}
  absl::StatusOr<std::string> Apply(const LogEntry& entry) override { return kv_.Apply(entry); }
  absl::StatusOr<std::unique_ptr<SnapshotWriter>> Snapshot() override { return kv_.Snapshot(); }
  absl::Status Restore(ByteSource& source) override {
    ++*restores_;
    return kv_.Restore(source);
  }
  raft_kv::KvStateMachine& kv() { return kv_; }

 private:
  int* restores_;
  raft_kv::KvStateMachine kv_;
};

raft_kv::KvStateMachine& Kv(TestCluster& c, std::uint64_t id) {
  return static_cast<CountingKv&>(c.state_machine(id)).kv();
}

std::int64_t Nanos(TestCluster& c) { return absl::ToUnixNanos(c.clock().Now()); }

std::uint64_t RandomMember(Workload* w) { return 1 + w->rng.Uniform(kMembers); }

// One attempt of a write on `id`. OK: `op->output` holds the result.
Awaitable<absl::Status> WriteOnce(Workload* w, std::uint64_t id, std::string command,
                                  Operation* op) {
  ProposeOptions options;
  options.deadline = w->cluster->clock().Now() + kAttemptTimeout;
  absl::StatusOr<Applied> applied = co_await w->cluster->node(id)->Propose(command, options);
  if (!applied.ok()) co_return applied.status();
  if (applied->result.ok()) {
    op->output = op->kind == OpKind::kCas ? "true" : "";
    co_return absl::OkStatus();
  }
  const absl::Status& refused = applied->result.status();
  if (op->kind == OpKind::kCas && refused.code() == absl::StatusCode::kFailedPrecondition &&
      absl::StartsWith(refused.message(), "compare failed")) {
    op->output = "false";
    co_return absl::OkStatus();
  }
  // Anything else (a "stale request") means the dedup misfired: counted,
  // and the outcome left unknown.
  ++w->unexpected_results;
  co_return absl::InternalError(absl::StrCat("unexpected result: ", refused.ToString()));
}

// One attempt of a linearizable get on `id`: read barrier, then local read.
Awaitable<absl::Status> ReadOnce(Workload* w, std::uint64_t id, Operation* op) {
  ReadOptions options;
  options.deadline = w->cluster->clock().Now() + kAttemptTimeout;
  absl::StatusOr<std::uint64_t> barrier = co_await w->cluster->node(id)->ReadBarrier(options);
  if (!barrier.ok()) co_return barrier.status();
  if (!w->cluster->up(id)) co_return absl::UnavailableError("member went down");
  std::optional<std::string> value = Kv(*w->cluster, id).Get(op->key);
  op->found = value.has_value();
  op->output = value.value_or("");
  co_return absl::OkStatus();
}

Awaitable<void> Client(Workload* w, int client) {
  TestCluster& c = *w->cluster;
  std::uint64_t target = RandomMember(w);
  std::uint64_t seq = 0;
  for (int i = 0; i < kOpsPerClient; ++i) {
    Operation op;
    op.client = client;
    op.key = absl::StrCat("k", w->rng.Uniform(kKeys));
    const std::uint64_t dice = w->rng.Uniform(100);
    op.kind = dice < 40 ? OpKind::kGet : dice < 75 ? OpKind::kPut : OpKind::kCas;
    raft_kv::Request request;
    request.client = static_cast<std::uint64_t>(client);
    request.key = op.key;
    if (op.kind != OpKind::kGet) {
      op.value = absl::StrCat("c", client, "-", i);
      request.op = op.kind == OpKind::kPut ? raft_kv::Op::kPut : raft_kv::Op::kCas;
      request.seq = ++seq;
      request.value = op.value;
      if (op.kind == OpKind::kCas) {
        // "" expects an absent key (values are never empty).
        op.expected = w->rng.Bernoulli(0.2) ? "" : w->last_written[op.key];
        request.expected = op.expected;
        request.expect_absent = op.expected.empty();
      }
      w->last_written[op.key] = op.value;
    }
    const std::string command = raft_kv::EncodeRequest(request);
    op.call_ns = Nanos(c);
    const absl::Time deadline = c.clock().Now() + kOpTimeout;
    op.ok = false;
    if (op.kind == OpKind::kGet && w->unsafe_reads) {
      // Reads whatever member it picks, without asking anyone.
      target = RandomMember(w);
      if (c.up(target)) {
        std::optional<std::string> value = Kv(c, target).Get(op.key);
        op.found = value.has_value();
        op.output = value.value_or("");
        op.ok = true;
      }
    }
    while (!op.ok && c.clock().Now() < deadline) {
      absl::Status status = absl::UnavailableError("member is down");
      if (c.up(target)) {
        // The same (client, seq) on every attempt: a retry applies once.
        // (Not a ?: over two co_awaits: GCC 12 miscompiles that.)
        if (op.kind == OpKind::kGet) {
          absl::Status read = co_await ReadOnce(w, target, &op);
          status = read;
        } else {
          absl::Status written = co_await WriteOnce(w, target, command, &op);
          status = written;
        }
      }
      if (status.ok()) {
        op.ok = true;
        break;
      }
      ++w->failed_attempts;
      std::optional<LeaderHint> hint = LeaderHintOf(status);
      target = hint.has_value() && hint->id != 0 ? hint->id : RandomMember(w);
      co_await c.clock().SleepFor(w->rng.UniformDuration(absl::Milliseconds(5),
                                                         absl::Milliseconds(50)));
    }
    op.return_ns = op.ok ? Nanos(c) : 0;
    if (!op.ok) op.found.reset();
    w->history.push_back(op);
    // Think time; also keeps a client from calling into a node that is being
    // shut down while the harness polls without advancing time.
    co_await c.clock().SleepFor(
        w->rng.UniformDuration(absl::Milliseconds(10), absl::Milliseconds(100)));
  }
  ++w->finished;
}

// Ends the current fault: heals the network and restarts crashed members.
void Heal(TestCluster& c) {
  c.net().Heal();
  ASSERT_THAT(c.net().SetDefaultLink({}), IsOk());
  for (std::uint64_t id : c.ids()) {
    if (!c.up(id)) {
      ASSERT_THAT(c.Start(id), IsOk());
    }
  }
}

std::uint64_t CurrentLeader(TestCluster& c) {
  for (std::uint64_t id : c.ids()) {
    if (c.up(id) && c.node(id)->Status().role == Role::kLeader) return id;
  }
  return 0;
}

// One random fault (or none) for the next stretch of time.
void InjectFault(TestCluster& c, Random& rng, bool unsafe_reads) {
  const std::uint64_t leader = CurrentLeader(c);
  const std::uint64_t other = leader % kMembers + 1;
  std::vector<std::string> a, b;
  switch (unsafe_reads ? 2 : rng.Uniform(5)) {
    case 0:  // Leader crash; restarted by the next Heal.
      if (leader != 0) c.Crash(leader);
      break;
    case 1:  // The leader ends up in a minority (with one follower).
      for (std::uint64_t id : c.ids()) {
        (id == leader || id == other ? a : b).push_back(TestCluster::Address(id));
      }
      c.net().Partition(a, b);
      break;
    case 2:  // A follower is cut off; the leader keeps its majority.
      for (std::uint64_t id : c.ids()) {
        (id == other ? a : b).push_back(TestCluster::Address(id));
      }
      c.net().Partition(a, b);
      break;
    case 3: {  // Message loss and reordering everywhere.
      transport::LinkOptions link;
      link.max_delay = absl::Milliseconds(30);
      link.loss = 0.15;
      ASSERT_THAT(c.net().SetDefaultLink(link), IsOk());
      break;
    }
    default:  // A quiet stretch.
      break;
  }
}

struct RunResult {
  std::vector<Operation> history;
  int failed_attempts = 0;
  int restores = 0;
  cohort::testing::CheckResult check;
};

// Runs the workload under faults for `seed` and checks the history.
using ::testing::Test;

void RunSeed(std::uint64_t seed, bool unsafe_reads, RunResult* out) {
  // Frequent snapshots: restarted members and laggards also go through the
  // KV state machine's Snapshot/Restore.
  TestCluster c(kMembers, seed, [](RaftNodeOptions& o) { o.snapshot_threshold = 64; });
  int* restores = &out->restores;
  c.SetStateMachineFactory([restores] { return std::make_unique<CountingKv>(restores); });
  ASSERT_THAT(c.StartAll(), IsOk());
  ASSERT_NE(c.WaitForLeader(), 0u);
  Workload w;
  w.cluster = &c;
  w.rng = Random(DeriveSeed(seed, "clients"));
  w.unsafe_reads = unsafe_reads;
  Random faults(DeriveSeed(seed, "faults"));
  const absl::Time give_up = c.clock().Now() + absl::Minutes(10);
  for (int client = 1; client <= kClients; ++client) {
    Awaitable<void> loop = Client(&w, client);
    asio::co_spawn(c.io(), std::move(loop), asio::detached);
  }
  // Faults while the clients run: each lasts a random stretch, then heals.
  while (w.finished < kClients) {
    InjectFault(c, faults, unsafe_reads);
    c.RunFor(faults.UniformDuration(absl::Milliseconds(300), absl::Milliseconds(1500)));
    if (Test::HasFatalFailure()) return;
    Heal(c);
    if (Test::HasFatalFailure()) return;
    c.RunFor(faults.UniformDuration(absl::Milliseconds(50), absl::Milliseconds(500)));
    ASSERT_LT(c.clock().Now(), give_up) << "the clients never finished";
  }
  ASSERT_NE(c.WaitForLeader(), 0u);
  out->history = std::move(w.history);
  out->failed_attempts = w.failed_attempts;
  EXPECT_EQ(w.unexpected_results, 0);
  ASSERT_EQ(out->history.size(), std::size_t{kClients * kOpsPerClient});
  cohort::testing::CheckOptions options;
  options.max_steps = 20'000'000;
  auto check = CheckLinearizability(out->history, *cohort::testing::NewRegisterModel(), options);
  ASSERT_THAT(check.status(), IsOk());
  out->check = *std::move(check);
}

std::string SaveHistory(std::uint64_t seed, const std::vector<Operation>& history) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "raft_node_linearizability_seed", seed, ".jsonl");
  std::ofstream(path) << cohort::testing::FormatHistory(history);
  return path;
}

TEST(RaftNodeLinearizability, KvHistoryUnderFaultsIsLinearizable) {
  const int seeds = SeedCount(20);
  int unknown_ops = 0, reads = 0, swaps = 0, failed_swaps = 0, failed_attempts = 0, restores = 0;
  std::int64_t max_steps = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunResult r;
    RunSeed(seed, /*unsafe_reads=*/false, &r);
    if (Test::HasFatalFailure()) return;
    failed_attempts += r.failed_attempts;
    restores += r.restores;
    max_steps = std::max(max_steps, r.check.steps);
    for (const Operation& op : r.history) {
      unknown_ops += op.ok ? 0 : 1;
      reads += op.ok && op.kind == OpKind::kGet ? 1 : 0;
      swaps += op.ok && op.output == "true" ? 1 : 0;
      failed_swaps += op.ok && op.output == "false" ? 1 : 0;
    }
    if (r.check.outcome != CheckOutcome::kLinearizable) {
      ADD_FAILURE() << "seed " << seed << ": "
                    << cohort::testing::CheckOutcomeName(r.check.outcome) << " on "
                    << r.check.partition << ": " << r.check.explanation
                    << "\nhistory: " << SaveHistory(seed, r.history);
      return;
    }
  }
  std::cout << seeds << " seeds: " << unknown_ops << " unknown outcomes, " << reads
            << " reads, " << swaps << " swaps, " << failed_swaps << " failed swaps, " << failed_attempts
            << " failed attempts, " << restores
            << " snapshot restores; at most " << max_steps << " checker steps\n";
  // Faults must leave some calls unresolved, or they did not bite; the
  // workload must exercise reads and both cas outcomes.
  EXPECT_GT(unknown_ops, 0);
  EXPECT_GT(reads, 0);
  EXPECT_GT(swaps, 0);
  EXPECT_GT(failed_swaps, 0);
  EXPECT_GT(restores, 0);
}

// The negative control: the same workload reading followers' state machines
// without a read barrier, with a follower partitioned away, is caught.
TEST(RaftNodeLinearizability, StaleFollowerReadsAreCaught) {
  int violations = 0;
  for (int seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunResult r;
    RunSeed(seed, /*unsafe_reads=*/true, &r);
    if (Test::HasFatalFailure()) return;
    if (r.check.outcome != CheckOutcome::kNotLinearizable) continue;
    if (++violations > 1) continue;
    // The first one also checks the saved history reads back intact.
    const std::string path = SaveHistory(seed, r.history);
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(cohort::testing::ParseHistory(text), IsOkAndHolds(r.history)) << path;
  }
  std::cout << violations << " of 5 seeds caught a stale read\n";
  EXPECT_GT(violations, 0);
}

}  // namespace
}  // namespace cohort::consensus::testing
