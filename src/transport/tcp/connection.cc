#include "transport/tcp/connection.h"

#include <array>
#include <cstring>
#include <utility>

#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"

namespace cohort::transport {
namespace {

constexpr std::size_t kInitialReadBuffer = 64 * 1024;

absl::Status StreamError(const asio::error_code& ec, const std::string& peer) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return absl::UnavailableError(absl::StrCat("connection to ", peer, " closed by the peer"));
  }
  return absl::UnavailableError(
      absl::StrCat("connection to ", peer, " failed: ", ec.message()));
}

}  // namespace

Connection::Connection(Strand strand, std::string peer_address, std::uint32_t max_payload,
                       LoggerPtr logger)
    : strand_(std::move(strand)),
      peer_address_(std::move(peer_address)),
      max_payload_(max_payload),
      logger_(std::move(logger)) {}

Connection::~Connection() = default;

absl::StatusOr<std::uint64_t> Connection::Send(FrameType type, std::uint64_t correlation_id,
                                               std::string_view payload) {
  bool kick = false;
  absl::StatusOr<std::uint64_t> sequence = Enqueue(type, correlation_id, payload, &kick);
  if (kick) Kick();
  return sequence;
}

absl::StatusOr<std::uint64_t> Connection::Enqueue(FrameType type, std::uint64_t correlation_id,
                                                  std::string_view payload, bool* kick,
                                                  std::uint32_t flags) {
  *kick = false;
  absl::MutexLock lock(&mu_);
  if (closed_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError(
        absl::StrCat("connection to ", peer_address_, " is closed: ", close_reason_.message()));
  }
  if (absl::Status s =
          AppendFrame(type, flags, correlation_id, payload, &outbox_, max_payload_);
      !s.ok()) {
    return absl::ResourceExhaustedError(s.message());
  }
  if (attached_ && !writing_now_) {
    writing_now_ = true;
    *kick = true;
  }
  return ++queued_;
}

void Connection::Kick() {
  if (!strand_.running_in_this_thread()) {
    // Runs Flush at once when the strand is free and this thread runs its
    // executor (the common case of a caller on the same io_context): the
    // request reaches the socket without a trip through the scheduler.
    auto self = shared_from_this();
    asio::dispatch(strand_, [self] { self->Flush(); });
  } else if (in_read_batch_) {
    // The reader writes once it has handled every frame of this read, so
    // that all their answers share one write.
    flush_after_batch_ = true;
  } else {
    // On the strand but outside a read: typically a handler resumed by a
    // completion, and its siblings resumed by the same event are queued
    // behind it. Flushing after them lets their answers share one write
    // (Enqueue holds writing_now_, so they add to the outbox meanwhile).
    auto self = shared_from_this();
    asio::post(strand_, [self] { self->Flush(); });
  }
}

void Connection::Close(absl::Status reason) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_.load(std::memory_order_relaxed)) return;
    close_reason_ = std::move(reason);
    closed_.store(true, std::memory_order_release);
  }
  auto self = shared_from_this();
  asio::dispatch(strand_, [self] { self->DoClose(); });
}

void Connection::CloseWhenFlushed(absl::Status reason) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_.load(std::memory_order_relaxed)) return;
    if (writing_now_ || (attached_ && !outbox_.empty())) {
      close_when_flushed_ = true;
      flushed_reason_ = std::move(reason);
      return;
    }
  }
  Close(std::move(reason));
}

void Connection::DoClose() {
  if (stream_ != nullptr) stream_->Close();
  absl::Status reason;
  std::uint64_t handed = 0;
  {
    absl::MutexLock lock(&mu_);
    reason = close_reason_;
    handed = handed_;
    outbox_.clear();
  }
  OnClose(reason, handed);
}

void Connection::Attach(std::unique_ptr<Stream> stream) {
  stream_ = std::move(stream);
  bool flush = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_.load(std::memory_order_relaxed)) {
      stream_->Close();
      return;
    }
    attached_ = true;
    if (!outbox_.empty() && !writing_now_) {
      writing_now_ = true;
      flush = true;
    }
  }
  if (flush) Flush();
  auto self = shared_from_this();
  asio::co_spawn(
      strand_, [self]() -> Awaitable<void> { co_await self->ReadLoop(); }, asio::detached);
}

void Connection::Flush() {
  bool write = false;
  bool close_now = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_.load(std::memory_order_relaxed)) {
      writing_now_ = false;
      return;
    }
    if (outbox_.empty()) {
      writing_now_ = false;
      if (close_when_flushed_) {
        close_when_flushed_ = false;
        close_reason_ = std::move(flushed_reason_);
        closed_.store(true, std::memory_order_release);
        close_now = true;
      }
    } else {
      writing_.clear();
      writing_.swap(outbox_);
      handed_ = queued_;
      write = true;
    }
  }
  if (close_now) DoClose();
  if (!write) return;
  auto self = shared_from_this();
  stream_->AsyncWrite(asio::buffer(writing_),
                      asio::bind_executor(strand_, [self](asio::error_code ec, std::size_t) {
                        if (ec) {
                          self->Close(StreamError(ec, self->peer_address_));
                          return;
                        }
                        self->Flush();
                      }));
}

Awaitable<void> Connection::ReadLoop() {
  std::size_t capacity = kInitialReadBuffer;
  auto buffer = std::make_unique<char[]>(capacity);
  std::size_t begin = 0, end = 0;
  for (;;) {
    // Every complete frame in the buffer; `need` ends as the size of the
    // next (incomplete) frame, or of its header while that is incomplete.
    std::size_t need = kFrameHeaderSize;
    in_read_batch_ = true;
    while (end - begin >= 2) {
      if (static_cast<std::uint8_t>(buffer[begin]) != kFrameMagic0 ||
          static_cast<std::uint8_t>(buffer[begin + 1]) != kFrameMagic1) {
        Close(absl::DataLossError(absl::StrCat(
            "connection from ", peer_address_,
            " sent bytes that are not a cohort frame (bad magic); closing it")));
        co_return;
      }
      if (end - begin < kFrameHeaderSize) break;
      std::array<std::byte, kFrameHeaderSize> header_bytes;
      std::memcpy(header_bytes.data(), buffer.get() + begin, kFrameHeaderSize);
      absl::StatusOr<FrameHeader> header = DecodeFrameHeader(header_bytes, max_payload_);
      if (!header.ok()) {
        Close(absl::Status(header.status().code(),
                           absl::StrCat("frame from ", peer_address_, " refused: ",
                                        header.status().message(), "; closing the connection")));
        co_return;
      }
      const std::size_t total = kFrameHeaderSize + header->payload_length;
      if (end - begin < total) {
        need = total;
        break;
      }
      std::string_view payload(buffer.get() + begin + kFrameHeaderSize, header->payload_length);
      if (absl::Status s = VerifyFramePayload(*header, payload); !s.ok()) {
        Close(absl::Status(s.code(), absl::StrCat("frame from ", peer_address_, " refused: ",
                                                  s.message(), "; closing the connection")));
        co_return;
      }
      Frame frame{*header, std::string(payload)};
      begin += total;
      OnFrame(std::move(frame));
      if (closed()) co_return;
    }
    in_read_batch_ = false;
    if (flush_after_batch_) {
      flush_after_batch_ = false;
      Flush();
    }
    if (begin == end) {
      begin = end = 0;
      if (capacity > kInitialReadBuffer) {
        // Give back a buffer grown for one large frame.
        buffer = std::make_unique<char[]>(kInitialReadBuffer);
        capacity = kInitialReadBuffer;
      }
    }
    if (need > capacity) {
      // The header (checksummed, within the limit) vouches for the size.
      auto bigger = std::make_unique<char[]>(need);
      std::memcpy(bigger.get(), buffer.get() + begin, end - begin);
      buffer = std::move(bigger);
      capacity = need;
      end -= begin;
      begin = 0;
    } else if (begin + need > capacity) {
      std::memmove(buffer.get(), buffer.get() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    auto [ec, n] = co_await stream_->AsyncReadSome(
        asio::buffer(buffer.get() + end, capacity - end),
        asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) {
      Close(StreamError(ec, peer_address_));
      co_return;
    }
    end += n;
  }
}

}  // namespace cohort::transport
