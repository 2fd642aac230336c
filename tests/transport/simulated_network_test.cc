#include "cohort/transport/simulated_network.h"

#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/resilience/status_hints.h"
#include "cohort/testing/simulation.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

class SimulatedNetworkTest : public ::testing::Test {
 protected:
  SimulatedNetworkTest() : net_(clock_, io_.get_executor(), /*seed=*/42) {}

  std::unique_ptr<Transport> Node(const std::string& name) {
    auto t = net_.NewEndpoint(name);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *std::move(t) : nullptr;
  }

  // Registers "echo": answers "<node>:<request>" after `work` of simulated time
  // and counts invocations and cancellations.
  void Echo(Transport& t, absl::Duration work = absl::ZeroDuration()) {
    ASSERT_THAT(t.Register("echo",
                           [this, &t, work](const ServerCall& call,
                                            std::string req) -> Awaitable<absl::StatusOr<std::string>> {
                             ++handled_;
                             last_peer_ = call.peer.address;
                             last_trace_ = call.trace.traceparent;
                             if (work > absl::ZeroDuration()) {
                               absl::Status s = co_await clock_.SleepFor(work);
                               if (!s.ok()) {
                                 ++cancelled_;
                                 co_return s;
                               }
                             }
                             co_return t.address() + ":" + req;
                           }),
                IsOk());
  }

  // Starts a call; its result appears in the returned slot once the
  // simulation has run.
  std::shared_ptr<std::optional<absl::StatusOr<std::string>>> Start(
      Transport& from, std::string to, std::string req,
      absl::Duration timeout = absl::Seconds(1), std::string method = "echo") {
    auto slot = std::make_shared<std::optional<absl::StatusOr<std::string>>>();
    CallOptions options{.deadline = clock_.Now() + timeout,
                        .trace = {.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
    asio::co_spawn(
        io_,
        [&from, to, req, options, slot, method]() -> Awaitable<void> {
          *slot = co_await from.Call(to, method, req, options);
        },
        asio::detached);
    return slot;
  }

  absl::StatusOr<std::string> CallNow(Transport& from, std::string to, std::string req,
                                      absl::Duration timeout = absl::Seconds(1),
                                      std::string method = "echo") {
    auto slot = Start(from, to, req, timeout, method);
    testing::RunUntilIdle(io_, clock_);
    EXPECT_TRUE(slot->has_value());
    return slot->value_or(absl::InternalError("call did not finish"));
  }

  asio::io_context io_;
  SimulatedClock clock_;
  SimulatedNetwork net_;
  int handled_ = 0;
  int cancelled_ = 0;
  std::string last_peer_, last_trace_;
};

TEST_F(SimulatedNetworkTest, CallRoundTripWithinLinkDelays) {
  auto a = Node("a"), b = Node("b");
  Echo(*b);
  const absl::Time start = clock_.Now();
  EXPECT_THAT(CallNow(*a, "b", "hi"), IsOkAndHolds("b:hi"));
  const absl::Duration took = clock_.Now() - start;
  EXPECT_GE(took, absl::Milliseconds(2));  // two hops of 1..5 ms
  EXPECT_LE(took, absl::Milliseconds(10));
  EXPECT_EQ(last_peer_, "a");
  EXPECT_THAT(last_trace_, HasSubstr("0af7651916cd43dd8448eb211c80319c"));
  EXPECT_EQ(net_.stats().delivered, 2u);
}

TEST_F(SimulatedNetworkTest, UnknownMethodPeerAndDuplicateRegistration) {
  auto a = Node("a"), b = Node("b");
  Echo(*b);
  EXPECT_THAT(CallNow(*a, "b", "x", absl::Seconds(1), "nope"),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("'nope'")));
  absl::StatusOr<std::string> no_route = CallNow(*a, "zz", "x");
  EXPECT_THAT(no_route, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no route")));
  EXPECT_TRUE(WasNotSent(no_route.status()));
  EXPECT_THAT(b->Register("echo", nullptr), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(b->Register("", nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(net_.NewEndpoint("a"), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(SimulatedNetworkTest, LossTimesOutAndIsCounted) {
  auto a = Node("a"), b = Node("b");
  Echo(*b);
  ASSERT_THAT(net_.SetLink("a", "b", {.loss = 1.0}), IsOk());
  EXPECT_THAT(CallNow(*a, "b", "x", absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(handled_, 0);
  EXPECT_GE(net_.stats().lost, 1u);
  // Only that link is lossy: another client reaches b.
  auto c = Node("c");
  EXPECT_THAT(CallNow(*c, "b", "y"), IsOkAndHolds("b:y"));
}

TEST_F(SimulatedNetworkTest, SymmetricPartitionAndHeal) {
  auto a = Node("a"), b = Node("b"), c = Node("c");
  Echo(*a);
  Echo(*b);
  Echo(*c);
  net_.Partition({"a"}, {"b", "c"});
  EXPECT_THAT(CallNow(*a, "b", "x", absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(CallNow(*c, "a", "x", absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(CallNow(*b, "c", "x"), IsOkAndHolds("c:x"));  // same side
  net_.Heal();
  EXPECT_THAT(CallNow(*a, "b", "x"), IsOkAndHolds("b:x"));
}

TEST_F(SimulatedNetworkTest, OneWayBlockLetsRequestsInButNotResponsesOut) {
  auto a = Node("a"), b = Node("b");
  Echo(*b);
  net_.Block("b", "a");
  EXPECT_THAT(CallNow(*a, "b", "x", absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(handled_, 1);  // the request arrived; the answer was lost
}

TEST_F(SimulatedNetworkTest, DuplicatesRunTheHandlerTwiceButAnswerOnce) {
  auto a = Node("a"), b = Node("b");
  Echo(*b);
  ASSERT_THAT(net_.SetLink("a", "b", {.duplicate = 1.0}), IsOk());
  EXPECT_THAT(CallNow(*a, "b", "x"), IsOkAndHolds("b:x"));
  EXPECT_EQ(handled_, 2);
  EXPECT_EQ(net_.stats().duplicated, 1u);
}

TEST_F(SimulatedNetworkTest, DeadlineCancelsTheRemoteHandler) {
  auto a = Node("a"), b = Node("b");
  Echo(*b, /*work=*/absl::Seconds(10));
  EXPECT_THAT(CallNow(*a, "b", "x", absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("'echo'")));
  EXPECT_EQ(cancelled_, 1);  // the cancel message reached the handler
}

TEST_F(SimulatedNetworkTest, CrashCancelsHandlersFailsCallsAndRestartRecovers) {
  auto a = Node("a"), b = Node("b");
  Echo(*b, absl::Seconds(10));
  Echo(*a, absl::Seconds(10));
  auto to_b = Start(*a, "b", "x", absl::Seconds(30));
  auto from_b = Start(*b, "a", "y", absl::Seconds(30));
  testing::RunUntilIdle(io_, clock_, clock_.Now() + absl::Milliseconds(20));
  net_.Crash("b");
  testing::RunUntilIdle(io_, clock_, clock_.Now() + absl::Seconds(1));
  ASSERT_TRUE(from_b->has_value());
  EXPECT_THAT(**from_b, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("crashed")));
  EXPECT_EQ(cancelled_, 1);  // b's handler for a's call
  testing::RunUntilIdle(io_, clock_);
  ASSERT_TRUE(to_b->has_value());
  EXPECT_THAT(**to_b, StatusIs(absl::StatusCode::kDeadlineExceeded));
  net_.Restart("b");
  EXPECT_THAT(CallNow(*a, "b", "z", absl::Seconds(20)), IsOkAndHolds("b:z"));
}

TEST_F(SimulatedNetworkTest, HandlerStatusAndPayloadsCrossTheNetwork) {
  auto a = Node("a"), b = Node("b");
  ASSERT_THAT(b->Register("busy",
                          [](const ServerCall&, std::string) -> Awaitable<absl::StatusOr<std::string>> {
                            co_return WithRetryAfter(absl::UnavailableError("overloaded"),
                                                     absl::Milliseconds(250));
                          }),
              IsOk());
  absl::StatusOr<std::string> r = CallNow(*a, "b", "x", absl::Seconds(1), "busy");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, "overloaded"));
  EXPECT_EQ(RetryAfter(r.status()), absl::Milliseconds(250));
}

TEST_F(SimulatedNetworkTest, ShutdownDrainsThenRefuses) {
  auto a = Node("a"), b = Node("b");
  Echo(*b, absl::Milliseconds(50));
  auto quick = Start(*a, "b", "q", absl::Seconds(5));
  testing::RunUntilIdle(io_, clock_, clock_.Now() + absl::Milliseconds(10));
  bool down = false;
  asio::co_spawn(
      io_,
      [&]() -> Awaitable<void> {
        co_await b->Shutdown(clock_.Now() + absl::Seconds(1));
        down = true;
      },
      asio::detached);
  testing::RunUntilIdle(io_, clock_);
  EXPECT_TRUE(down);
  ASSERT_TRUE(quick->has_value());
  EXPECT_THAT(**quick, IsOkAndHolds("b:q"));  // drained, not cut off
  absl::StatusOr<std::string> refused = CallNow(*a, "b", "late");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  EXPECT_TRUE(WasNotSent(refused.status()));
}

TEST_F(SimulatedNetworkTest, OneWayMessagesRunTheHandlerAndAnswerNothing) {
  auto a = Node("a"), b = Node("b"), c = Node("c");
  Echo(*b);
  const CallOptions within{.deadline = clock_.Now() + absl::Seconds(1)};
  ASSERT_THAT(a->Send("b", "echo", "one", within), IsOk());
  ASSERT_THAT(a->Send("b", "nope", "dropped there", within), IsOk());
  testing::RunUntilIdle(io_, clock_);
  EXPECT_EQ(handled_, 1);
  EXPECT_EQ(last_peer_, "a");
  // One hop each, no answers.
  EXPECT_EQ(net_.stats().sent, 2u);
  EXPECT_EQ(net_.stats().delivered, 2u);

  // Partitions and loss drop messages silently, as they drop calls.
  net_.Partition({"a"}, {"b"});
  ASSERT_THAT(a->Send("b", "echo", "cut off", within), IsOk());
  net_.Heal();
  ASSERT_THAT(net_.SetLink("c", "b", {.loss = 1.0}), IsOk());
  ASSERT_THAT(c->Send("b", "echo", "lost", within), IsOk());
  testing::RunUntilIdle(io_, clock_);
  EXPECT_EQ(handled_, 1);
  EXPECT_EQ(net_.stats().blocked, 1u);
  EXPECT_EQ(net_.stats().lost, 1u);

  // What cannot leave says so, marked not sent.
  absl::Status no_route = a->Send("zz", "echo", "x", within);
  EXPECT_THAT(no_route, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no route")));
  EXPECT_TRUE(WasNotSent(no_route));
  absl::Status late = a->Send("b", "echo", "x", CallOptions{.deadline = clock_.Now()});
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(WasNotSent(late));
  net_.Crash("a");
  absl::Status crashed = a->Send("b", "echo", "x", within);
  EXPECT_THAT(crashed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(crashed));
}

TEST_F(SimulatedNetworkTest, RejectsBadLinkOptions) {
  EXPECT_THAT(net_.SetDefaultLink({.loss = 1.5}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("loss")));
  EXPECT_THAT(net_.SetLink("a", "b", {.min_delay = absl::Seconds(2), .max_delay = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_delay")));
  EXPECT_THAT(net_.SetDefaultLink({.duplicate = -0.1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

}  // namespace
}  // namespace cohort::transport
