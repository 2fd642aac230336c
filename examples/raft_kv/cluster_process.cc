// Cluster: the raft_kv server processes and their proxied links.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"

namespace raft_kv::testing {
namespace {

bool CanBind(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Members' listen ports are drawn below the kernel's ephemeral range: a
// killed member's port stays free until its restart, whereas a port in the
// ephemeral range could meanwhile become the source port of one of the many
// connections the proxies and clients open.
std::vector<int> MemberPorts(int count) {
  int low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  if (!(range >> low) || low < 12000) low = 32768;
  std::random_device entropy;
  std::mt19937 pick(entropy());
  std::uniform_int_distribution<int> port(10000, low - 1);
  std::set<int> chosen;
  while (static_cast<int>(chosen.size()) < count) {
    const int p = port(pick);
    if (chosen.count(p) == 0 && CanBind(p)) chosen.insert(p);
  }
  return {chosen.begin(), chosen.end()};
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Create(ClusterOptions options) {
  const int n = options.members;
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options)));
  const std::vector<int> ports = MemberPorts(2 * n);
  for (int i = 0; i < n; ++i) {
    cluster->members_[static_cast<MemberId>(i + 1)] = {ports[2 * i], ports[2 * i + 1], -1};
  }
  for (const auto& [from, f] : cluster->members_) {
    for (const auto& [to, t] : cluster->members_) {
      if (from == to) continue;
      auto link = cluster->proxy_.AddLink(t.peer_port);
      if (!link.ok()) return link.status();
      cluster->links_[{from, to}] = *link;
    }
  }
  return cluster;
}

Cluster::~Cluster() {
  for (auto& [id, m] : members_) {
    if (m.pid > 0) Kill(id);
  }
}

absl::Duration Cluster::ElectionTimeout() const {
  return absl::Milliseconds(options_.tick_ms) * options_.election_ticks;
}

std::vector<MemberId> Cluster::Ids() const {
  std::vector<MemberId> ids;
  for (const auto& [id, m] : members_) ids.push_back(id);
  return ids;
}

std::map<MemberId, std::string> Cluster::ClientAddresses(const std::vector<MemberId>& ids) const {
  std::map<MemberId, std::string> out;
  for (const auto& [id, m] : members_) {
    if (ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) {
      out[id] = Loopback(m.client_port);
    }
  }
  return out;
}

cohort::Awaitable<bool> Cluster::Start(MemberId id, cohort::Clock& clock) {
  Member& m = members_.at(id);
  if (m.pid > 0) co_return false;
  // A member listens on its own real address and reaches each peer through
  // the proxy link (id -> peer); its --peers list wins over the addresses
  // the peers advertise, so every call stays on its link.
  std::string peers;
  for (const auto& [other, o] : members_) {
    const int port = other == id ? o.peer_port : proxy_.ListenPort(links_.at({id, other}));
    absl::StrAppend(&peers, peers.empty() ? "" : ",", other, "=", Loopback(port));
  }
  const std::string dir = options_.dir;
  std::vector<std::string> args = {options_.server,
                                   "--id", absl::StrCat(id),
                                   "--peers", peers,
                                   "--data", absl::StrCat(dir, "/data", id),
                                   "--client-port", absl::StrCat(m.client_port),
                                   "--tick-ms", absl::StrCat(options_.tick_ms),
                                   "--election-ticks", absl::StrCat(options_.election_ticks)};
  const std::string log = absl::StrCat(dir, "/server", id, ".log");
  int out[2];
  if (pipe(out) != 0) co_return false;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO);
    // Nothing else of the test process (proxy sockets, other pipes) may
    // live on in the server: a proxy's close must really close.
    close_range(3, ~0U, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  m.pid = pid;
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  std::string line;
  bool ended = false;
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  while (!ended && clock.Now() < deadline) {
    char buffer[256];
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n > 0) {
      line.append(buffer, static_cast<std::size_t>(n));
      ended = line.find('\n') != std::string::npos;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      ended = true;  // exited before saying "ready"
    } else {
      (void)co_await clock.SleepFor(absl::Milliseconds(20));
    }
  }
  close(out[0]);
  co_return absl::StartsWith(line, "ready");
}

void Cluster::Kill(MemberId id) {
  Member& m = members_.at(id);
  if (m.pid <= 0) return;
  kill(m.pid, SIGKILL);
  waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

bool Cluster::Alive(MemberId id) const { return members_.at(id).pid > 0; }

void Cluster::Partition(const std::vector<std::vector<MemberId>>& sides, CutMode mode) {
  std::map<MemberId, std::size_t> side_of;
  for (std::size_t s = 0; s < sides.size(); ++s) {
    for (MemberId id : sides[s]) side_of[id] = s;
  }
  for (const auto& [ends, link] : links_) {
    if (side_of.at(ends.first) != side_of.at(ends.second)) proxy_.Cut(link, mode);
  }
}

void Cluster::HealAll() {
  for (const auto& [ends, link] : links_) proxy_.Heal(link);
}

long Cluster::Forwarded(MemberId from, MemberId to) const {
  return proxy_.Forwarded(links_.at({from, to}));
}

}  // namespace raft_kv::testing
