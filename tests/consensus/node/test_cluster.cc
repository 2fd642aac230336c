#include "consensus/node/test_cluster.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <asio/detached.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/status.h"
#include "consensus/node/raft_node_internal.h"

namespace cohort::consensus::testing {
namespace {

Awaitable<bool> ShutdownNode(RaftNode* node) {
  co_await node->Shutdown();
  co_return true;
}

Awaitable<absl::StatusOr<Applied>> ProposeOn(RaftNode* node, std::string command,
                                             absl::Time deadline) {
  ProposeOptions options;
  options.deadline = deadline;
  co_return co_await node->Propose(std::move(command), options);
}

Awaitable<absl::StatusOr<std::uint64_t>> ReadOn(RaftNode* node, ReadOptions options) {
  co_return co_await node->ReadBarrier(options);
}

class VectorWriter final : public SnapshotWriter {
 public:
  explicit VectorWriter(std::vector<std::string> commands) : commands_(std::move(commands)) {}
  absl::Status WriteTo(ByteSink& sink) override {
    std::string out;
    coding::PutVarint(commands_.size(), &out);
    for (const std::string& c : commands_) coding::PutString(c, &out);
    return sink.Append(out);
  }

 private:
  std::vector<std::string> commands_;
};

}  // namespace

int SeedCount(int fallback) {
  const char* env = std::getenv("RAFT_NODE_SEEDS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : fallback;
}

absl::StatusOr<std::string> RecordingStateMachine::Apply(const LogEntry& entry) {
  absl::MutexLock lock(&mu_);
  commands_.emplace_back(entry.command);
  if (absl::StartsWith(absl::string_view(entry.command.data(), entry.command.size()), "fail")) {
    return absl::FailedPreconditionError("refused");
  }
  return absl::StrCat(absl::string_view(entry.command.data(), entry.command.size()), "@",
                      entry.index);
}

absl::StatusOr<std::unique_ptr<SnapshotWriter>> RecordingStateMachine::Snapshot() {
  absl::MutexLock lock(&mu_);
  return std::make_unique<VectorWriter>(commands_);
}

absl::Status RecordingStateMachine::Restore(ByteSource& source) {
  std::string data;
  char buffer[4096];
  for (;;) {
    COHORT_ASSIGN_OR_RETURN(std::size_t n, source.Read(buffer));
    if (n == 0) break;
    data.append(buffer, n);
  }
  coding::Reader reader(data, "test snapshot");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count, reader.Varint("count"));
  std::vector<std::string> commands;
  for (std::uint64_t i = 0; i < count; ++i) {
    COHORT_ASSIGN_OR_RETURN(std::string_view c, reader.String("command"));
    commands.emplace_back(c);
  }
  COHORT_RETURN_IF_ERROR(reader.ExpectEnd());
  absl::MutexLock lock(&mu_);
  commands_ = std::move(commands);
  ++restores_;
  return absl::OkStatus();
}

std::vector<std::string> RecordingStateMachine::commands() const {
  absl::MutexLock lock(&mu_);
  return commands_;
}

std::uint64_t RecordingStateMachine::restores() const {
  absl::MutexLock lock(&mu_);
  return restores_;
}

TestCluster::TestCluster(int n, std::uint64_t seed, std::function<void(RaftNodeOptions&)> tweak)
    : seed_(seed), founders_(n), tweak_(std::move(tweak)), net_(clock_, io_.get_executor(), seed) {
  ctx_.executor = io_.get_executor();
  ctx_.clock = &clock_;
  ctx_.seed = seed;
  ctx_.metrics = &metrics_;
  // RAFT_NODE_LOG=debug (or info) shows the nodes' logs.
  if (const char* level = std::getenv("RAFT_NODE_LOG")) ctx_.logger = NewStderrLogger("raft", level);
  for (int i = 1; i <= n; ++i) members_[i];
}

TestCluster::~TestCluster() {
  for (auto& [id, slot] : members_) {
    if (slot.node != nullptr) Down(id, false);
  }
  cohort::testing::RunReady(io_);
}

std::string TestCluster::Address(std::uint64_t id) { return absl::StrCat("n", id); }

RaftNodeOptions TestCluster::OptionsFor(std::uint64_t id) const {
  RaftNodeOptions o;
  o.id = id;
  o.cluster_id = 7;
  o.data_dir = "/raft/data";
  // Preallocated segments live in memory on the fault file system.
  o.wal_segment_bytes = 256 << 10;
  for (int i = 1; i <= founders_; ++i) o.members.push_back({std::uint64_t(i), Address(i)});
  if (tweak_) tweak_(o);
  return o;
}

absl::Status TestCluster::Start(std::uint64_t id, bool founder) {
  RaftNodeOptions options = OptionsFor(id);
  if (!founder) options.members.clear();
  return StartWith(id, std::move(options));
}

absl::Status TestCluster::StartWith(std::uint64_t id, RaftNodeOptions options) {
  Slot& slot = members_[id];
  if (slot.fs == nullptr) slot.fs = std::make_unique<wal::FaultFileSystem>();
  COHORT_ASSIGN_OR_RETURN(slot.endpoint, net_.NewEndpoint(Address(id)));
  net_.Restart(Address(id));
  slot.sm = std::make_unique<RecordingStateMachine>();
  slot.custom_sm = sm_factory_ ? sm_factory_() : nullptr;
  StateMachine& target_sm =
      slot.custom_sm != nullptr ? *slot.custom_sm : static_cast<StateMachine&>(*slot.sm);
  Context ctx = ctx_;
  ctx.seed = DeriveSeed(seed_, absl::StrCat("node", id, ".", slot.crashes));
  COHORT_ASSIGN_OR_RETURN(slot.node, node::NewRaftNodeOnFileSystem(ctx, options, *slot.endpoint,
                                                                  target_sm, slot.fs.get()));
  absl::Status status = slot.node->Start();
  if (!status.ok()) {
    slot.node.reset();
    slot.endpoint.reset();
  }
  return status;
}

absl::Status TestCluster::StartAll() {
  for (int i = 1; i <= founders_; ++i) COHORT_RETURN_IF_ERROR(Start(i));
  return absl::OkStatus();
}

void TestCluster::Down(std::uint64_t id, bool crash) {
  Slot& slot = members_.at(id);
  if (slot.node == nullptr) return;
  if (crash) net_.Crash(Address(id));
  Run(ShutdownNode(slot.node.get()), absl::Seconds(5));
  // Lets calls failed by the crash finish before their endpoint goes.
  cohort::testing::RunReady(io_);
  slot.node.reset();
  slot.endpoint.reset();
  slot.sm.reset();
  slot.custom_sm.reset();
  cohort::testing::RunReady(io_);
  if (crash) {
    slot.fs->Crash(wal::CrashMode::kDropUnsynced, DeriveSeed(seed_, absl::StrCat("crash", id)));
    ++slot.crashes;
  }
}

void TestCluster::Crash(std::uint64_t id) { Down(id, true); }

void TestCluster::Stop(std::uint64_t id) { Down(id, false); }

void TestCluster::RunFor(absl::Duration d) {
  const absl::Time until = clock_.Now() + d;
  cohort::testing::RunUntilIdle(io_, clock_, until);
  // RunUntilIdle stops before a wake-up beyond `until`; time still passes.
  clock_.SetTime(until);
  cohort::testing::RunReady(io_);
}

std::vector<std::uint64_t> TestCluster::ids() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, slot] : members_) out.push_back(id);
  return out;
}

std::uint64_t TestCluster::WaitForLeader(absl::Duration limit) {
  const absl::Time until = clock_.Now() + limit;
  while (clock_.Now() < until) {
    RunFor(absl::Milliseconds(50));
    std::uint64_t leader = 0;
    bool agreed = true;
    for (auto& [id, slot] : members_) {
      if (slot.node == nullptr) continue;
      GroupStatus s = slot.node->Status();
      if (s.role == Role::kLeader) {
        if (leader != 0) agreed = false;
        leader = id;
      }
    }
    if (leader == 0 || !agreed) continue;
    for (auto& [id, slot] : members_) {
      if (slot.node == nullptr) continue;
      GroupStatus s = slot.node->Status();
      if (!s.leader.has_value() || s.leader->id != leader) agreed = false;
    }
    if (agreed) return leader;
  }
  return 0;
}

bool TestCluster::WaitForApplied(std::uint64_t id, std::uint64_t index, absl::Duration limit) {
  const absl::Time until = clock_.Now() + limit;
  for (;;) {
    if (up(id) && node(id)->Status().applied_index >= index) return true;
    if (clock_.Now() >= until) return false;
    RunFor(absl::Milliseconds(20));
  }
}

bool TestCluster::WaitForApplied(std::uint64_t index, absl::Duration limit) {
  for (std::uint64_t id : ids()) {
    if (up(id) && !WaitForApplied(id, index, limit)) return false;
  }
  return true;
}

absl::StatusOr<Applied> TestCluster::Propose(std::uint64_t id, std::string command,
                                             absl::Duration timeout) {
  auto result = Run(ProposeOn(node(id), std::move(command), clock_.Now() + timeout),
                    timeout + absl::Seconds(1));
  if (!result.has_value()) return absl::InternalError("proposal never completed");
  return *std::move(result);
}

absl::StatusOr<std::uint64_t> TestCluster::ProposeAll(std::uint64_t id,
                                                       std::vector<std::string> commands) {
  std::uint64_t last = 0;
  for (const auto& r : ProposeMany(id, std::move(commands))) {
    if (!r.ok()) return r.status();
    last = std::max(last, r->index);
  }
  return last;
}

std::vector<absl::StatusOr<Applied>> TestCluster::ProposeMany(std::uint64_t id,
                                                             std::vector<std::string> commands) {
  std::vector<std::optional<absl::StatusOr<Applied>>> slots(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    asio::co_spawn(io_, ProposeOn(node(id), commands[i], clock_.Now() + absl::Seconds(10)),
                   [&slots, i](std::exception_ptr, absl::StatusOr<Applied> r) {
                     slots[i].emplace(std::move(r));
                   });
  }
  const absl::Time until = clock_.Now() + absl::Seconds(12);
  const auto all = [&slots] {
    for (const auto& s : slots) {
      if (!s.has_value()) return false;
    }
    return true;
  };
  while (!all() && clock_.Now() < until) RunFor(absl::Milliseconds(10));
  std::vector<absl::StatusOr<Applied>> out;
  for (auto& s : slots) {
    out.push_back(s.has_value() ? *std::move(s) : absl::InternalError("never completed"));
  }
  return out;
}

void TestCluster::ProposeAsync(std::uint64_t id, std::vector<std::string> commands) {
  for (std::string& command : commands) {
    asio::co_spawn(io_, ProposeOn(node(id), std::move(command), clock_.Now() + absl::Seconds(10)),
                   asio::detached);
  }
}

absl::StatusOr<std::uint64_t> TestCluster::ReadBarrier(std::uint64_t id,
                                                       ReadConsistency consistency) {
  ReadOptions options;
  options.consistency = consistency;
  options.deadline = clock_.Now() + absl::Seconds(5);
  auto result = Run(ReadOn(node(id), options), absl::Seconds(6));
  if (!result.has_value()) return absl::InternalError("read barrier never completed");
  return *std::move(result);
}

}  // namespace cohort::consensus::testing
