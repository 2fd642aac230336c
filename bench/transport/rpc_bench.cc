// RPC round-trip latency and pipelined throughput of the TCP transport on
// loopback, beside a raw asio echo server and client doing the same exchange
// in the same run (the floor: one length-prefixed message each way, no
// framing checks, no call bookkeeping). Prints JSON.
//
//   build/bench/transport/rpc_bench [seconds_per_measurement] [payload_bytes]
//   [rounds] [echo|rpc]
//
// Client and server run on separate io_contexts, one thread each, as two
// processes would. Latency: one call in flight, median over batches; then
// echo and RPC batches alternate for as long again, and the median of the
// per-pair ratios is reported as well (robust to load that varies).
// Throughput: `window` calls in flight on one connection.
//
// Debian's abseil is built without NDEBUG, so every absl::Mutex acquisition
// runs abseil's deadlock detector (about 100 ns, under a process-wide lock).
// COHORT_BENCH_DEADLOCK_DETECTION=0 turns it off for the run, as a service
// may with absl::SetMutexDeadlockDetectionMode; the JSON says which.
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cohort/base/context.h"
#include "cohort/transport/tcp_transport.h"

namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

// An io_context on its own thread.
class Loop {
 public:
  Loop() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Loop() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---- raw asio echo: [u32 length][bytes] each way ----

cohort::Awaitable<void> EchoSession(tcp::socket socket) {
  std::vector<char> buffer;
  for (;;) {
    std::uint32_t length = 0;
    auto [ec, n] = co_await asio::async_read(socket, asio::buffer(&length, 4),
                                             asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    buffer.resize(length);
    auto [ec2, n2] = co_await asio::async_read(socket, asio::buffer(buffer),
                                               asio::experimental::as_tuple(asio::use_awaitable));
    if (ec2) co_return;
    std::array<asio::const_buffer, 2> out{asio::buffer(&length, 4), asio::buffer(buffer)};
    auto [ec3, n3] =
        co_await asio::async_write(socket, out, asio::experimental::as_tuple(asio::use_awaitable));
    if (ec3) co_return;
  }
}

cohort::Awaitable<void> EchoServer(tcp::acceptor* acceptor) {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor->async_accept(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor->get_executor(), EchoSession(std::move(socket)), asio::detached);
  }
}

// Round trips with one message in flight; returns per-batch mean latencies
// (us).
cohort::Awaitable<std::vector<double>> EchoLatency(tcp::endpoint server, std::string payload,
                                                   double seconds) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  std::vector<double> batches;
  std::string reply(payload.size(), '\0');
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    constexpr int kBatch = 200;
    const auto start = Clock::now();
    for (int i = 0; i < kBatch; ++i) {
      std::uint32_t length = static_cast<std::uint32_t>(payload.size());
      std::array<asio::const_buffer, 2> out{asio::buffer(&length, 4), asio::buffer(payload)};
      co_await asio::async_write(socket, out, asio::use_awaitable);
      co_await asio::async_read(socket, asio::buffer(&length, 4), asio::use_awaitable);
      co_await asio::async_read(socket, asio::buffer(reply), asio::use_awaitable);
    }
    batches.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      kBatch);
  }
  co_return batches;
}

// Echo and RPC batches alternating on one thread, so that each pair sees the
// same machine; returns the ratio RPC / echo of every pair (load that
// changes between rounds cancels out of these).
cohort::Awaitable<std::vector<double>> PairedLatencyRatios(tcp::endpoint server,
                                                           cohort::transport::Transport* client,
                                                           std::string peer, std::string payload,
                                                           double seconds) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  std::string reply(payload.size(), '\0');
  cohort::transport::CallOptions options;
  std::vector<double> ratios;
  constexpr int kBatch = 100;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const auto echo_start = Clock::now();
    for (int i = 0; i < kBatch; ++i) {
      std::uint32_t length = static_cast<std::uint32_t>(payload.size());
      std::array<asio::const_buffer, 2> out{asio::buffer(&length, 4), asio::buffer(payload)};
      co_await asio::async_write(socket, out, asio::use_awaitable);
      co_await asio::async_read(socket, asio::buffer(&length, 4), asio::use_awaitable);
      co_await asio::async_read(socket, asio::buffer(reply), asio::use_awaitable);
    }
    const auto rpc_start = Clock::now();
    for (int i = 0; i < kBatch; ++i) {
      auto answer = co_await client->Call(peer, "echo", payload, options);
      if (!answer.ok()) {
        std::fprintf(stderr, "call failed: %s\n", answer.status().ToString().c_str());
        std::exit(1);
      }
    }
    const auto rpc_end = Clock::now();
    ratios.push_back(std::chrono::duration<double>(rpc_end - rpc_start).count() /
                     std::chrono::duration<double>(rpc_start - echo_start).count());
  }
  co_return ratios;
}

// `window` messages in flight: a writer keeps the window full while the
// reader counts replies. Returns messages per second.
cohort::Awaitable<double> EchoThroughput(tcp::endpoint server, std::string payload, int window,
                                         double seconds) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  std::string message(4 + payload.size(), '\0');
  const std::uint32_t length = static_cast<std::uint32_t>(payload.size());
  std::memcpy(message.data(), &length, 4);
  std::memcpy(message.data() + 4, payload.data(), payload.size());
  // Write `window` messages, then one more each time one comes back, in
  // chunks so that writes batch like a pipelining client's would.
  std::string burst;
  for (int i = 0; i < window; ++i) burst += message;
  co_await asio::async_write(socket, asio::buffer(burst), asio::use_awaitable);
  std::vector<char> in(64 * 1024);
  std::size_t pending_bytes = 0;
  std::uint64_t replies = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const std::size_t n = co_await socket.async_read_some(asio::buffer(in), asio::use_awaitable);
    pending_bytes += n;
    const std::uint64_t done = pending_bytes / message.size();
    pending_bytes %= message.size();
    replies += done;
    std::string more;
    for (std::uint64_t i = 0; i < done; ++i) more += message;
    co_await asio::async_write(socket, asio::buffer(more), asio::use_awaitable);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  co_return static_cast<double>(replies) / elapsed;
}

// ---- cohort RPC ----

cohort::Awaitable<std::vector<double>> RpcLatency(cohort::transport::Transport* client,
                                                  std::string peer, std::string payload,
                                                  double seconds) {
  std::vector<double> batches;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  cohort::transport::CallOptions options;
  while (Clock::now() < end) {
    constexpr int kBatch = 200;
    const auto start = Clock::now();
    for (int i = 0; i < kBatch; ++i) {
      auto reply = co_await client->Call(peer, "echo", payload, options);
      if (!reply.ok()) {
        std::fprintf(stderr, "call failed: %s\n", reply.status().ToString().c_str());
        std::exit(1);
      }
    }
    batches.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      kBatch);
  }
  co_return batches;
}

// One of `window` workers each looping calls until `end`.
cohort::Awaitable<void> RpcWorker(cohort::transport::Transport* client, std::string peer,
                                  std::string payload, Clock::time_point end,
                                  std::atomic<std::uint64_t>* count) {
  cohort::transport::CallOptions options;
  while (Clock::now() < end) {
    auto reply = co_await client->Call(peer, "echo", payload, options);
    if (!reply.ok()) {
      std::fprintf(stderr, "call failed: %s\n", reply.status().ToString().c_str());
      std::exit(1);
    }
    count->fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::size_t payload_size = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
  const char* detection = std::getenv("COHORT_BENCH_DEADLOCK_DETECTION");
  const bool deadlock_detection = detection == nullptr || std::string(detection) != "0";
  if (!deadlock_detection) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  const std::string payload(payload_size, 'p');
  constexpr int kWindow = 256;

  Loop server_loop, client_loop;

  tcp::acceptor acceptor(server_loop.io(), {asio::ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(server_loop.io(), EchoServer(&acceptor), asio::detached);
  const tcp::endpoint echo_endpoint = acceptor.local_endpoint();

  cohort::RealContext server_ctx(server_loop.io().get_executor());
  cohort::RealContext client_ctx(client_loop.io().get_executor());
  cohort::transport::TcpTransportOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  auto server = cohort::transport::TcpTransport::Create(server_options, server_ctx.context());
  auto client = cohort::transport::TcpTransport::Create({}, client_ctx.context());
  if (!server.ok() || !client.ok()) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  (void)(*server)->Register(
      "echo",
      [](const cohort::transport::ServerCall&, std::string request)
          -> cohort::Awaitable<absl::StatusOr<std::string>> { co_return request; });
  const std::string peer = (*server)->address();

  // The two sides alternate round by round, so that whatever else the
  // machine is doing falls on both alike; medians over rounds.
  std::vector<double> echo_latency, rpc_latency, echo_throughput, rpc_throughput;
  // For profiling one side alone: "echo" or "rpc" latency only.
  const std::string only = argc > 4 ? argv[4] : "";
  if (!only.empty()) {
    const double us =
        only == "echo"
            ? Median(asio::co_spawn(client_loop.io(), EchoLatency(echo_endpoint, payload, seconds),
                                    asio::use_future)
                         .get())
            : Median(asio::co_spawn(client_loop.io(),
                                    RpcLatency(client->get(), peer, payload, seconds),
                                    asio::use_future)
                         .get());
    std::printf("{\"%s_latency_us_median\": %.2f}\n", only.c_str(), us);
    acceptor.close();
    return 0;
  }
  for (int round = 0; round < rounds; ++round) {
    echo_latency.push_back(
        Median(asio::co_spawn(client_loop.io(), EchoLatency(echo_endpoint, payload, seconds),
                              asio::use_future)
                   .get()));
    rpc_latency.push_back(
        Median(asio::co_spawn(client_loop.io(), RpcLatency(client->get(), peer, payload, seconds),
                              asio::use_future)
                   .get()));
    echo_throughput.push_back(
        asio::co_spawn(client_loop.io(), EchoThroughput(echo_endpoint, payload, kWindow, seconds),
                       asio::use_future)
            .get());
    std::atomic<std::uint64_t> count{0};
    const auto start = Clock::now();
    const Clock::time_point end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::future<void>> workers;
    for (int i = 0; i < kWindow; ++i) {
      workers.push_back(asio::co_spawn(client_loop.io(),
                                       RpcWorker(client->get(), peer, payload, end, &count),
                                       asio::use_future));
    }
    for (auto& w : workers) w.get();
    rpc_throughput.push_back(static_cast<double>(count.load()) /
                             std::chrono::duration<double>(Clock::now() - start).count());
  }
  const double paired = Median(asio::co_spawn(client_loop.io(),
                                              PairedLatencyRatios(echo_endpoint, client->get(),
                                                                  peer, payload, seconds * rounds),
                                              asio::use_future)
                                   .get());
  const double el = Median(echo_latency), rl = Median(rpc_latency);
  const double et = Median(echo_throughput), rt = Median(rpc_throughput);
  std::printf(
      "{\n"
      "  \"payload_bytes\": %zu,\n"
      "  \"rounds\": %d,\n"
      "  \"seconds_per_measurement\": %.1f,\n"
      "  \"window\": %d,\n"
      "  \"absl_deadlock_detection\": %s,\n"
      "  \"echo_latency_us_median\": %.2f,\n"
      "  \"rpc_latency_us_median\": %.2f,\n"
      "  \"latency_ratio\": %.3f,\n"
      "  \"latency_ratio_paired_median\": %.3f,\n"
      "  \"echo_pipelined_per_s_median\": %.0f,\n"
      "  \"rpc_pipelined_per_s_median\": %.0f,\n"
      "  \"throughput_ratio\": %.3f\n"
      "}\n",
      payload_size, rounds, seconds, kWindow, deadlock_detection ? "true" : "false", el, rl,
      rl / el, paired, et, rt, rt / et);
  acceptor.close();
  return 0;
}
