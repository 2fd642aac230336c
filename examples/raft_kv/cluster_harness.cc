// Harness: client-side polls of the cluster, and the test programs' main().
#include "cluster_harness.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/base/context.h"
#include "cohort/transport/tcp_transport.h"

namespace raft_kv::testing {
namespace {

// Parses "key=<number>" out of a status line; 0 if absent.
std::uint64_t Field(const std::string& status, const std::string& key) {
  const auto at = status.find(" " + key + "=");
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + key.size() + 2, nullptr, 10);
}

}  // namespace

bool Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  return ok;
}

std::unique_ptr<KvClient> Harness::NewClient(const std::vector<MemberId>& members) {
  return std::make_unique<KvClient>(transport_, clock_, cluster_.ClientAddresses(members),
                                    next_client_id_++);
}

cohort::Awaitable<std::optional<MemberStatus>> Harness::StatusOf(MemberId id) {
  cohort::transport::CallOptions options;
  options.deadline = clock_.Now() + absl::Seconds(2);
  const std::string address = cluster_.ClientAddresses({id}).at(id);
  auto reply = co_await transport_.Call(address, "kv.Status", std::string(), options);
  if (!reply.ok()) co_return std::nullopt;
  const std::string line = " " + *reply;
  MemberStatus s;
  const auto role = line.find(" role=");
  if (role != std::string::npos) {
    s.role = line.substr(role + 6, line.find(' ', role + 6) - role - 6);
  }
  s.leader = Field(line, "leader");
  s.term = Field(line, "term");
  s.commit = Field(line, "commit");
  s.applied = Field(line, "applied");
  co_return s;
}

cohort::Awaitable<MemberId> Harness::WaitForLeader(absl::Duration limit,
                                                   std::vector<MemberId> among) {
  if (among.empty()) among = cluster_.Ids();
  const absl::Time deadline = clock_.Now() + limit;
  while (clock_.Now() < deadline) {
    MemberId leader = 0;
    bool agreed = true;
    std::vector<MemberId> named;
    for (MemberId id : among) {
      if (!cluster_.Alive(id)) continue;
      auto s = co_await StatusOf(id);
      if (!s.has_value()) {
        agreed = false;
        break;
      }
      if (s->role == "leader") leader = id;
      named.push_back(s->leader);
    }
    for (MemberId l : named) agreed &= l == leader;
    if (agreed && leader != 0) co_return leader;
    (void)co_await clock_.SleepFor(absl::Milliseconds(100));
  }
  co_return 0;
}

cohort::Awaitable<MemberId> Harness::WaitConverged(absl::Duration limit) {
  const absl::Time deadline = clock_.Now() + limit;
  while (clock_.Now() < deadline) {
    const MemberId leader = co_await WaitForLeader(deadline - clock_.Now());
    if (leader == 0) co_return 0;
    auto lead = co_await StatusOf(leader);
    bool caught_up = lead.has_value();
    for (MemberId id : cluster_.Ids()) {
      if (!caught_up || !cluster_.Alive(id)) continue;
      auto s = co_await StatusOf(id);
      caught_up = s.has_value() && s->leader == leader && s->applied >= lead->commit &&
                  s->commit >= lead->commit;
    }
    if (caught_up) co_return leader;
    (void)co_await clock_.SleepFor(absl::Milliseconds(100));
  }
  co_return 0;
}

cohort::Awaitable<bool> Harness::ReadBack(const std::map<std::string, std::string>& acked,
                                          MemberId via) {
  auto client = NewClient();
  for (const auto& [key, value] : acked) {
    auto r = co_await client->Get(key, clock_.Now() + absl::Seconds(30), via);
    if (!r.ok() || !r->has_value() || **r != value) {
      co_return Check(false, absl::StrCat("read ", key, " via ", via, ": expected ", value,
                                          ", got ",
                                          r.ok() ? (r->has_value() ? **r : "(absent)")
                                                 : r.status().ToString()));
    }
  }
  co_return true;
}

cohort::Awaitable<std::uint64_t> Harness::MaxCommit() {
  std::uint64_t max = 0;
  for (MemberId id : cluster_.Ids()) {
    if (!cluster_.Alive(id)) continue;
    auto s = co_await StatusOf(id);
    if (s.has_value()) max = std::max(max, s->commit);
  }
  co_return max;
}

cohort::Awaitable<bool> Harness::WaitFor(const std::function<bool()>& condition,
                                         absl::Duration limit) {
  const absl::Time deadline = clock_.Now() + limit;
  while (!condition()) {
    if (clock_.Now() >= deadline) co_return false;
    (void)co_await clock_.SleepFor(absl::Milliseconds(50));
  }
  co_return true;
}

std::string TestFlags::Flag(const std::string& name, std::string fallback) const {
  auto it = extra.find(name);
  return it == extra.end() ? fallback : it->second;
}

int TestFlags::IntFlag(const std::string& name, int fallback) const {
  auto it = extra.find(name);
  return it == extra.end() ? fallback : std::atoi(it->second.c_str());
}

namespace {

cohort::Awaitable<bool> StartAndRun(
    Cluster& cluster, cohort::transport::Transport& transport, cohort::Clock& clock,
    const TestFlags& flags,
    std::function<cohort::Awaitable<bool>(Harness&, const TestFlags&)> body) {
  Harness harness(cluster, transport, clock);
  bool ok = true;
  for (MemberId id : cluster.Ids()) {
    ok &= Check(co_await cluster.Start(id, clock), absl::StrCat("started member ", id));
  }
  if (ok) ok = co_await body(harness, flags);
  co_await transport.Shutdown(clock.Now() + absl::Seconds(1));
  co_return ok;
}

}  // namespace

int RunClusterTest(int argc, char** argv, const char* name,
                   std::function<cohort::Awaitable<bool>(Harness&, const TestFlags&)> body) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  TestFlags flags;
  bool usage = argc % 2 == 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) usage = true;
    const std::string flag = argv[i] + 2;
    if (flag == "server") flags.server = argv[i + 1];
    else if (flag == "members") flags.members = std::atoi(argv[i + 1]);
    else flags.extra[flag] = argv[i + 1];
  }
  if (usage || flags.server.empty() || flags.members < 1) {
    std::fprintf(stderr, "usage: %s --server PATH_TO_raft_kv [--members N] [--name value]...\n",
                 argv[0]);
    return 2;
  }
  std::string pattern = absl::StrCat(std::filesystem::temp_directory_path().string(), "/",
                                     name, ".XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  const std::string dir = pattern;
  bool ok = false;
  {
    ClusterOptions options;
    options.server = flags.server;
    options.dir = dir;
    options.members = flags.members;
    auto cluster = Cluster::Create(options);
    if (!cluster.ok()) {
      std::printf("%s: %s\n", name, cluster.status().ToString().c_str());
      return 1;
    }
    asio::io_context io(1);
    cohort::RealContext real(io.get_executor());
    auto transport = cohort::transport::TcpTransport::Create({}, real.context());
    if (transport.ok()) {
      auto done = asio::co_spawn(
          io, StartAndRun(**cluster, **transport, *real.context().clock, flags, std::move(body)),
          asio::use_future);
      io.run();
      ok = done.get();
    }
  }
  if (ok) {
    std::filesystem::remove_all(dir);
    std::printf("%s: all checks passed\n", name);
    return 0;
  }
  std::printf("%s: FAILED (server logs in %s)\n", name, dir.c_str());
  return 1;
}

}  // namespace raft_kv::testing
