// The TCP transport facing bad input and failing peers: garbage, oversized,
// corrupt and malformed frames from a raw socket, and a server that goes away
// and comes back.
#include <atomic>
#include <string>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "cohort/transport/tcp_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loopback.h"
#include "transport/frame.h"
#include "transport/rpc_codec.h"
#include "transport/tcp/address.h"

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

Awaitable<absl::StatusOr<std::string>> CallWithin(Transport& t, std::string peer,
                                                  std::string method, std::string body,
                                                  absl::Duration timeout, Clock* clock) {
  CallOptions options;
  options.deadline = clock->Now() + timeout;
  co_return co_await t.Call(peer, method, std::move(body), options);
}

// A blocking raw TCP client, for sending what no cohort client would.
class RawClient {
 public:
  explicit RawClient(const std::string& address) : socket_(io_) {
    auto hp = ParseHostPort(address);
    EXPECT_TRUE(hp.ok());
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address(hp->host), hp->port));
  }
  void Write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads until the server closes the connection; returns what it sent.
  std::string ReadUntilClosed() {
    std::string out;
    char buffer[4096];
    for (;;) {
      asio::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
      out.append(buffer, n);
      if (ec) return out;
    }
  }
  // Reads one whole frame.
  Frame ReadFrame() {
    std::string bytes(kFrameHeaderSize, '\0');
    asio::read(socket_, asio::buffer(bytes));
    std::array<std::byte, kFrameHeaderSize> header;
    std::memcpy(header.data(), bytes.data(), kFrameHeaderSize);
    auto decoded = DecodeFrameHeader(header);
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    std::string payload(decoded->payload_length, '\0');
    asio::read(socket_, asio::buffer(payload));
    return Frame{*decoded, payload};
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

std::string RequestFrame(std::uint64_t id, const std::string& method, const std::string& body) {
  RpcRequest request;
  request.method = method;
  request.body = body;
  std::string payload, frame;
  EncodeRequest(request, &payload);
  EXPECT_TRUE(AppendFrame(FrameType::kRequest, 0, id, payload, &frame).ok());
  return frame;
}

class TcpFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TcpTransportOptions options;
    options.listen_address = "127.0.0.1:0";
    options.max_frame_size = 64 * 1024;
    auto server = TcpTransport::Create(options, io_.context());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Register("echo", Echo()).ok());
    auto client = TcpTransport::Create({}, io_.context());
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
  }

  // The server still serves a well-behaved client.
  void ExpectStillServing() {
    EXPECT_THAT(io_.Run(CallWithin(*client_, server_->address(), "echo", "alive",
                                   absl::Seconds(30), io_.context().clock)),
                IsOkAndHolds("alive"));
  }

  IoThreads io_;
  std::unique_ptr<TcpTransport> server_;
  std::unique_ptr<TcpTransport> client_;
};

TEST_F(TcpFaultsTest, GarbageBytesCloseTheConnectionAndNothingElse) {
  RawClient raw(server_->address());
  raw.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.ReadUntilClosed(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().protocol_errors == 1; }));
  ExpectStillServing();
}

TEST_F(TcpFaultsTest, OversizedFrameIsRefusedBeforeItsPayloadArrives) {
  RawClient raw(server_->address());
  // A valid header announcing 1 MiB against a 64 KiB limit; no payload is
  // ever sent, so only a check of the header can close the connection.
  std::string frame;
  ASSERT_TRUE(AppendFrame(FrameType::kRequest, 0, 1, std::string(1 << 20, 'x'), &frame, 1 << 20)
                  .ok());
  raw.Write(frame.substr(0, kFrameHeaderSize));
  EXPECT_EQ(raw.ReadUntilClosed(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().protocol_errors == 1; }));
  ExpectStillServing();
}

TEST_F(TcpFaultsTest, CorruptPayloadChecksumClosesTheConnection) {
  RawClient raw(server_->address());
  std::string frame = RequestFrame(1, "echo", "hello");
  frame.back() ^= 0x01;
  raw.Write(frame);
  EXPECT_EQ(raw.ReadUntilClosed(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().protocol_errors == 1; }));
  ExpectStillServing();
}

TEST_F(TcpFaultsTest, UnknownVersionClosesTheConnection) {
  RawClient raw(server_->address());
  std::string frame = RequestFrame(1, "echo", "hello");
  frame[2] = 9;  // version; the header checksum now fails as well
  raw.Write(frame);
  EXPECT_EQ(raw.ReadUntilClosed(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().protocol_errors == 1; }));
  ExpectStillServing();
}

TEST_F(TcpFaultsTest, MalformedRequestEndsOnlyThatCall) {
  RawClient raw(server_->address());
  std::string bad;
  ASSERT_TRUE(AppendFrame(FrameType::kRequest, 0, 7, "\xff\xff\xff", &bad).ok());
  raw.Write(bad + RequestFrame(8, "echo", "next"));
  Frame first = raw.ReadFrame();
  EXPECT_EQ(first.header.correlation_id, 7u);
  auto response = DecodeResponse(first.payload);
  ASSERT_TRUE(response.ok());
  EXPECT_THAT(response->status, StatusIs(absl::StatusCode::kDataLoss));
  // The connection stays up and serves the next call.
  Frame second = raw.ReadFrame();
  EXPECT_EQ(second.header.correlation_id, 8u);
  response = DecodeResponse(second.payload);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "next");
}

TEST_F(TcpFaultsTest, OneWayRequestsGetNoAnswerEvenWhenMalformed) {
  RawClient raw(server_->address());
  RpcRequest note;
  note.method = "echo";
  note.body = "one way";
  std::string payload, frames;
  EncodeRequest(note, &payload);
  ASSERT_TRUE(AppendFrame(FrameType::kRequest, kFrameFlagOneWay, 0, payload, &frames).ok());
  ASSERT_TRUE(AppendFrame(FrameType::kRequest, kFrameFlagOneWay, 0, "\xff\xff\xff", &frames).ok());
  raw.Write(frames + RequestFrame(9, "echo", "answered"));
  // The only frame back is the call's answer.
  Frame only = raw.ReadFrame();
  EXPECT_EQ(only.header.correlation_id, 9u);
  auto response = DecodeResponse(only.payload);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "answered");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().calls_served == 2; }));
}

TEST_F(TcpFaultsTest, CallIdsReservedForOneWayMessagesCloseTheConnection) {
  RawClient raw(server_->address());
  raw.Write(RequestFrame(std::uint64_t{1} << 63, "echo", "x"));
  EXPECT_EQ(raw.ReadUntilClosed(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().protocol_errors == 1; }));
  ExpectStillServing();
}

TEST_F(TcpFaultsTest, PingIsAnswered) {
  RawClient raw(server_->address());
  std::string ping;
  ASSERT_TRUE(AppendFrame(FrameType::kPing, 0, 42, "", &ping).ok());
  raw.Write(ping);
  Frame pong = raw.ReadFrame();
  EXPECT_EQ(pong.header.type, FrameType::kPong);
  EXPECT_EQ(pong.header.correlation_id, 42u);
}

TEST_F(TcpFaultsTest, ServerThatNeverAnswersMakesTheCallMissItsDeadline) {
  // A listener that accepts and then says nothing.
  asio::io_context silent_io;
  asio::ip::tcp::acceptor silent(silent_io, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string address =
      FormatHostPort("127.0.0.1", silent.local_endpoint().port());
  EXPECT_THAT(io_.Run(CallWithin(*client_, address, "echo", "x", absl::Milliseconds(300),
                                 io_.context().clock)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(TcpFaultsTest, ServerRestartIsSurvivedByReconnecting) {
  const std::string address = server_->address();
  ASSERT_THAT(io_.Run(CallWithin(*client_, address, "echo", "before", absl::Seconds(30),
                                 io_.context().clock)),
              IsOkAndHolds("before"));
  // The server goes away: calls fail as unavailable.
  server_.reset();
  absl::StatusOr<std::string> down;
  ASSERT_TRUE(WaitFor([&] {
    down = io_.Run(CallWithin(*client_, address, "echo", "down", absl::Seconds(30),
                              io_.context().clock));
    return !down.ok();
  }));
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable));

  // It comes back on the same address: the client reconnects on its own
  // once its backoff allows.
  TcpTransportOptions options;
  options.listen_address = address;
  // The old listener releases the port on its executor, not in its
  // destructor: wait for it.
  absl::StatusOr<std::unique_ptr<TcpTransport>> restarted;
  ASSERT_TRUE(WaitFor([&] {
    restarted = TcpTransport::Create(options, io_.context());
    return restarted.ok();
  })) << restarted.status();
  ASSERT_TRUE((*restarted)->Register("echo", Echo()).ok());
  absl::StatusOr<std::string> after;
  ASSERT_TRUE(WaitFor([&] {
    after = io_.Run(CallWithin(*client_, address, "echo", "after", absl::Seconds(30),
                               io_.context().clock));
    // While backing off, calls fail at once without being sent.
    if (!after.ok()) {
      EXPECT_TRUE(WasNotSent(after.status())) << after.status();
    }
    return after.ok();
  }));
  EXPECT_THAT(after, IsOkAndHolds("after"));
  EXPECT_EQ(client_->stats().connections_opened, 2u);
}

TEST_F(TcpFaultsTest, CallsInFlightFailWhenTheConnectionDrops) {
  std::atomic<int> started{0};
  Clock* clock = io_.context().clock;
  ASSERT_TRUE(server_
                  ->Register("hang",
                             [&](const ServerCall&, std::string)
                                 -> Awaitable<absl::StatusOr<std::string>> {
                               started.fetch_add(1);
                               (void)co_await clock->SleepFor(absl::Hours(1));
                               co_return "late";
                             })
                  .ok());
  auto pending = io_.Start(CallWithin(*client_, server_->address(), "hang", "", absl::Seconds(60),
                                      clock));
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  server_.reset();  // destroying without a drain closes the connection
  ASSERT_TRUE(cohort::testing::WaitReady(pending));
  absl::StatusOr<std::string> result = pending.get();
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
  // The request had been sent: a non-idempotent call must not be retried.
  EXPECT_FALSE(WasNotSent(result.status()));
}

}  // namespace
}  // namespace cohort::transport
