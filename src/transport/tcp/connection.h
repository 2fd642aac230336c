// One framed connection: the outbox and writer, the reader, and closing,
// shared by the client and server sides.
//
// Frames are queued from any thread into an outbox; one write at a time
// drains the whole outbox on the connection's strand, so that pipelined
// calls share system calls. The reader parses as many frames as each read
// delivers, checking every header (checksum, version, size limit) before it
// reserves room for the payload.
#ifndef COHORT_SRC_TRANSPORT_TCP_CONNECTION_H_
#define COHORT_SRC_TRANSPORT_TCP_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/strand.hpp>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/async.h"
#include "cohort/base/logging.h"
#include "transport/frame.h"
#include "transport/tcp/stream.h"

namespace cohort::transport {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Strand = asio::strand<Executor>;

  Connection(Strand strand, std::string peer_address, std::uint32_t max_payload,
             LoggerPtr logger);
  virtual ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& peer_address() const { return peer_address_; }
  Strand& strand() { return strand_; }

  // Thread-safe. Queues a frame. Returns its sequence number (1, 2, ...; see
  // OnClose), or kUnavailable once the connection is closed.
  absl::StatusOr<std::uint64_t> Send(FrameType type, std::uint64_t correlation_id,
                                     std::string_view payload);

  // As Send, but leaves starting the write to the caller: when `*kick` comes
  // back true, call Kick() once no lock of the caller's is held (Kick may
  // write, or close the connection, on the caller's stack).
  absl::StatusOr<std::uint64_t> Enqueue(FrameType type, std::uint64_t correlation_id,
                                        std::string_view payload, bool* kick,
                                        std::uint32_t flags = 0);
  void Kick();

  // Thread-safe, idempotent. The first call's `reason` is what OnClose sees.
  // Frames still queued are dropped.
  void Close(absl::Status reason);

  // Thread-safe: closes with `reason` once every frame queued so far has
  // been written.
  void CloseWhenFlushed(absl::Status reason);
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 protected:
  // On the strand: the stream is established; starts writing what was queued
  // and reading.
  void Attach(std::unique_ptr<Stream> stream);

  // On the strand, for each well-formed frame received.
  virtual void OnFrame(Frame frame) = 0;

  // On the strand, exactly once, after the stream is closed. Frames with a
  // sequence number above `handed_to_socket` never reached the socket.
  virtual void OnClose(const absl::Status& reason, std::uint64_t handed_to_socket) = 0;

  const LoggerPtr& logger() const { return logger_; }

 private:
  Awaitable<void> ReadLoop();
  void Flush();    // on the strand
  void DoClose();  // on the strand

  Strand strand_;
  const std::string peer_address_;
  const std::uint32_t max_payload_;
  const LoggerPtr logger_;
  std::unique_ptr<Stream> stream_;  // on the strand only
  std::string writing_;             // on the strand only: bytes being written
  std::atomic<bool> closed_{false};
  // On the strand only: frames of one read are being handled; writes wait
  // for the end of the batch.
  bool in_read_batch_ = false;
  bool flush_after_batch_ = false;

  absl::Mutex mu_;
  std::string outbox_ ABSL_GUARDED_BY(mu_);
  std::uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;  // sequence of the last frame queued
  std::uint64_t handed_ ABSL_GUARDED_BY(mu_) = 0;  // ... handed to the socket
  bool attached_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_now_ ABSL_GUARDED_BY(mu_) = false;
  bool close_when_flushed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status flushed_reason_ ABSL_GUARDED_BY(mu_);
  absl::Status close_reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_CONNECTION_H_
