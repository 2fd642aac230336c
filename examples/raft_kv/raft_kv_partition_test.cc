// Real processes, partitions through the fault-injecting proxy (blackholed
// links: the senders' calls time out, as behind a dropped route).
//
//   raft_kv_partition_test --server PATH_TO_raft_kv --members N --scenario S
//
// --scenario minority: the leader (with 3 members) or the leader and one
//   follower (with 5) are cut off from the rest. Writes sent to the minority
//   are never acknowledged and never become visible; the minority's commit
//   index does not move; the old leader steps down (CheckQuorum); the
//   majority elects a leader and serves writes. After healing, every member
//   converges (within the recovery bound below) and reads every
//   acknowledged write.
// --scenario isolate-all (3 members: every member alone, so the leader's
//   side is a minority and so is every other side) and --scenario split
//   (5 members split 2/2/1, the leader in a pair): no side has a majority,
//   so nothing commits during the fault and no member stays leader. After
//   healing, the first acknowledged write must come within the recovery
//   bound.
//
// Recovery bound: two election timeouts (the promise; with
// randomized timeouts in [ET, 2 ET), 2 ET is when the first member campaigns
// at the latest) plus an allowance of 2 ET (4 s) for what the promise does
// not cover: a split vote needing one more round, the client's retry pause
// (at most 0.5 s), reconnecting through the healed links and process
// scheduling on a loaded 2-core machine. ET is 2 s (cluster_harness.h), so
// the bound is 8 s against a typical recovery well below 2 s.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster_harness.h"

namespace {

using raft_kv::CutMode;
using raft_kv::testing::Check;
using raft_kv::testing::Harness;
using raft_kv::testing::MemberId;
using raft_kv::testing::TestFlags;

struct Attempts {
  std::vector<std::string> keys;
  int acked = 0;
  std::string statuses;
  bool done = false;
};

// Writes `count` keys through a client that knows only `side`, each with
// `timeout`; none may be acknowledged.
cohort::Awaitable<void> WriteToSide(Harness& h, std::vector<MemberId> side, std::string prefix,
                                    int count, absl::Duration timeout, Attempts& out) {
  auto client = h.NewClient(side);
  for (int i = 0; i < count; ++i) {
    const std::string key = absl::StrCat(prefix, "-", i);
    out.keys.push_back(key);
    auto r = co_await client->Put(key, "must-not-commit", h.Now() + timeout);
    if (r.ok()) ++out.acked;
    absl::StrAppend(&out.statuses, "\n      ", key, ": ", r.status().ToString());
  }
  out.done = true;
}

cohort::Awaitable<bool> WriteAcked(Harness& h, std::string prefix, int count,
                                   std::vector<MemberId> via,
                                   std::map<std::string, std::string>& acked) {
  auto client = h.NewClient(via);
  for (int i = 0; i < count; ++i) {
    const std::string key = absl::StrCat(prefix, "-", i);
    const std::string value = absl::StrCat("value-", prefix, "-", i);
    auto r = co_await client->Put(key, value, h.Now() + absl::Seconds(30));
    if (!r.ok()) co_return Check(false, absl::StrCat("put ", key, ": ", r.status().ToString()));
    acked[key] = value;
  }
  co_return true;
}

// Commit indexes of `ids` never above `limit`.
cohort::Awaitable<bool> NothingCommitted(Harness& h, std::vector<MemberId> ids,
                                         std::uint64_t limit) {
  bool ok = true;
  for (MemberId id : ids) {
    auto s = co_await h.StatusOf(id);
    ok &= Check(s.has_value() && s->commit <= limit,
                absl::StrCat("member ", id, " committed nothing new: commit ",
                             s.has_value() ? s->commit : 0, " <= ", limit));
  }
  co_return ok;
}

cohort::Awaitable<bool> NoLeaderAmong(Harness& h, std::vector<MemberId> ids) {
  const absl::Time deadline = h.Now() + absl::Seconds(30);
  while (h.Now() < deadline) {
    bool none = true;
    for (MemberId id : ids) {
      auto s = co_await h.StatusOf(id);
      none &= s.has_value() && s->role != "leader";
    }
    if (none) co_return true;
    (void)co_await h.clock().SleepFor(absl::Milliseconds(100));
  }
  co_return false;
}

cohort::Awaitable<bool> Run(Harness& h, const TestFlags& flags) {
  const std::string scenario = flags.Flag("scenario", "minority");
  const absl::Duration et = h.cluster().ElectionTimeout();
  const absl::Duration bound = 2 * et + 2 * et;
  std::vector<MemberId> ids = h.cluster().Ids();
  const MemberId leader = co_await h.WaitForLeader(absl::Seconds(60));
  if (!Check(leader != 0, absl::StrCat("a leader was elected: member ", leader))) co_return false;
  std::map<std::string, std::string> acked;
  bool ok = co_await WriteAcked(h, "before", 5, {}, acked);
  ok &= Check(co_await h.WaitConverged(absl::Seconds(60)) != 0, "converged before the fault");
  for (MemberId id : ids) {
    if (id == leader) continue;
    ok &= Check(h.cluster().Forwarded(leader, id) > 0 && h.cluster().Forwarded(id, leader) > 0,
                absl::StrCat("links ", leader, "<->", id, " carry traffic through the proxy"));
  }
  const std::uint64_t base = co_await h.MaxCommit();
  if (!ok) co_return false;

  // The sides: the leader's first.
  std::vector<std::vector<MemberId>> sides;
  std::vector<MemberId> others;
  for (MemberId id : ids) {
    if (id != leader) others.push_back(id);
  }
  if (scenario == "minority") {
    const std::size_t minority = ids.size() == 5 ? 1 : 0;  // followers joining the leader
    sides.push_back({leader});
    sides[0].insert(sides[0].end(), others.begin(), others.begin() + minority);
    sides.push_back(std::vector<MemberId>(others.begin() + minority, others.end()));
  } else if (scenario == "isolate-all") {
    for (MemberId id : ids) sides.push_back({id});
    std::swap(sides[0], sides[leader - 1]);
  } else if (scenario == "split" && ids.size() == 5) {
    sides = {{leader, others[0]}, {others[1], others[2]}, {others[3]}};
  } else {
    co_return Check(false, "unknown --scenario (minority, isolate-all, split with 5 members)");
  }
  std::vector<std::string> names;
  for (const auto& side : sides) names.push_back(absl::StrJoin(side, "+"));
  std::printf("partition: %s (leader %llu)\n", absl::StrJoin(names, " | ").c_str(),
              static_cast<unsigned long long>(leader));
  h.cluster().Partition(sides, CutMode::kBlackhole);

  // Writes to every side without a majority; none may be acknowledged.
  const bool has_majority_side = scenario == "minority";
  const std::size_t without = has_majority_side ? 1 : sides.size();
  std::vector<Attempts> attempts(without);
  auto executor = co_await asio::this_coro::executor;
  for (std::size_t s = 0; s < without; ++s) {
    asio::co_spawn(executor,
                   WriteToSide(h, sides[s], absl::StrCat("side", s), 3, et, attempts[s]),
                   asio::detached);
  }
  if (has_majority_side) {
    const std::vector<MemberId>& majority = sides[1];
    const MemberId fresh = co_await h.WaitForLeader(absl::Seconds(60), majority);
    ok &= Check(fresh != 0 && fresh != leader,
                absl::StrCat("the majority elected member ", fresh));
    ok &= Check(co_await WriteAcked(h, "during", 10, majority, acked),
                "the majority acknowledges writes during the partition");
  }
  ok &= Check(co_await NoLeaderAmong(h, has_majority_side ? sides[0] : ids),
              "no member without a majority is leader (the old leader stepped down)");
  std::function<bool()> attempts_done = [&] {
    for (const Attempts& a : attempts) {
      if (!a.done) return false;
    }
    return true;
  };
  ok &= Check(co_await h.WaitFor(attempts_done, absl::Seconds(60)), "writes to the sides ended");
  for (std::size_t s = 0; s < without; ++s) {
    ok &= Check(attempts[s].acked == 0,
                absl::StrCat("side ", names[s], ": no write acknowledged", attempts[s].statuses));
  }
  ok &= co_await NothingCommitted(h, has_majority_side ? sides[0] : ids, base);

  h.cluster().HealAll();
  const absl::Time healed = h.Now();
  std::printf("healed\n");
  if (has_majority_side) {
    // Serving again means every member, the old leader included, follows
    // the new leader and has applied everything.
    const MemberId now_leader = co_await h.WaitConverged(absl::Seconds(60));
    const absl::Duration took = h.Now() - healed;
    ok &= Check(now_leader != 0 && took < bound,
                absl::StrCat("every member follows leader ", now_leader, " ",
                             absl::FormatDuration(took), " after healing (bound ",
                             absl::FormatDuration(bound), ")"));
  } else {
    auto client = h.NewClient();
    auto r = co_await client->Put("after-heal", "served", healed + absl::Seconds(60));
    const absl::Duration took = h.Now() - healed;
    ok &= Check(r.ok() && took < bound,
                absl::StrCat("first acknowledged write ", absl::FormatDuration(took),
                             " after healing (bound ", absl::FormatDuration(bound), "): ",
                             r.status().ToString()));
    if (r.ok()) acked["after-heal"] = "served";
    ok &= Check(co_await h.WaitConverged(absl::Seconds(60)) != 0, "every member caught up");
  }
  for (MemberId id : ids) {
    ok &= Check(co_await h.ReadBack(acked, id),
                absl::StrCat("all ", acked.size(), " acknowledged writes read through ", id));
  }
  if (has_majority_side) {
    // The minority's writes were appended by the old leader only; the new
    // leader's term overwrote them, so they must never appear.
    auto client = h.NewClient();
    for (MemberId id : ids) {
      for (const std::string& key : attempts[0].keys) {
        auto r = co_await client->Get(key, h.Now() + absl::Seconds(30), id);
        ok &= Check(r.ok() && !r->has_value(),
                    absl::StrCat("minority write ", key, " invisible through ", id));
      }
    }
  }
  co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
  return raft_kv::testing::RunClusterTest(argc, argv, "raft_kv_partition_test", Run);
}
