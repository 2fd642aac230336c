#include "cohort/quorum/replicated_register.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "cohort/transport/simulated_network.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::quorum {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

class ReplicatedRegisterTest : public ::testing::Test {
 protected:
  ReplicatedRegisterTest() : net_(clock_, io_.get_executor(), 7), hlc_(clock_, /*node_id=*/100) {
    for (const std::string name : {"r0", "r1", "r2"}) {
      endpoints_.push_back(*net_.NewEndpoint(name));
      replicas_.push_back(*RegisterReplica::Create(*endpoints_.back()));
    }
    client_endpoint_ = *net_.NewEndpoint("client");
  }

  std::unique_ptr<RegisterClient> Client(RegisterOptions options = {}) {
    if (options.replicas.empty()) options.replicas = {"r0", "r1", "r2"};
    auto client = RegisterClient::Create(*client_endpoint_, options, hlc_, clock_);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  template <typename T>
  T Await(Awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(
        io_, [&]() -> Awaitable<void> { result = co_await std::move(op); }, asio::detached);
    testing::RunUntilIdle(io_, clock_);
    EXPECT_TRUE(result.has_value());
    return *std::move(result);
  }

  asio::io_context io_;
  SimulatedClock clock_;
  transport::SimulatedNetwork net_;
  HybridLogicalClock hlc_;
  std::vector<std::unique_ptr<transport::Transport>> endpoints_;
  std::vector<std::unique_ptr<RegisterReplica>> replicas_;
  std::unique_ptr<transport::Transport> client_endpoint_;
};

TEST_F(ReplicatedRegisterTest, WriteThenReadReturnsTheValue) {
  auto client = Client();
  auto ts = Await(client->Write("flags/new-ui", "on"));
  ASSERT_THAT(ts, IsOk());
  auto read = Await(client->Read("flags/new-ui"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->value, "on");
  EXPECT_EQ(read->timestamp, *ts);
  EXPECT_THAT(Await(client->Read("missing")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ReplicatedRegisterTest, ReadYourWritesWithOneReplicaCutOff) {
  auto client = Client();  // N=3, W=2, R=2
  net_.Partition({"client"}, {"r2"});
  ASSERT_THAT(Await(client->Write("k", "v1")), IsOk());
  EXPECT_FALSE(replicas_[2]->Peek("k").has_value());  // r2 missed it
  net_.Heal();
  net_.Partition({"client"}, {"r0"});  // a different replica is now unreachable
  auto read = Await(client->Read("k"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->value, "v1");  // R and W overlap on r1
}

TEST_F(ReplicatedRegisterTest, ReadRepairConvergesStaleReplicas) {
  auto client = Client({.replicas = {"r0", "r1", "r2"}, .read_quorum = 3});
  net_.Partition({"client"}, {"r2"});
  ASSERT_THAT(Await(client->Write("k", "v1")), IsOk());
  net_.Heal();
  ASSERT_FALSE(replicas_[2]->Peek("k").has_value());
  ASSERT_THAT(Await(client->Read("k")), IsOk());
  auto repaired = replicas_[2]->Peek("k");
  ASSERT_TRUE(repaired.has_value());
  EXPECT_EQ(repaired->value, "v1");
}

TEST_F(ReplicatedRegisterTest, LastWriteWinsByTimestamp) {
  auto client = Client();
  ASSERT_THAT(Await(client->Write("k", "old")), IsOk());
  clock_.AdvanceTime(absl::Milliseconds(5));
  ASSERT_THAT(Await(client->Write("k", "new")), IsOk());
  auto read = Await(client->Read("k"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->value, "new");
  // Replaying the older write to every replica changes nothing.
  for (const auto& replica : replicas_) {
    auto v = replica->Peek("k");
    if (v.has_value()) {
      EXPECT_EQ(v->value, "new");
    }
  }
}

TEST_F(ReplicatedRegisterTest, WriteFailsWithoutAQuorum) {
  auto client = Client({.replicas = {"r0", "r1", "r2"}, .timeout = absl::Milliseconds(200)});
  net_.Crash("r1");
  net_.Crash("r2");
  EXPECT_THAT(Await(client->Write("k", "v")),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("register write")));
}

TEST_F(ReplicatedRegisterTest, WeakQuorumsMustBeAskedFor) {
  auto weak = RegisterClient::Create(*client_endpoint_,
                                     {.replicas = {"r0", "r1", "r2"}, .write_quorum = 1,
                                      .read_quorum = 1},
                                     hlc_, clock_);
  EXPECT_THAT(weak, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("R + W must exceed N")));
  EXPECT_THAT(RegisterClient::Create(*client_endpoint_,
                                     {.replicas = {"r0", "r1", "r2"}, .write_quorum = 1,
                                      .read_quorum = 1, .allow_weak_quorums = true},
                                     hlc_, clock_),
              IsOk());
  EXPECT_THAT(RegisterClient::Create(*client_endpoint_, {.replicas = {"r0", "r0"}}, hlc_, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(RegisterClient::Create(*client_endpoint_,
                                     {.replicas = {"r0"}, .write_quorum = 2}, hlc_, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cohort::quorum
