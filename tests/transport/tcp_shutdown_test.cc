// Graceful shutdown of the TCP transport: in-flight calls finish within the
// drain deadline, new calls are turned away unsent, stragglers are cancelled.
#include <atomic>
#include <string>

#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "cohort/transport/tcp_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loopback.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IoThreads;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::cohort::testing::WaitFor;

Awaitable<absl::StatusOr<std::string>> CallWithin(Transport& t, std::string peer,
                                                  std::string method, std::string body,
                                                  absl::Duration timeout, Clock* clock) {
  CallOptions options;
  options.deadline = clock->Now() + timeout;
  co_return co_await t.Call(peer, method, std::move(body), options);
}

Awaitable<bool> ShutdownWithin(Transport& t, absl::Duration drain, Clock* clock) {
  co_await t.Shutdown(clock->Now() + drain);
  co_return true;
}

class TcpShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TcpTransportOptions options;
    options.listen_address = "127.0.0.1:0";
    auto server = TcpTransport::Create(options, io_.context());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = TcpTransport::Create({}, io_.context());
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
  }
  Clock* clock() { return io_.context().clock; }

  IoThreads io_;
  std::unique_ptr<TcpTransport> server_;
  std::unique_ptr<TcpTransport> client_;
};

TEST_F(TcpShutdownTest, InFlightCallsFinishDuringTheDrain) {
  // The handler finishes only once the drain has begun.
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  Clock* clk = clock();
  ASSERT_TRUE(server_
                  ->Register("slow",
                             [&](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               started.fetch_add(1);
                               while (!release.load()) {
                                 absl::Status s = co_await clk->SleepFor(absl::Milliseconds(1));
                                 if (!s.ok()) co_return s;
                               }
                               co_return "finished";
                             })
                  .ok());
  ASSERT_TRUE(server_
                  ->Register("fast",
                             [](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> { co_return "ran"; })
                  .ok());
  const std::string address = server_->address();
  auto call = io_.Start(CallWithin(*client_, address, "slow", "", absl::Seconds(60), clk));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  auto shutdown = io_.Start(ShutdownWithin(*server_, absl::Seconds(60), clk));

  // Once the drain has begun, a new call is refused without running, and
  // says so. (Calls that reach the server before it begins still run.)
  absl::StatusOr<std::string> refused;
  ASSERT_TRUE(WaitFor([&] {
    refused = io_.Run(CallWithin(*client_, address, "fast", "", absl::Seconds(30), clk));
    return !refused.ok();
  }));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(refused.status())) << refused.status();
  EXPECT_EQ(started.load(), 1);

  release.store(true);
  ASSERT_TRUE(cohort::testing::WaitReady(call));
  EXPECT_THAT(call.get(), IsOkAndHolds("finished"));
  ASSERT_TRUE(cohort::testing::WaitReady(shutdown));
}

TEST_F(TcpShutdownTest, HandlersStillRunningAtTheDeadlineAreCancelled) {
  std::atomic<int> started{0}, cancelled{0};
  Clock* clk = clock();
  ASSERT_TRUE(server_
                  ->Register("hang",
                             [&](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               started.fetch_add(1);
                               absl::Status s = co_await clk->SleepFor(absl::Hours(1));
                               if (!s.ok()) cancelled.fetch_add(1);
                               co_return s;
                             })
                  .ok());
  auto call =
      io_.Start(CallWithin(*client_, server_->address(), "hang", "", absl::Seconds(60), clk));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  ASSERT_TRUE(io_.Run(ShutdownWithin(*server_, absl::Milliseconds(100), clk)));
  EXPECT_TRUE(WaitFor([&] { return cancelled.load() == 1; }));
  ASSERT_TRUE(cohort::testing::WaitReady(call));
  EXPECT_THAT(call.get(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TcpShutdownTest, ShutdownFailsOutgoingCallsAndIsIdempotent) {
  std::atomic<int> started{0};
  Clock* clk = clock();
  ASSERT_TRUE(server_
                  ->Register("hang",
                             [&](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               started.fetch_add(1);
                               co_return co_await clk->SleepFor(absl::Hours(1));
                             })
                  .ok());
  auto call =
      io_.Start(CallWithin(*client_, server_->address(), "hang", "", absl::Seconds(60), clk));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  ASSERT_TRUE(io_.Run(ShutdownWithin(*client_, absl::Seconds(1), clk)));
  ASSERT_TRUE(cohort::testing::WaitReady(call));
  EXPECT_THAT(call.get(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(io_.Run(ShutdownWithin(*client_, absl::Seconds(1), clk)));
  absl::StatusOr<std::string> after =
      io_.Run(CallWithin(*client_, server_->address(), "hang", "", absl::Seconds(1), clk));
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(after.status()));
}

TEST_F(TcpShutdownTest, IdleServerShutsDownAtOnceAndFreesItsPort) {
  const std::string address = server_->address();
  ASSERT_TRUE(io_.Run(ShutdownWithin(*server_, absl::Seconds(60), clock())));
  server_.reset();
  TcpTransportOptions options;
  options.listen_address = address;
  // The acceptor closes on its strand; wait for the port to be free.
  absl::StatusOr<std::unique_ptr<TcpTransport>> again;
  ASSERT_TRUE(WaitFor([&] {
    again = TcpTransport::Create(options, io_.context());
    return again.ok();
  }));
}

}  // namespace
}  // namespace cohort::transport
