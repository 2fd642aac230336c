// raft_kv: one member of a replicated key-value store on cohort's RaftNode.
//
//   raft_kv --id N --peers 1=127.0.0.1:p1,2=127.0.0.1:p2,3=127.0.0.1:p3
//           --data DIR --client-port P [--cluster-id C] [--tick-ms T]
//           [--snapshot-entries N] [--threads N] [--election-ticks E]
//           [--max-inflight M]
//
// --snapshot-entries (default 1000, small so that the example's tests
// exercise snapshots) is how many applied entries trigger a snapshot and log
// compaction; a service under heavy write load wants far more (etcd: 100000).
// --threads (default 1) is how many threads serve the network, the Raft core
// and the state machine; the log's fsyncs always run on one more thread of
// their own, so the serving threads never wait for the disk.
//
// --max-inflight (default 256): append messages in flight to one follower
// (RaftNodeOptions::max_inflight_appends).
//
// --election-ticks (default 10): a follower campaigns after a random
// [E, 2E) ticks without a leader; the election timeout is E x --tick-ms.
//
// --peers may differ per member: a member listens on its own entry and dials
// the others where its list says (the cluster tests point each link at a
// fault-injecting proxy); the addresses it is given win over those peers
// advertise.
//
// Peers talk Raft on their --peers addresses; clients call kv.Put, kv.Get,
// kv.Delete, kv.Cas and kv.Status on 127.0.0.1:P (see kv_client.h). A
// follower answers writes with kUnavailable carrying the leader's member id
// (cohort::consensus::LeaderHintOf). Prints "ready" once serving; SIGTERM or
// SIGINT shut it down gracefully. kv.Metrics answers the member's metrics in
// the Prometheus text format (cohort/base/metrics.h).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/context.h"
#include "cohort/consensus/raft_node.h"
#include "cohort/transport/tcp_transport.h"
#include "kv_client.h"
#include "kv_codec.h"
#include "kv_state_machine.h"

namespace {

using cohort::Awaitable;
using cohort::consensus::RaftNode;
using raft_kv::KvStateMachine;

const char* RoleName(cohort::consensus::Role role) {
  switch (role) {
    case cohort::consensus::Role::kFollower: return "follower";
    case cohort::consensus::Role::kPreCandidate: return "pre-candidate";
    case cohort::consensus::Role::kCandidate: return "candidate";
    case cohort::consensus::Role::kLeader: return "leader";
    case cohort::consensus::Role::kLearner: return "learner";
    case cohort::consensus::Role::kStopped: return "stopped";
  }
  return "?";
}

Awaitable<absl::StatusOr<std::string>> Write(RaftNode* node, std::string request) {
  if (!raft_kv::DecodeRequest(request).has_value()) {
    co_return absl::InvalidArgumentError("malformed kv request");
  }
  cohort::consensus::ProposeOptions options;
  auto applied = co_await node->Propose(std::move(request), options);
  if (!applied.ok()) co_return applied.status();
  co_return applied->result;
}

Awaitable<absl::StatusOr<std::string>> Read(RaftNode* node, KvStateMachine* sm,
                                            std::string request) {
  auto r = raft_kv::DecodeRequest(request);
  if (!r.has_value()) co_return absl::InvalidArgumentError("malformed kv request");
  cohort::consensus::ReadOptions options;
  auto barrier = co_await node->ReadBarrier(options);
  if (!barrier.ok()) co_return barrier.status();
  auto value = sm->Get(r->key);
  co_return value.has_value() ? "1" + *value : std::string("0");
}

// (A function, not a capturing coroutine lambda: the lambda is gone before
// the coroutine body runs.)
Awaitable<absl::StatusOr<std::string>> MetricsOf(cohort::InMemoryMetrics* metrics) {
  co_return metrics->Render();
}

Awaitable<absl::StatusOr<std::string>> StatusOf(RaftNode* node) {
  cohort::consensus::GroupStatus s = node->Status();
  co_return absl::StrCat("role=", RoleName(s.role), " leader=", s.leader ? s.leader->id : 0,
                         " term=", s.term, " commit=", s.commit_index,
                         " applied=", s.applied_index);
}

struct Flags {
  std::uint64_t id = 0;
  std::uint64_t cluster_id = 1;
  std::string peers;
  std::string data;
  int client_port = 0;
  int tick_ms = 50;
  std::uint64_t snapshot_entries = 1000;
  int threads = 1;
  std::uint64_t max_inflight = 256;
  int election_ticks = 10;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--id") f->id = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--cluster-id") f->cluster_id = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--peers") f->peers = value;
    else if (flag == "--data") f->data = value;
    else if (flag == "--client-port") f->client_port = std::atoi(value.c_str());
    else if (flag == "--tick-ms") f->tick_ms = std::atoi(value.c_str());
    else if (flag == "--threads") f->threads = std::atoi(value.c_str());
    else if (flag == "--max-inflight") f->max_inflight = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--election-ticks") f->election_ticks = std::atoi(value.c_str());
    else if (flag == "--snapshot-entries")
      f->snapshot_entries = std::strtoull(value.c_str(), nullptr, 10);
    else return false;
  }
  return argc % 2 == 1 && f->id != 0 && !f->peers.empty() && !f->data.empty() && f->threads >= 1 &&
         f->client_port > 0;
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "raft_kv: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr,
                 "usage: %s --id N --peers 1=host:port,... --data DIR --client-port P "
                 "[--cluster-id C] [--tick-ms T] [--snapshot-entries N] [--threads N] "
                 "[--election-ticks E] [--max-inflight M]\n",
                 argv[0]);
    return 2;
  }
  auto peers = raft_kv::ParseMembers(flags.peers);
  if (!peers.has_value() || peers->count(flags.id) == 0) {
    std::fprintf(stderr, "raft_kv: --peers must list this member's id %llu\n",
                 static_cast<unsigned long long>(flags.id));
    return 2;
  }
  // Debian's abseil is built with its mutex deadlock detector on: every lock
  // takes a process-wide graph lock. A production server turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  asio::io_context io(flags.threads);
  cohort::RealContext real(io.get_executor(),
                           cohort::NewStderrLogger(absl::StrCat("raft_kv-", flags.id)));
  cohort::transport::TcpTransportOptions peer_options;
  peer_options.listen_address = peers->at(flags.id);
  auto peer_transport = cohort::transport::TcpTransport::Create(peer_options, real.context());
  if (!peer_transport.ok()) return Fail("peer transport", peer_transport.status());
  cohort::transport::TcpTransportOptions client_options;
  client_options.listen_address = absl::StrCat("127.0.0.1:", flags.client_port);
  auto client_transport = cohort::transport::TcpTransport::Create(client_options, real.context());
  if (!client_transport.ok()) return Fail("client transport", client_transport.status());

  cohort::consensus::RaftNodeOptions options;
  options.id = flags.id;
  options.cluster_id = flags.cluster_id;
  for (const auto& [id, address] : *peers) options.members.push_back({id, address});
  options.data_dir = flags.data;
  options.tick_interval = absl::Milliseconds(flags.tick_ms);
  options.snapshot_threshold = flags.snapshot_entries;
  options.election_ticks = flags.election_ticks;
  options.max_inflight_appends = flags.max_inflight;
  // The log's fsyncs get a thread of their own (RaftNodeOptions::disk_executor).
  asio::io_context disk;
  auto disk_work = asio::make_work_guard(disk);
  std::thread disk_thread([&disk] { disk.run(); });
  options.disk_executor = disk.get_executor();
  KvStateMachine sm;
  cohort::InMemoryMetrics metrics;
  cohort::Context node_context = real.context();
  node_context.metrics = &metrics;
  auto node = cohort::consensus::NewRaftNode(node_context, options, **peer_transport, sm);
  if (!node.ok()) return Fail("options", node.status());
  if (absl::Status s = (*node)->Start(); !s.ok()) return Fail("start", s);

  RaftNode* raft = node->get();
  KvStateMachine* state = &sm;
  auto& clients = **client_transport;
  for (const char* method : {"kv.Put", "kv.Delete", "kv.Cas"}) {
    (void)clients.Register(method, [raft](const cohort::transport::ServerCall&,
                                          std::string request) {
      return Write(raft, std::move(request));
    });
  }
  (void)clients.Register("kv.Get", [raft, state](const cohort::transport::ServerCall&,
                                                 std::string request) {
    return Read(raft, state, std::move(request));
  });
  cohort::InMemoryMetrics* reported = &metrics;
  (void)clients.Register("kv.Metrics", [reported](const cohort::transport::ServerCall&,
                                                  std::string) { return MetricsOf(reported); });
  (void)clients.Register("kv.Status", [raft](const cohort::transport::ServerCall&, std::string) {
    return StatusOf(raft);
  });

  asio::signal_set signals(io, SIGTERM, SIGINT);
  auto stop = [&]() -> Awaitable<void> {
    const absl::Time deadline = real.context().clock->Now() + absl::Seconds(2);
    co_await clients.Shutdown(deadline);
    co_await raft->Shutdown();
    co_await (*peer_transport)->Shutdown(deadline);
  };
  signals.async_wait([&](const asio::error_code&, int) {
    asio::co_spawn(io, stop(), [&](std::exception_ptr) { io.stop(); });
  });
  std::printf("ready %s\n", clients.address().c_str());
  std::fflush(stdout);
  std::vector<std::thread> helpers;
  for (int i = 1; i < flags.threads; ++i) helpers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : helpers) t.join();
  disk_work.reset();
  disk_thread.join();
  return 0;
}
