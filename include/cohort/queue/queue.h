// Queue: durable publish/subscribe with acknowledgements (seed questions 364,
// 373).
//
// Backends: cohort's own partitioned append-only log broker (segments, index,
// CRC, sendfile) and NATS JetStream (`nats://127.0.0.1:4222`). Semantics both
// provide:
//
// - Topics are split into partitions; messages with the same key go to the
//   same partition and are delivered in publish order within it.
// - Publish returns once the message is durable on the backend (fsynced on the
//   broker's replicas / stored in the stream). A publish with a dedup_id that
//   the backend has already seen within its deduplication window is not stored
//   twice (PublishResult::duplicate), which makes retrying a publish safe.
// - Delivery is at least once. A message is redelivered if it is not acked
//   within the ack deadline, or when nacked; handlers must be idempotent.
//   After max_deliveries attempts it moves to the dead-letter topic, if any.
// - Subscribers in the same group share the messages of a topic (each message
//   to one member); different groups each get every message.
// - Receive() calls the handler concurrently, at most max_outstanding_messages
//   (and max_outstanding_bytes) at a time, like Pub/Sub's ReceiveSettings:
//   that bound is how a subscriber protects its database (seed 364).
//
// Status codes:
//   kUnavailable        broker unreachable or no quorum; retrying a publish is
//                       safe when it carries a dedup_id.
//   kDeadlineExceeded   the publish's deadline passed; it may be stored.
//   kNotFound           the topic or group does not exist (and creation was
//                       not asked for).
//   kResourceExhausted  the topic is full (retention by size) or the message is
//                       larger than the backend's limit; the message says which.
//   kInvalidArgument    bad topic name or options.
//   kCancelled          the awaiting coroutine was cancelled.
//
// Thread-safety: Queue is thread-safe. A Delivery is used by one handler.
#ifndef COHORT_QUEUE_QUEUE_H_
#define COHORT_QUEUE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::queue {

struct OutgoingMessage {
  // Bytes of the message. Size limit: the backend's (1 MiB by default).
  std::string data{};
  // Chooses the partition (same key, same partition, in order). Default:
  // empty, spread round-robin.
  std::string key{};
  // Deduplication id (JetStream's Nats-Msg-Id); see the file comment.
  // Default: empty (no deduplication).
  std::string dedup_id{};
  // Default: none.
  std::map<std::string, std::string> headers{};
};

struct PublishOptions {
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
};

struct PublishResult {
  std::uint32_t partition = 0;
  // Position in the partition; increases by one per stored message.
  std::uint64_t offset = 0;
  // True if the dedup_id was already stored: nothing new was appended and
  // partition/offset name the earlier copy.
  bool duplicate = false;
};

// Where a new group starts reading.
enum class StartPosition {
  kEarliest,  // the oldest retained message
  kLatest,    // only messages published after the group is created
};

struct SubscribeOptions {
  // Consumer group (JetStream durable consumer). Required.
  std::string group{};
  // Default: kLatest. Ignored when the group already exists.
  StartPosition start = StartPosition::kLatest;
  // Handler invocations running at once. Default: 64.
  std::size_t max_outstanding_messages = 64;
  // Bytes of messages held by running handlers. Default: 64 MiB.
  std::size_t max_outstanding_bytes = 64u << 20;
  // Redeliver a message not acked within this. Default: 30 seconds.
  absl::Duration ack_deadline = absl::Seconds(30);
  // Move a message to dead_letter_topic after this many deliveries; 0 means
  // never. Default: 0.
  int max_deliveries = 0;
  // Default: empty (drop after max_deliveries, with a log line).
  std::string dead_letter_topic{};
};

// A message handed to a handler, with the means to settle it.
class Delivery {
 public:
  virtual ~Delivery() = default;

  virtual const std::string& topic() const = 0;
  virtual std::uint32_t partition() const = 0;
  virtual std::uint64_t offset() const = 0;
  virtual const std::string& data() const = 0;
  virtual const std::string& key() const = 0;
  virtual const std::map<std::string, std::string>& headers() const = 0;
  virtual absl::Time publish_time() const = 0;
  // 1 on first delivery.
  virtual int delivery_attempt() const = 0;

  // Settles the message: it will not be delivered to this group again. Returns
  // once the backend has recorded the ack.
  virtual Awaitable<absl::Status> Ack() = 0;

  // Asks for redelivery after `delay` (counted as a failed attempt).
  virtual Awaitable<absl::Status> Nack(absl::Duration delay) = 0;

  // Pushes the ack deadline `extension` into the future, for long handlers.
  virtual Awaitable<absl::Status> ExtendDeadline(absl::Duration extension) = 0;
};

// Processes one message. If the handler returns without settling the message,
// an OK result acks it and an error nacks it with the backend's redelivery
// backoff.
using Handler = std::function<Awaitable<absl::Status>(Delivery&)>;

class Queue {
 public:
  virtual ~Queue() = default;

  // Appends `message` to `topic`; see the file comment for durability.
  virtual Awaitable<absl::StatusOr<PublishResult>> Publish(
      std::string_view topic, OutgoingMessage message, const PublishOptions& options) = 0;

  // Delivers messages of `topic` to `handler` (concurrently, within the
  // outstanding limits) until the awaiting coroutine is cancelled, which
  // returns kCancelled after in-flight handlers finish, or until an
  // unrecoverable error is returned.
  virtual Awaitable<absl::Status> Receive(std::string_view topic,
                                          const SubscribeOptions& options,
                                          Handler handler) = 0;
};

}  // namespace cohort::queue

#endif  // COHORT_QUEUE_QUEUE_H_
