// Real processes, kill -9: N raft_kv servers on 127.0.0.1 (--members, 3 or
// 5); a writer keeps writing throughout while the leader is SIGKILLed
// `--rounds` times, each time a new leader must be elected among the
// survivors and serve writes, and the killed member is restarted and must
// catch up. At the end every acknowledged write (unique keys and values) is
// read back with a linearizable read, through the leader and through every
// member. Also checks compare-and-swap and delete once.
//
//   raft_kv_cluster_test --server PATH_TO_raft_kv [--members N] [--rounds R]
#include <functional>
#include <map>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "cluster_harness.h"

namespace {

using raft_kv::testing::Check;
using raft_kv::testing::Harness;
using raft_kv::testing::MemberId;
using raft_kv::testing::TestFlags;

struct Writer {
  std::map<std::string, std::string> acked;
  int failed = 0;
  std::string last_error;
  bool stop = false;
  bool done = false;
};

// Writes unique keys one after the other until told to stop. A write that
// fails (its outcome unknown) is counted, not checked: only acknowledged
// writes are promised to survive.
cohort::Awaitable<void> WriteLoop(Harness& h, Writer& w) {
  auto client = h.NewClient();
  for (int i = 0; !w.stop; ++i) {
    const std::string key = absl::StrCat("w-", i);
    const std::string value = absl::StrCat("value-", i);
    auto r = co_await client->Put(key, value, h.Now() + absl::Seconds(30));
    if (r.ok()) {
      w.acked[key] = value;
    } else {
      ++w.failed;
      w.last_error = r.status().ToString();
    }
    // Pace the writer (about 50 writes/s at most) so that reading every
    // acknowledged key back stays quick.
    (void)co_await h.clock().SleepFor(absl::Milliseconds(20));
  }
  w.done = true;
}

cohort::Awaitable<bool> CasAndDelete(Harness& h) {
  auto client = h.NewClient();
  const absl::Time deadline = h.Now() + absl::Seconds(30);
  bool ok = Check((co_await client->Put("cas", "one", deadline)).ok(), "put cas=one");
  auto cas = co_await client->Cas("cas", std::string("one"), "two", deadline);
  ok &= Check(cas.ok(), "compare-and-swap on the current value succeeds");
  auto stale = co_await client->Cas("cas", std::string("one"), "three", deadline);
  ok &= Check(stale.status().code() == absl::StatusCode::kFailedPrecondition,
              "compare-and-swap on a stale value fails: " + stale.status().ToString());
  auto del = co_await client->Delete("cas", deadline);
  ok &= Check(del.ok() && *del == "deleted", "delete cas");
  auto gone = co_await client->Get("cas", deadline);
  ok &= Check(gone.ok() && !gone->has_value(), "deleted key reads absent");
  co_return ok;
}

cohort::Awaitable<bool> Run(Harness& h, const TestFlags& flags) {
  const int rounds = flags.IntFlag("rounds", 1);
  MemberId leader = co_await h.WaitForLeader(absl::Seconds(60));
  if (!Check(leader != 0, absl::StrCat("a leader was elected: member ", leader))) co_return false;
  bool ok = co_await CasAndDelete(h);
  Writer w;
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, WriteLoop(h, w), asio::detached);
  // Named conditions: closures must not be temporaries of a co_await
  // expression (GCC 12 destroys those twice).
  std::size_t base = 0;
  std::function<bool()> twenty_more = [&] { return w.acked.size() >= base + 20; };
  std::function<bool()> ten_more = [&] { return w.acked.size() >= base + 10; };
  std::function<bool()> stopped = [&] { return w.done; };
  for (int round = 1; round <= rounds && ok; ++round) {
    base = w.acked.size();
    ok &= Check(co_await h.WaitFor(twenty_more, absl::Seconds(60)),
                absl::StrCat("round ", round, ": writes acknowledged before the kill"));
    std::printf("round %d: kill -9 leader %llu\n", round, static_cast<unsigned long long>(leader));
    h.cluster().Kill(leader);
    const MemberId killed = leader;
    leader = co_await h.WaitForLeader(absl::Seconds(60));
    ok &= Check(leader != 0 && leader != killed,
                absl::StrCat("round ", round, ": the survivors elected member ", leader));
    if (!ok) break;
    base = w.acked.size();
    ok &= Check(co_await h.WaitFor(ten_more, absl::Seconds(60)),
                absl::StrCat("round ", round, ": the new leader acknowledges writes"));
    ok &= Check(co_await h.cluster().Start(killed, h.clock()),
                absl::StrCat("round ", round, ": restarted member ", killed));
    leader = co_await h.WaitConverged(absl::Seconds(60));
    ok &= Check(leader != 0, absl::StrCat("round ", round, ": member ", killed,
                                          " caught up; leader ", leader));
  }
  w.stop = true;
  ok &= Check(co_await h.WaitFor(stopped, absl::Seconds(60)), "writer stopped");
  std::printf("%zu writes acknowledged, %d failed (last: %s)\n", w.acked.size(), w.failed,
              w.last_error.c_str());
  if (!ok) co_return false;
  leader = co_await h.WaitConverged(absl::Seconds(60));
  ok &= Check(leader != 0, "every member caught up");
  ok &= Check(co_await h.ReadBack(w.acked, 0),
              absl::StrCat("all ", w.acked.size(), " acknowledged writes read back"));
  for (MemberId id : h.cluster().Ids()) {
    ok &= Check(co_await h.ReadBack(w.acked, id),
                absl::StrCat("all acknowledged writes read back through member ", id));
  }
  co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
  return raft_kv::testing::RunClusterTest(argc, argv, "raft_kv_cluster_test", Run);
}
