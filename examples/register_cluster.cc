// A replicated register on three processes over TCP, surviving one killed.
//
//   register_cluster                 starts 3 replica processes on 127.0.0.1,
//                                    writes and reads through them, kills one
//                                    with SIGKILL, and shows reads and writes
//                                    still succeeding with W = R = 2 of N = 3.
//   register_cluster replica ADDR    runs one replica listening on ADDR
//                                    ("127.0.0.1:0" picks a port); prints
//                                    "ready <address>" once it serves, and
//                                    drains and exits on SIGTERM or SIGINT.
//
// Exit status 0 when every step behaved as promised.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_future.hpp>

#include "cohort/base/context.h"
#include "cohort/quorum/hlc.h"
#include "cohort/quorum/replicated_register.h"
#include "cohort/transport/tcp_transport.h"

namespace {

using cohort::quorum::RegisterClient;
using cohort::quorum::RegisterOptions;
using cohort::quorum::RegisterReplica;
using cohort::transport::TcpTransport;
using cohort::transport::TcpTransportOptions;

// ---- one replica process ----

int RunReplica(const std::string& listen) {
  // One thread: RegisterReplica is used from the transport's executor only.
  asio::io_context io(1);
  cohort::RealContext real(io.get_executor(), cohort::NewStderrLogger("replica"));
  TcpTransportOptions options;
  options.listen_address = listen;
  auto transport = TcpTransport::Create(options, real.context());
  if (!transport.ok()) {
    std::fprintf(stderr, "replica: %s\n", transport.status().ToString().c_str());
    return 1;
  }
  auto replica = RegisterReplica::Create(**transport);
  if (!replica.ok()) {
    std::fprintf(stderr, "replica: %s\n", replica.status().ToString().c_str());
    return 1;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code&, int) {
    cohort::Clock* clock = real.context().clock;
    asio::co_spawn(io, (*transport)->Shutdown(clock->Now() + absl::Seconds(2)),
                   [&](std::exception_ptr) { io.stop(); });
  });
  std::printf("ready %s\n", (*transport)->address().c_str());
  std::fflush(stdout);
  io.run();
  return 0;
}

// ---- the demonstration ----

struct Child {
  pid_t pid = -1;
  std::string address;
};

// Starts `self replica 127.0.0.1:0` and reads the address it reports.
Child StartReplica(const char* self) {
  int out[2];
  if (pipe(out) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(self, self, "replica", "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  Child child;
  child.pid = pid;
  if (line.rfind("ready ", 0) == 0) child.address = line.substr(6);
  return child;
}

bool Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  return ok;
}

cohort::Awaitable<bool> Demonstrate(RegisterClient& reg, TcpTransport& transport,
                                    cohort::Clock& clock, std::vector<Child>& replicas) {
  bool all = true;
  auto wrote = co_await reg.Write("greeting", "hello");
  all &= Check(wrote.ok(), "write greeting=hello on 2 of 3 replicas: " +
                               (wrote.ok() ? wrote->ToString() : wrote.status().ToString()));
  auto read = co_await reg.Read("greeting");
  all &= Check(read.ok() && read->value == "hello",
               "read greeting: " + (read.ok() ? read->value : read.status().ToString()));

  std::printf("killing replica %s (pid %d) with SIGKILL\n", replicas[2].address.c_str(),
              static_cast<int>(replicas[2].pid));
  kill(replicas[2].pid, SIGKILL);
  waitpid(replicas[2].pid, nullptr, 0);
  replicas[2].pid = -1;

  read = co_await reg.Read("greeting");
  all &= Check(read.ok() && read->value == "hello",
               "read with one replica dead: " +
                   (read.ok() ? read->value : read.status().ToString()));
  wrote = co_await reg.Write("greeting", "still here");
  all &= Check(wrote.ok(), "write with one replica dead: " +
                               (wrote.ok() ? wrote->ToString() : wrote.status().ToString()));
  read = co_await reg.Read("greeting");
  all &= Check(read.ok() && read->value == "still here",
               "read your write: " + (read.ok() ? read->value : read.status().ToString()));
  // Closes the client's connections so that the event loop can finish.
  co_await transport.Shutdown(clock.Now() + absl::Seconds(1));
  co_return all;
}

int RunDemo(const char* self) {
  std::vector<Child> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(StartReplica(self));
    if (replicas.back().address.empty()) {
      std::fprintf(stderr, "replica %d did not start\n", i);
      for (auto& r : replicas) {
        if (r.pid > 0) kill(r.pid, SIGKILL);
      }
      return 1;
    }
    std::printf("replica %d: pid %d at %s\n", i, static_cast<int>(replicas.back().pid),
                replicas.back().address.c_str());
  }

  asio::io_context io(1);
  cohort::RealContext real(io.get_executor());
  auto transport = TcpTransport::Create({}, real.context());
  cohort::quorum::HybridLogicalClock hlc(*real.context().clock, /*node_id=*/100);
  RegisterOptions options;
  for (const Child& r : replicas) options.replicas.push_back(r.address);
  options.write_quorum = 2;
  options.read_quorum = 2;
  options.timeout = absl::Seconds(5);
  bool ok = false;
  if (transport.ok()) {
    auto reg = RegisterClient::Create(**transport, options, hlc, *real.context().clock);
    if (reg.ok()) {
      auto done = asio::co_spawn(
          io, Demonstrate(**reg, **transport, *real.context().clock, replicas), asio::use_future);
      io.run();
      ok = done.get();
    } else {
      std::fprintf(stderr, "%s\n", reg.status().ToString().c_str());
    }
  }
  for (Child& r : replicas) {
    if (r.pid <= 0) continue;
    kill(r.pid, SIGTERM);
    int status = 0;
    waitpid(r.pid, &status, 0);
  }
  std::printf(ok ? "register_cluster: all checks passed\n" : "register_cluster: FAILED\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc == 3 && std::strcmp(argv[1], "replica") == 0) return RunReplica(argv[2]);
  if (argc == 1) return RunDemo("/proc/self/exe");
  std::fprintf(stderr, "usage: %s [replica LISTEN_ADDRESS]\n", argv[0]);
  return 2;
}
