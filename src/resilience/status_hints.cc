#include "cohort/resilience/status_hints.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"

namespace cohort {
namespace {

// The retry-after payload is the delay in nanoseconds as 8 little-endian
// bytes; INT64_MAX stands for an infinite delay. A fixed binary layout keeps
// it cheap to parse and stable across processes.
constexpr std::int64_t kInfiniteNanos = std::numeric_limits<std::int64_t>::max();

std::string EncodeNanos(std::int64_t nanos) {
  std::string out(8, '\0');
  auto u = static_cast<std::uint64_t>(nanos);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  return out;
}

std::optional<std::int64_t> DecodeNanos(const absl::Cord& cord) {
  if (cord.size() != 8) return std::nullopt;
  std::string flat(cord);
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i) {
    u |= static_cast<std::uint64_t>(static_cast<unsigned char>(flat[i])) << (8 * i);
  }
  return static_cast<std::int64_t>(u);
}

}  // namespace

absl::Status WithRetryAfter(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  std::int64_t nanos;
  if (delay == absl::InfiniteDuration()) {
    nanos = kInfiniteNanos;
  } else if (delay <= absl::ZeroDuration()) {
    nanos = 0;
  } else {
    nanos = absl::ToInt64Nanoseconds(delay);  // saturates for huge finite values
  }
  status.SetPayload(kRetryAfterPayloadUrl, absl::Cord(EncodeNanos(nanos)));
  return status;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryAfterPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  std::optional<std::int64_t> nanos = DecodeNanos(*payload);
  if (!nanos.has_value() || *nanos < 0) return std::nullopt;
  if (*nanos == kInfiniteNanos) return absl::InfiniteDuration();
  return absl::Nanoseconds(*nanos);
}

absl::Status MarkNotSent(absl::Status status) {
  if (status.ok()) return status;
  status.SetPayload(kNotSentPayloadUrl, absl::Cord("1"));
  return status;
}

bool WasNotSent(const absl::Status& status) {
  return status.GetPayload(kNotSentPayloadUrl).has_value();
}

}  // namespace cohort
