// Messages of the replicated register's two methods.
//   Write request:  key, value, timestamp
//   Read request:   key
//   Read response:  found flag, then value and timestamp when found
// A timestamp is three varints: physical nanos (must be >= 0), logical,
// node id.
#ifndef COHORT_SRC_QUORUM_REGISTER_CODEC_H_
#define COHORT_SRC_QUORUM_REGISTER_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cohort/quorum/replicated_register.h"

namespace cohort::quorum {

struct WriteRequest {
  std::string key{};
  VersionedValue versioned{};
};

std::string EncodeWriteRequest(const WriteRequest& request);
absl::StatusOr<WriteRequest> DecodeWriteRequest(std::string_view bytes);

std::string EncodeReadResponse(const std::optional<VersionedValue>& value);
absl::StatusOr<std::optional<VersionedValue>> DecodeReadResponse(std::string_view bytes);

}  // namespace cohort::quorum

#endif  // COHORT_SRC_QUORUM_REGISTER_CODEC_H_
