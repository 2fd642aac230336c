// Real processes, linearizability: five concurrent clients run put, get and
// compare-and-swap on three keys against an N-member raft_kv cluster while a
// nemesis kills the leader (and restarts it), isolates the leader, isolates
// a follower and finally leaves no side with a majority. Every operation is
// recorded with its call and return times (the real, monotonic clock, in ns
// since the start) and its outcome, written as a JSON-lines history in the
// format of cohort/testing/history.h and checked with
// cohort::testing::CheckLinearizability. A put or cas whose outcome the
// client does not know (deadline, unavailable) is recorded with ok = false:
// it may have taken effect at any time after its call, or never.
//
//   raft_kv_history_test --server PATH_TO_raft_kv [--members N] [--seed S]
//
// Fails if the history is not linearizable (or the check cannot finish),
// printing the explanation and the history file's path.
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "cohort/base/random.h"
#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"

namespace {

using cohort::testing::OpKind;
using cohort::testing::Operation;
using raft_kv::CutMode;
using raft_kv::testing::Check;
using raft_kv::testing::Harness;
using raft_kv::testing::MemberId;
using raft_kv::testing::TestFlags;

constexpr int kClients = 5;
const char* const kKeys[] = {"x", "y", "z"};

struct Recorder {
  absl::Time origin;
  std::vector<Operation> ops;
  std::size_t acked = 0;
  bool stop = false;
  int done = 0;
  std::int64_t Ns(absl::Time t) const { return absl::ToInt64Nanoseconds(t - origin); }
};

cohort::Awaitable<void> Client(Harness& h, Recorder& rec, int index, std::uint64_t seed) {
  auto client = h.NewClient();
  cohort::Random random(seed);
  std::map<std::string, std::string> known;  // the last value seen per key
  for (int n = 0; !rec.stop; ++n) {
    Operation op;
    op.client = index;
    op.key = kKeys[random.Uniform(3)];
    const std::uint64_t choice = random.Uniform(10);
    const auto seen = known.find(op.key);
    op.kind = choice < 4 ? OpKind::kPut
              : choice < 7 || seen == known.end() ? OpKind::kGet
                                                  : OpKind::kCas;
    // Short deadlines, so that faults leave operations with unknown
    // outcomes in the history.
    const absl::Time deadline =
        h.Now() + random.UniformDuration(absl::Seconds(1), absl::Seconds(5));
    op.call_ns = rec.Ns(h.Now());
    if (op.kind == OpKind::kPut) {
      op.value = absl::StrCat("c", index, "-", n);
      auto r = co_await client->Put(op.key, op.value, deadline);
      op.ok = r.ok();
      if (r.ok()) known[op.key] = op.value;
    } else if (op.kind == OpKind::kGet) {
      auto r = co_await client->Get(op.key, deadline);
      op.ok = r.ok();
      if (r.ok()) {
        op.found = r->has_value();
        op.output = r->value_or("");
        if (r->has_value()) known[op.key] = **r;
      }
    } else {
      op.expected = seen->second;
      op.value = absl::StrCat("c", index, "-", n);
      auto r = co_await client->Cas(op.key, op.expected, op.value, deadline);
      const bool compare_failed =
          r.status().code() == absl::StatusCode::kFailedPrecondition &&
          absl::StartsWith(r.status().message(), "compare failed");
      op.ok = r.ok() || compare_failed;
      op.output = r.ok() ? "true" : "false";
      if (r.ok()) known[op.key] = op.value;
      if (compare_failed) known.erase(op.key);
    }
    op.return_ns = rec.Ns(h.Now());
    if (op.ok) ++rec.acked;
    rec.ops.push_back(std::move(op));
    // Think time keeps the history a few thousand operations long, which
    // the checker handles in well under a second.
    (void)co_await h.clock().SleepFor(random.UniformDuration(absl::Milliseconds(5),
                                                             absl::Milliseconds(25)));
  }
  ++rec.done;
}

// The fault schedule. Every step waits for clients to make progress (or,
// with no majority anywhere, for the old leader to step down) before the
// next fault, so that faults always land on a working cluster.
cohort::Awaitable<bool> Nemesis(Harness& h, Recorder& rec) {
  const std::vector<MemberId> ids = h.cluster().Ids();
  std::size_t base = 0;
  std::function<bool()> progress = [&] { return rec.acked >= base + 30; };
  const absl::Duration limit = absl::Seconds(60);
  bool ok = true;
  const auto others = [&](MemberId leader) {
    std::vector<MemberId> out;
    for (MemberId id : ids) {
      if (id != leader) out.push_back(id);
    }
    return out;
  };
  for (int step = 1; step <= 5 && ok; ++step) {
    base = rec.acked;
    ok &= Check(co_await h.WaitFor(progress, limit), absl::StrCat("step ", step, ": progress"));
    const MemberId leader = co_await h.WaitForLeader(limit);
    ok &= Check(leader != 0, absl::StrCat("step ", step, ": leader ", leader));
    if (!ok) break;
    std::vector<MemberId> rest = others(leader);
    std::vector<std::vector<MemberId>> sides;
    if (step == 1 || step == 4) {
      std::printf("step %d: kill -9 leader %llu\n", step, static_cast<unsigned long long>(leader));
      h.cluster().Kill(leader);
    } else if (step == 2) {
      sides = {{leader}, rest};
      if (ids.size() == 5) sides = {{leader, rest[0]}, {rest[1], rest[2], rest[3]}};
    } else if (step == 3) {
      std::vector<MemberId> keep = {leader};
      keep.insert(keep.end(), rest.begin() + 1, rest.end());
      sides = {{rest[0]}, keep};
    } else {
      for (MemberId id : ids) sides.push_back({id});
    }
    if (!sides.empty()) {
      std::printf("step %d: partition (%zu sides, leader %llu)\n", step, sides.size(),
                  static_cast<unsigned long long>(leader));
      h.cluster().Partition(sides, step == 3 ? CutMode::kRefuse : CutMode::kBlackhole);
    }
    if (step == 5) {
      // No majority anywhere: wait until the old leader has stepped down.
      std::optional<raft_kv::testing::MemberStatus> s;
      const absl::Time deadline = h.Now() + limit;
      do {
        (void)co_await h.clock().SleepFor(absl::Milliseconds(100));
        s = co_await h.StatusOf(leader);
      } while (h.Now() < deadline && (!s.has_value() || s->role == "leader"));
      ok &= Check(s.has_value() && s->role != "leader", "step 5: the old leader stepped down");
    } else {
      base = rec.acked;
      ok &= Check(co_await h.WaitFor(progress, limit),
                  absl::StrCat("step ", step, ": progress during the fault"));
    }
    if (step == 1 || step == 4) {
      ok &= Check(co_await h.cluster().Start(leader, h.clock()),
                  absl::StrCat("step ", step, ": restarted ", leader));
    } else {
      h.cluster().HealAll();
    }
  }
  base = rec.acked;
  ok &= Check(co_await h.WaitFor(progress, limit), "progress after the last fault");
  co_return ok;
}

bool CheckHistory(const std::vector<Operation>& ops, const std::string& path,
                  cohort::Clock& clock) {
  std::ofstream(path) << cohort::testing::FormatHistory(ops);
  std::size_t unknown = 0;
  for (const Operation& op : ops) unknown += op.ok ? 0 : 1;
  auto model = cohort::testing::NewRegisterModel();
  cohort::testing::CheckOptions options;
  options.clock = &clock;
  options.deadline = clock.Now() + absl::Seconds(60);
  const absl::Time started = clock.Now();
  auto result = cohort::testing::CheckLinearizability(ops, *model, options);
  if (!result.ok()) {
    return Check(false, absl::StrCat("history ", path, ": ", result.status().ToString()));
  }
  const bool linearizable = result->outcome == cohort::testing::CheckOutcome::kLinearizable;
  Check(linearizable,
        absl::StrCat(ops.size(), " operations (", unknown, " with unknown outcome) are ",
                     std::string(cohort::testing::CheckOutcomeName(result->outcome)),
                     " (checked in ",
                     absl::FormatDuration(clock.Now() - started), ", ", result->steps,
                     " steps)"));
  if (!linearizable) std::printf("%s\nhistory: %s\n", result->explanation.c_str(), path.c_str());
  return linearizable;
}

// The check must be able to fail: the same history with one successful read
// returning a value nobody wrote is not linearizable.
bool CheckerRejectsCorruption(std::vector<Operation> ops) {
  for (Operation& op : ops) {
    if (op.kind == OpKind::kGet && op.ok && op.found == true) {
      op.output = "never-written";
      auto model = cohort::testing::NewRegisterModel();
      auto result = cohort::testing::CheckLinearizability(ops, *model);
      return Check(result.ok() &&
                       result->outcome == cohort::testing::CheckOutcome::kNotLinearizable,
                   "the same history with one corrupted read is not linearizable");
    }
  }
  return Check(false, "the history has a successful read to corrupt");
}

cohort::Awaitable<bool> Run(Harness& h, const TestFlags& flags) {
  const std::uint64_t seed = flags.extra.count("seed") > 0
                                 ? std::strtoull(flags.Flag("seed", "").c_str(), nullptr, 10)
                                 : cohort::SeedFromEntropy();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const MemberId leader = co_await h.WaitForLeader(absl::Seconds(60));
  if (!Check(leader != 0, absl::StrCat("a leader was elected: member ", leader))) co_return false;
  Recorder rec;
  rec.origin = h.Now();
  auto executor = co_await asio::this_coro::executor;
  cohort::Random seeds(seed);
  for (int i = 0; i < kClients; ++i) {
    asio::co_spawn(executor, Client(h, rec, i, seeds.Next64()), asio::detached);
  }
  bool ok = co_await Nemesis(h, rec);
  rec.stop = true;
  std::function<bool()> all_done = [&] { return rec.done == kClients; };
  ok &= Check(co_await h.WaitFor(all_done, absl::Seconds(60)), "clients stopped");
  ok &= Check(co_await h.WaitConverged(absl::Seconds(60)) != 0, "every member converged");
  ok &= CheckHistory(rec.ops, h.cluster().options().dir + "/history.jsonl", h.clock());
  ok &= CheckerRejectsCorruption(rec.ops);
  co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
  return raft_kv::testing::RunClusterTest(argc, argv, "raft_kv_history_test", Run);
}
