// raft_kv_client: a command-line client of the raft_kv example.
//
//   raft_kv_client --servers 1=127.0.0.1:c1,2=127.0.0.1:c2,3=127.0.0.1:c3 CMD ...
//     put KEY VALUE | get KEY | delete KEY | cas KEY EXPECTED NEW | cas-absent KEY NEW
//     | status ID | metrics ID
//
// --servers maps raft member ids to their client ports; the client follows
// leader hints and retries (safely: writes carry a request id) for up to 30 s.
// Prints the answer; exit status 0 on success, 1 on failure.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "cohort/base/context.h"
#include "cohort/transport/tcp_transport.h"
#include "kv_client.h"

namespace {

cohort::Awaitable<int> RunCommand(raft_kv::KvClient& client, cohort::transport::Transport& t,
                                  cohort::Clock& clock, std::vector<std::string> args) {
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  absl::StatusOr<std::string> result = absl::InvalidArgumentError("unknown command");
  const std::string& cmd = args[0];
  if (cmd == "put" && args.size() == 3) {
    result = co_await client.Put(args[1], args[2], deadline);
  } else if (cmd == "delete" && args.size() == 2) {
    result = co_await client.Delete(args[1], deadline);
  } else if (cmd == "cas" && args.size() == 4) {
    result = co_await client.Cas(args[1], args[2], args[3], deadline);
  } else if (cmd == "cas-absent" && args.size() == 3) {
    result = co_await client.Cas(args[1], std::nullopt, args[2], deadline);
  } else if (cmd == "metrics" && args.size() == 2) {
    result = co_await client.Metrics(std::strtoull(args[1].c_str(), nullptr, 10), deadline);
  } else if (cmd == "status" && args.size() == 2) {
    result = co_await client.Status(std::strtoull(args[1].c_str(), nullptr, 10), deadline);
  } else if (cmd == "get" && args.size() == 2) {
    auto value = co_await client.Get(args[1], deadline);
    if (value.ok()) {
      result = value->has_value() ? **value : std::string("(absent)");
    } else {
      result = value.status();
    }
  }
  co_await t.Shutdown(clock.Now() + absl::Seconds(1));
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    co_return 1;
  }
  std::printf("%s\n", result->c_str());
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "--servers") {
    std::fprintf(stderr, "usage: %s --servers 1=host:port,... put|get|delete|cas|cas-absent|status|metrics ...\n",
                 argv[0]);
    return 2;
  }
  auto servers = raft_kv::ParseMembers(argv[2]);
  if (!servers.has_value()) {
    std::fprintf(stderr, "bad --servers list: %s\n", argv[2]);
    return 2;
  }
  asio::io_context io(1);
  cohort::RealContext real(io.get_executor());
  auto transport = cohort::transport::TcpTransport::Create({}, real.context());
  if (!transport.ok()) {
    std::fprintf(stderr, "%s\n", transport.status().ToString().c_str());
    return 1;
  }
  // A client id from the context's entropy-seeded randomness.
  raft_kv::KvClient client(**transport, *real.context().clock, *servers,
                           real.context().NewRandom("client-id").Next64() | 1);
  auto done = asio::co_spawn(io,
                             RunCommand(client, **transport, *real.context().clock,
                                        std::vector<std::string>(argv + 3, argv + argc)),
                             asio::use_future);
  io.run();
  return done.get();
}
