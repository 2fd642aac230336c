// A real-process check of the raft_kv example: three raft_kv servers on
// 127.0.0.1, writes, SIGKILL of the leader, a new leader, every acknowledged
// write read back, the killed member restarted and caught up; `--rounds N`
// repeats the kill-and-restart N times with writes in between.
//
//   raft_kv_cluster_test --server PATH_TO_raft_kv [--rounds N]
//
// Waits are bounded polls of conditions (generous deadlines), never fixed
// sleeps. Exit status 0 when every check passed; on failure the servers' logs
// are kept in the printed directory.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/context.h"
#include "cohort/transport/tcp_transport.h"
#include "kv_client.h"

namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

struct Server {
  std::uint64_t id = 0;
  int peer_port = 0;
  int client_port = 0;
  pid_t pid = -1;
};

class Cluster {
 public:
  Cluster(std::string server_path, std::string dir) : path_(std::move(server_path)), dir_(dir) {
    for (std::uint64_t id = 1; id <= 3; ++id) {
      servers_[id] = {id, FreePort(), FreePort(), -1};
    }
  }
  ~Cluster() {
    for (auto& [id, s] : servers_) {
      if (s.pid > 0) {
        kill(s.pid, SIGTERM);
        waitpid(s.pid, nullptr, 0);
      }
    }
  }
  std::string Peers() const {
    std::string out;
    for (const auto& [id, s] : servers_) {
      absl::StrAppend(&out, out.empty() ? "" : ",", id, "=127.0.0.1:", s.peer_port);
    }
    return out;
  }
  std::map<std::uint64_t, std::string> ClientAddresses() const {
    std::map<std::uint64_t, std::string> out;
    for (const auto& [id, s] : servers_) out[id] = absl::StrCat("127.0.0.1:", s.client_port);
    return out;
  }
  // Starts member `id` and waits for its "ready" line.
  bool Start(std::uint64_t id) {
    Server& s = servers_.at(id);
    int out[2];
    if (pipe(out) != 0) return false;
    const std::string data = absl::StrCat(dir_, "/data", id);
    const std::string log = absl::StrCat(dir_, "/server", id, ".log");
    const std::string id_text = absl::StrCat(id), port = absl::StrCat(s.client_port);
    const std::string peers = Peers();
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) dup2(err, STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      execl(path_.c_str(), path_.c_str(), "--id", id_text.c_str(), "--peers", peers.c_str(),
            "--data", data.c_str(), "--client-port", port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    s.pid = pid;
    return absl::StartsWith(line, "ready");
  }
  void Kill(std::uint64_t id) {
    Server& s = servers_.at(id);
    kill(s.pid, SIGKILL);
    waitpid(s.pid, nullptr, 0);
    s.pid = -1;
  }
  bool Alive(std::uint64_t id) const { return servers_.at(id).pid > 0; }
  std::vector<std::uint64_t> Ids() const { return {1, 2, 3}; }

 private:
  std::string path_;
  std::string dir_;
  std::map<std::uint64_t, Server> servers_;
};

bool Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  return ok;
}

// Parses "key=<number>" out of a status line; 0 if absent.
std::uint64_t Field(const std::string& status, const std::string& key) {
  const auto at = status.find(key + "=");
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + key.size() + 1, nullptr, 10);
}

class Scenario {
 public:
  Scenario(Cluster& cluster, raft_kv::KvClient& client, cohort::Clock& clock)
      : cluster_(cluster), client_(client), clock_(clock) {}

  // The one member every live member agrees leads, or 0 at the deadline.
  cohort::Awaitable<std::uint64_t> WaitForLeader(absl::Duration limit) {
    const absl::Time deadline = clock_.Now() + limit;
    while (clock_.Now() < deadline) {
      std::uint64_t leader = 0;
      std::vector<std::uint64_t> seen;
      bool answered = true;
      for (std::uint64_t id : cluster_.Ids()) {
        if (!cluster_.Alive(id)) continue;
        auto s = co_await client_.Status(id, clock_.Now() + absl::Seconds(1));
        if (!s.ok()) {
          answered = false;
          continue;
        }
        if (absl::StrContains(*s, "role=leader")) leader = id;
        seen.push_back(Field(*s, "leader"));
      }
      bool agreed = answered && leader != 0;
      for (std::uint64_t l : seen) agreed &= l == leader;
      if (agreed) co_return leader;
      (void)co_await clock_.SleepFor(absl::Milliseconds(100));
    }
    co_return 0;
  }

  cohort::Awaitable<bool> Write(int count, const std::string& prefix) {
    bool all = true;
    for (int i = 0; i < count; ++i) {
      const std::string key = absl::StrCat(prefix, "-", i);
      const std::string value = absl::StrCat("v", i, "-", prefix);
      auto r = co_await client_.Put(key, value, clock_.Now() + absl::Seconds(30));
      if (r.ok()) {
        acked_[key] = value;
      } else {
        all = Check(false, absl::StrCat("put ", key, ": ", r.status().ToString()));
      }
    }
    co_return all;
  }

  cohort::Awaitable<bool> ReadBack(std::uint64_t via) {
    for (const auto& [key, value] : acked_) {
      auto r = co_await client_.Get(key, clock_.Now() + absl::Seconds(30), via);
      if (!r.ok() || !r->has_value() || **r != value) {
        co_return Check(false, absl::StrCat("read ", key, " via ", via, ": ",
                                            r.ok() ? (r->has_value() ? **r : "(absent)")
                                                   : r.status().ToString()));
      }
    }
    co_return true;
  }

  cohort::Awaitable<bool> WaitCaughtUp(std::uint64_t id, std::uint64_t leader) {
    auto s = co_await client_.Status(leader, clock_.Now() + absl::Seconds(5));
    if (!s.ok()) co_return false;
    const std::uint64_t commit = Field(*s, "commit");
    const absl::Time deadline = clock_.Now() + absl::Seconds(60);
    while (clock_.Now() < deadline) {
      auto mine = co_await client_.Status(id, clock_.Now() + absl::Seconds(1));
      if (mine.ok() && Field(*mine, "applied") >= commit) co_return true;
      (void)co_await clock_.SleepFor(absl::Milliseconds(100));
    }
    co_return false;
  }

  cohort::Awaitable<bool> Run(int rounds) {
    bool ok = true;
    std::uint64_t leader = co_await WaitForLeader(absl::Seconds(30));
    ok &= Check(leader != 0, absl::StrCat("a leader was elected: member ", leader));
    if (leader == 0) co_return false;
    ok &= Check(co_await Write(10, "start"), "10 writes acknowledged");
    auto cas = co_await client_.Cas("start-0", std::string("v0-start"), "swapped",
                                    clock_.Now() + absl::Seconds(30));
    ok &= Check(cas.ok(), "compare-and-swap on the current value succeeds");
    if (cas.ok()) acked_["start-0"] = "swapped";
    auto stale = co_await client_.Cas("start-0", std::string("v0-start"), "again",
                                      clock_.Now() + absl::Seconds(30));
    ok &= Check(stale.status().code() == absl::StatusCode::kFailedPrecondition,
                "compare-and-swap on a stale value fails: " + stale.status().ToString());
    auto del = co_await client_.Delete("start-9", clock_.Now() + absl::Seconds(30));
    ok &= Check(del.ok() && *del == "deleted", "delete start-9");
    acked_.erase("start-9");
    for (int round = 1; round <= rounds && ok; ++round) {
      std::printf("round %d: SIGKILL leader %llu\n", round,
                  static_cast<unsigned long long>(leader));
      cluster_.Kill(leader);
      const std::uint64_t killed = leader;
      leader = co_await WaitForLeader(absl::Seconds(30));
      ok &= Check(leader != 0 && leader != killed,
                  absl::StrCat("round ", round, ": new leader ", leader));
      if (!ok) break;
      ok &= Check(co_await Write(10, absl::StrCat("round", round)),
                  absl::StrCat("round ", round, ": 10 writes on the new leader"));
      ok &= Check(co_await ReadBack(0),
                  absl::StrCat("round ", round, ": all ", acked_.size(),
                               " acknowledged writes read back"));
      ok &= Check(cluster_.Start(killed), absl::StrCat("round ", round, ": restarted ", killed));
      ok &= Check(co_await WaitCaughtUp(killed, leader),
                  absl::StrCat("round ", round, ": member ", killed, " caught up"));
      ok &= Check(co_await ReadBack(killed),
                  absl::StrCat("round ", round, ": reads through member ", killed));
    }
    co_return ok;
  }

 private:
  Cluster& cluster_;
  raft_kv::KvClient& client_;
  cohort::Clock& clock_;
  std::map<std::string, std::string> acked_;
};

cohort::Awaitable<bool> Main(Cluster& cluster, cohort::transport::Transport& transport,
                             cohort::Clock& clock, int rounds) {
  raft_kv::KvClient client(transport, clock, cluster.ClientAddresses(), /*client_id=*/77);
  Scenario scenario(cluster, client, clock);
  const bool ok = co_await scenario.Run(rounds);
  co_await transport.Shutdown(clock.Now() + absl::Seconds(1));
  co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string server;
  int rounds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--server") == 0) server = argv[i + 1];
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  if (server.empty() || rounds < 1) {
    std::fprintf(stderr, "usage: %s --server PATH_TO_raft_kv [--rounds N]\n", argv[0]);
    return 2;
  }
  char pattern[] = "/tmp/raft_kv_test.XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const std::string dir = pattern;
  bool ok = false;
  {
    Cluster cluster(server, dir);
    bool started = true;
    for (std::uint64_t id : cluster.Ids()) started &= Check(cluster.Start(id), absl::StrCat("started member ", id));
    if (started) {
      asio::io_context io(1);
      cohort::RealContext real(io.get_executor());
      auto transport = cohort::transport::TcpTransport::Create({}, real.context());
      if (transport.ok()) {
        auto done = asio::co_spawn(io, Main(cluster, **transport, *real.context().clock, rounds),
                                   asio::use_future);
        io.run();
        ok = done.get();
      }
    }
  }
  if (ok) {
    std::filesystem::remove_all(dir);
    std::printf("raft_kv_cluster_test: all checks passed\n");
    return 0;
  }
  std::printf("raft_kv_cluster_test: FAILED (server logs in %s)\n", dir.c_str());
  return 1;
}
