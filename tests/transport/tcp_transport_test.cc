// The TCP transport over real loopback sockets: calls, pipelining, statuses,
// deadlines and cancellation.
#include "cohort/transport/tcp_transport.h"

#include <atomic>
#include <string>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loopback.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IoThreads;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::cohort::testing::WaitFor;
using ::testing::HasSubstr;

Handler Echo() {
  return [](const ServerCall&, std::string request) -> Awaitable<absl::StatusOr<std::string>> {
    co_return request;
  };
}

// A handler that runs until it is cancelled, counting both events.
Handler UntilCancelled(Clock* clock, std::atomic<int>* started, std::atomic<int>* cancelled) {
  return [=](const ServerCall&, std::string) -> Awaitable<absl::StatusOr<std::string>> {
    started->fetch_add(1);
    absl::Status slept = co_await clock->SleepFor(absl::Hours(1));
    if (!slept.ok()) cancelled->fetch_add(1);
    co_return absl::InternalError("the handler was not cancelled");
  };
}

std::unique_ptr<TcpTransport> Listen(const Context& ctx, TcpTransportOptions options = {}) {
  options.listen_address = "127.0.0.1:0";
  auto transport = TcpTransport::Create(std::move(options), ctx);
  EXPECT_TRUE(transport.ok()) << transport.status();
  return *std::move(transport);
}

std::unique_ptr<TcpTransport> Client(const Context& ctx, TcpTransportOptions options = {}) {
  auto transport = TcpTransport::Create(std::move(options), ctx);
  EXPECT_TRUE(transport.ok()) << transport.status();
  return *std::move(transport);
}

Awaitable<absl::StatusOr<std::string>> CallWithin(Transport& t, std::string peer,
                                                  std::string method, std::string body,
                                                  absl::Duration timeout, Clock* clock) {
  CallOptions options;
  options.deadline = clock->Now() + timeout;
  co_return co_await t.Call(peer, method, std::move(body), options);
}

// Calls "ordered" with `i` and counts the even calls that completed.
Awaitable<absl::StatusOr<std::string>> CallAndCount(Transport& t, std::string peer, int i,
                                                    Clock* clock, std::atomic<int>* evens) {
  absl::StatusOr<std::string> r =
      co_await CallWithin(t, peer, "ordered", std::to_string(i), absl::Seconds(60), clock);
  if (i % 2 == 0) evens->fetch_add(1);
  co_return r;
}

class TcpTransportTest : public ::testing::Test {
 protected:
  IoThreads io_;
  Clock* clock() { return io_.context().clock; }
};

TEST_F(TcpTransportTest, CallsReachTheHandlerAndReturnItsResponse) {
  auto server = Listen(io_.context());
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  auto client = Client(io_.context());
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", "hello", absl::Seconds(30),
                                 clock())),
              IsOkAndHolds("hello"));
  EXPECT_EQ(client->stats().connections_opened, 1u);
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  EXPECT_EQ(server->stats().calls_served, 1u);
}

TEST_F(TcpTransportTest, EmptyAndLargeBodiesRoundTrip) {
  auto server = Listen(io_.context());
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  auto client = Client(io_.context());
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", "", absl::Seconds(30),
                                 clock())),
              IsOkAndHolds(""));
  std::string big(5 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i);
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", big, absl::Seconds(30),
                                 clock())),
              IsOkAndHolds(big));
}

TEST_F(TcpTransportTest, HandlerSeesMethodPeerTraceAndDeadline) {
  auto server = Listen(io_.context());
  ServerCall seen;
  std::string seen_method;
  ASSERT_TRUE(server
                  ->Register("inspect",
                             [&](const ServerCall& call,
                                 std::string) -> Awaitable<absl::StatusOr<std::string>> {
                               seen = call;
                               seen_method = std::string(call.method);
                               co_return "ok";
                             })
                  .ok());
  auto client = Client(io_.context());
  const std::string peer = server->address();
  auto call = [&]() -> Awaitable<absl::StatusOr<std::string>> {
    CallOptions options;
    options.deadline = clock()->Now() + absl::Seconds(30);
    options.trace.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    options.trace.tracestate = "cohort=1";
    co_return co_await client->Call(peer, "inspect", "", options);
  };
  const absl::Time before = clock()->Now();
  ASSERT_THAT(io_.Run(call()), IsOkAndHolds("ok"));
  EXPECT_EQ(seen_method, "inspect");
  EXPECT_EQ(seen.trace.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(seen.trace.tracestate, "cohort=1");
  EXPECT_THAT(seen.peer.address, HasSubstr("127.0.0.1:"));
  EXPECT_EQ(seen.peer.subject, "");
  // The relative timeout is turned back into a deadline on the server's clock.
  EXPECT_GT(seen.deadline, before);
  EXPECT_LE(seen.deadline, clock()->Now() + absl::Seconds(30));
}

TEST_F(TcpTransportTest, HandlerErrorsKeepTheirCodeMessageAndPayloads) {
  auto server = Listen(io_.context());
  ASSERT_TRUE(server
                  ->Register("busy",
                             [](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               co_return WithRetryAfter(absl::UnavailableError("try later"),
                                                        absl::Milliseconds(250));
                             })
                  .ok());
  auto client = Client(io_.context());
  absl::StatusOr<std::string> result =
      io_.Run(CallWithin(*client, server->address(), "busy", "", absl::Seconds(30), clock()));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable, "try later"));
  EXPECT_EQ(RetryAfter(result.status()), absl::Milliseconds(250));
}

TEST_F(TcpTransportTest, UnknownMethodIsUnimplemented) {
  auto server = Listen(io_.context());
  auto client = Client(io_.context());
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "nope", "", absl::Seconds(30),
                                 clock())),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("\"nope\"")));
}

TEST_F(TcpTransportTest, RegisterRefusesDuplicatesAndEmptyNames) {
  auto server = Listen(io_.context());
  EXPECT_TRUE(server->Register("m", Echo()).ok());
  EXPECT_THAT(server->Register("m", Echo()), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(server->Register("", Echo()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TcpTransportTest, ManyCallsPipelineOnOneConnectionAndCompleteOutOfOrder) {
  auto server = Listen(io_.context());
  // Even calls answer at once; odd ones wait until every even one has
  // answered, so responses come back in a different order than requests.
  constexpr int kCalls = 400;
  std::atomic<int> evens_done{0};
  Clock* clk = clock();
  ASSERT_TRUE(server
                  ->Register("ordered",
                             [&](const ServerCall&, std::string request)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               const int n = std::stoi(request);
                               if (n % 2 == 1) {
                                 while (evens_done.load() < kCalls / 2) {
                                   (void)co_await clk->SleepFor(absl::Milliseconds(1));
                                 }
                               }
                               co_return absl::StrCat("reply-", n);
                             })
                  .ok());
  auto client = Client(io_.context());
  const std::string peer = server->address();
  std::vector<std::future<absl::StatusOr<std::string>>> results;
  for (int i = 0; i < kCalls; ++i) {
    results.push_back(io_.Start(CallAndCount(*client, peer, i, clk, &evens_done)));
  }
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(cohort::testing::WaitReady(results[i]));
    EXPECT_THAT(results[i].get(), IsOkAndHolds(absl::StrCat("reply-", i)));
  }
  EXPECT_EQ(client->stats().connections_opened, 1u);
}

TEST_F(TcpTransportTest, DeadlineEndsTheCallAndCancelsTheHandler) {
  auto server = Listen(io_.context());
  std::atomic<int> started{0}, cancelled{0};
  ASSERT_TRUE(server->Register("hang", UntilCancelled(clock(), &started, &cancelled)).ok());
  auto client = Client(io_.context());
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "hang", "", absl::Milliseconds(200),
                                 clock())),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(WaitFor([&] { return cancelled.load() == 1; }));
  EXPECT_EQ(started.load(), 1);
  // The connection is still good.
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", "after", absl::Seconds(30),
                                 clock())),
              IsOkAndHolds("after"));
  EXPECT_EQ(client->stats().connections_opened, 1u);
}

TEST_F(TcpTransportTest, CancellingTheCallerCancelsTheHandler) {
  auto server = Listen(io_.context());
  std::atomic<int> started{0}, cancelled{0};
  ASSERT_TRUE(server->Register("hang", UntilCancelled(clock(), &started, &cancelled)).ok());
  auto client = Client(io_.context());
  const std::string peer = server->address();
  asio::cancellation_signal signal;
  std::promise<absl::StatusOr<std::string>> done;
  auto call = CallWithin(*client, peer, "hang", "", absl::Hours(1), clock());
  asio::co_spawn(io_.io(), std::move(call),
                 asio::bind_cancellation_slot(
                     signal.slot(), [&](std::exception_ptr, absl::StatusOr<std::string> r) {
                       done.set_value(std::move(r));
                     }));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  // Cancellation signals are not thread-safe: emit on the io_context.
  asio::post(io_.io(), [&] { signal.emit(asio::cancellation_type::terminal); });
  auto result = done.get_future();
  ASSERT_TRUE(cohort::testing::WaitReady(result));
  EXPECT_THAT(result.get(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(WaitFor([&] { return cancelled.load() == 1; }));
}

TEST_F(TcpTransportTest, DeadlineAlreadyPassedIsNotSent) {
  auto client = Client(io_.context());
  auto call = [&]() -> Awaitable<absl::StatusOr<std::string>> {
    CallOptions options;
    options.deadline = clock()->Now() - absl::Seconds(1);
    co_return co_await client->Call("127.0.0.1:1", "m", "", options);
  };
  absl::StatusOr<std::string> result = io_.Run(call());
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(WasNotSent(result.status()));
}

TEST_F(TcpTransportTest, TooManyConcurrentCallsAreRefusedWithARetryHint) {
  TcpTransportOptions options;
  options.max_concurrent_calls_per_connection = 2;
  auto server = Listen(io_.context(), options);
  std::atomic<int> started{0}, cancelled{0};
  ASSERT_TRUE(server->Register("hang", UntilCancelled(clock(), &started, &cancelled)).ok());
  auto client = Client(io_.context());
  const std::string peer = server->address();
  auto first = io_.Start(CallWithin(*client, peer, "hang", "", absl::Seconds(2), clock()));
  auto second = io_.Start(CallWithin(*client, peer, "hang", "", absl::Seconds(2), clock()));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 2; }));
  absl::StatusOr<std::string> third =
      io_.Run(CallWithin(*client, peer, "hang", "", absl::Seconds(30), clock()));
  EXPECT_THAT(third, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(RetryAfter(third.status()).has_value());
  ASSERT_TRUE(cohort::testing::WaitReady(first));
  ASSERT_TRUE(cohort::testing::WaitReady(second));
  EXPECT_THAT(first.get(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(second.get(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(TcpTransportTest, OversizedRequestIsRefusedBeforeSending) {
  TcpTransportOptions options;
  options.max_frame_size = 64 * 1024;
  auto server = Listen(io_.context());
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  auto client = Client(io_.context(), options);
  absl::StatusOr<std::string> result = io_.Run(CallWithin(
      *client, server->address(), "echo", std::string(65 * 1024, 'x'), absl::Seconds(30), clock()));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("frame limit")));
  EXPECT_TRUE(WasNotSent(result.status()));
  EXPECT_EQ(client->stats().connections_opened, 0u);
}

TEST_F(TcpTransportTest, OversizedResponseBecomesAnError) {
  TcpTransportOptions options;
  options.max_frame_size = 64 * 1024;
  auto server = Listen(io_.context(), options);
  ASSERT_TRUE(server
                  ->Register("big",
                             [](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               co_return std::string(100 * 1024, 'y');
                             })
                  .ok());
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  auto client = Client(io_.context(), options);
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "big", "", absl::Seconds(30),
                                 clock())),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("frame limit")));
  EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", "still", absl::Seconds(30),
                                 clock())),
              IsOkAndHolds("still"));
}

TEST_F(TcpTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  // Find a free port, then close it again.
  std::string address;
  {
    auto probe = Listen(io_.context());
    address = probe->address();
  }
  auto client = Client(io_.context());
  absl::StatusOr<std::string> result =
      io_.Run(CallWithin(*client, address, "m", "", absl::Seconds(30), clock()));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address)));
  EXPECT_TRUE(WasNotSent(result.status()));
  EXPECT_EQ(client->stats().connect_failures, 1u);
}

TEST_F(TcpTransportTest, MalformedAddressIsInvalidArgument) {
  auto client = Client(io_.context());
  EXPECT_THAT(io_.Run(CallWithin(*client, "no-port", "m", "", absl::Seconds(1), clock())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no-port")));
}

TEST_F(TcpTransportTest, OptionsAreValidated) {
  TcpTransportOptions options;
  options.max_frame_size = 10;
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_frame_size")));
  options = {};
  options.connections_per_peer = 0;
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("connections_per_peer")));
  options = {};
  options.listen_address = "localhost";
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listen_address")));
  options = {};
  options.listen_address = "localhost:0";
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IP address")));
}

TEST_F(TcpTransportTest, ListeningOnATakenPortIsUnavailable) {
  auto first = Listen(io_.context());
  TcpTransportOptions options;
  options.listen_address = first->address();
  EXPECT_THAT(TcpTransport::Create(options, io_.context()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot listen")));
}

TEST_F(TcpTransportTest, CallsSpreadOverSeveralConnectionsPerPeer) {
  auto server = Listen(io_.context());
  ASSERT_TRUE(server->Register("echo", Echo()).ok());
  TcpTransportOptions options;
  options.connections_per_peer = 3;
  auto client = Client(io_.context(), options);
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(io_.Run(CallWithin(*client, server->address(), "echo", "x", absl::Seconds(30),
                                   clock())),
                IsOkAndHolds("x"));
  }
  EXPECT_EQ(client->stats().connections_opened, 3u);
  EXPECT_EQ(server->stats().connections_accepted, 3u);
}

}  // namespace
}  // namespace cohort::transport
