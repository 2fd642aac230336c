#include "fault_proxy.h"

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/async.h"

namespace raft_kv {
namespace {

using asio::ip::tcp;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

// One accepted connection and, when forwarded, its upstream half.
struct Conn {
  explicit Conn(tcp::socket s) : down(std::move(s)), up(down.get_executor()) {}
  void Close() {
    asio::error_code ignored;
    down.shutdown(tcp::socket::shutdown_both, ignored);
    down.close(ignored);
    up.shutdown(tcp::socket::shutdown_both, ignored);
    up.close(ignored);
  }
  tcp::socket down;
  tcp::socket up;
};

struct Link {
  explicit Link(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  int listen_port = 0;
  int target_port = 0;
  // Touched only on the relay thread.
  bool cut = false;
  CutMode mode = CutMode::kRefuse;
  std::set<std::shared_ptr<Conn>> conns;
  std::atomic<long> forwarded{0};

  void CloseAll() {
    for (const auto& c : conns) c->Close();
    conns.clear();
  }
};

cohort::Awaitable<void> Pump(std::shared_ptr<Link> link, std::shared_ptr<Conn> conn,
                             tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_error, n] = co_await from.async_read_some(asio::buffer(buffer), kAsTuple);
    if (read_error) break;
    auto [write_error, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                                            kAsTuple);
    (void)written;
    if (write_error) break;
  }
  // One direction ended: end the whole connection, as a dropped route would.
  conn->Close();
  link->conns.erase(conn);
}

// A blackholed connection: read and discard until it is closed.
cohort::Awaitable<void> Discard(std::shared_ptr<Link> link, std::shared_ptr<Conn> conn) {
  std::array<char, 4096> buffer;
  for (;;) {
    auto [error, n] = co_await conn->down.async_read_some(asio::buffer(buffer), kAsTuple);
    (void)n;
    if (error) break;
  }
  conn->Close();
  link->conns.erase(conn);
}

cohort::Awaitable<void> Forward(std::shared_ptr<Link> link, std::shared_ptr<Conn> conn) {
  const tcp::endpoint target(asio::ip::address_v4::loopback(),
                             static_cast<unsigned short>(link->target_port));
  auto [error] = co_await conn->up.async_connect(target, kAsTuple);
  if (error || link->conns.count(conn) == 0) {  // target down, or cut meanwhile
    conn->Close();
    link->conns.erase(conn);
    co_return;
  }
  link->forwarded.fetch_add(1, std::memory_order_relaxed);
  asio::error_code ignored;
  conn->up.set_option(tcp::no_delay(true), ignored);
  conn->down.set_option(tcp::no_delay(true), ignored);
  auto executor = conn->down.get_executor();
  asio::co_spawn(executor, Pump(link, conn, conn->down, conn->up), asio::detached);
  asio::co_spawn(executor, Pump(link, conn, conn->up, conn->down), asio::detached);
}

cohort::Awaitable<void> Accept(std::shared_ptr<Link> link) {
  for (;;) {
    auto [error, socket] = co_await link->acceptor.async_accept(kAsTuple);
    if (error) {
      if (!link->acceptor.is_open()) co_return;
      continue;
    }
    auto conn = std::make_shared<Conn>(std::move(socket));
    if (link->cut && link->mode == CutMode::kRefuse) {
      conn->Close();
      continue;
    }
    link->conns.insert(conn);
    auto executor = conn->down.get_executor();
    if (link->cut) {
      asio::co_spawn(executor, Discard(link, conn), asio::detached);
    } else {
      asio::co_spawn(executor, Forward(link, conn), asio::detached);
    }
  }
}

}  // namespace

struct FaultProxy::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  mutable absl::Mutex mu;
  std::vector<std::shared_ptr<Link>> links ABSL_GUARDED_BY(mu);

  std::shared_ptr<Link> Get(int id) const {
    absl::MutexLock lock(&mu);
    return links.at(static_cast<std::size_t>(id));
  }

  // Runs `f` on the relay thread and waits for it.
  void RunOnIo(std::function<void()> f) {
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
};

FaultProxy::FaultProxy() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FaultProxy::~FaultProxy() {
  std::vector<std::shared_ptr<Link>> links;
  {
    absl::MutexLock lock(&impl_->mu);
    links = impl_->links;
  }
  impl_->RunOnIo([&] {
    for (const auto& link : links) {
      asio::error_code ignored;
      link->acceptor.close(ignored);
      link->CloseAll();
    }
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

absl::StatusOr<int> FaultProxy::AddLink(int target_port) {
  auto link = std::make_shared<Link>(impl_->io);
  link->target_port = target_port;
  asio::error_code error;
  impl_->RunOnIo([&] {
    const tcp::endpoint any_port(asio::ip::address_v4::loopback(), 0);
    link->acceptor.open(any_port.protocol(), error);
    if (!error) link->acceptor.bind(any_port, error);
    if (!error) link->acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) return;
    link->listen_port = link->acceptor.local_endpoint(error).port();
    if (!error) asio::co_spawn(impl_->io, Accept(link), asio::detached);
  });
  if (error) {
    return absl::InternalError(absl::StrCat("fault proxy: cannot listen: ", error.message()));
  }
  absl::MutexLock lock(&impl_->mu);
  impl_->links.push_back(link);
  return static_cast<int>(impl_->links.size() - 1);
}

int FaultProxy::ListenPort(int link) const { return impl_->Get(link)->listen_port; }

long FaultProxy::Forwarded(int link) const {
  return impl_->Get(link)->forwarded.load(std::memory_order_relaxed);
}

void FaultProxy::Cut(int link, CutMode mode) {
  std::shared_ptr<Link> l = impl_->Get(link);
  impl_->RunOnIo([&] {
    l->cut = true;
    l->mode = mode;
    l->CloseAll();
  });
}

void FaultProxy::Heal(int link) {
  std::shared_ptr<Link> l = impl_->Get(link);
  impl_->RunOnIo([&] {
    if (!l->cut) return;
    l->cut = false;
    l->CloseAll();  // the blackholed ones: their senders reconnect
  });
}

}  // namespace raft_kv
