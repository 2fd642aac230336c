#include "quorum/register_codec.h"

#include <limits>

#include "base/internal/coding.h"
#include "cohort/base/status.h"

namespace cohort::quorum {
namespace {

void PutTimestamp(const HlcTimestamp& ts, std::string* out) {
  coding::PutVarint(static_cast<std::uint64_t>(ts.physical_nanos), out);
  coding::PutVarint(ts.logical, out);
  coding::PutVarint(ts.node_id, out);
}

absl::StatusOr<HlcTimestamp> ReadTimestamp(coding::Reader& in) {
  HlcTimestamp ts;
  COHORT_ASSIGN_OR_RETURN(std::uint64_t physical, in.Varint("timestamp.physical"));
  COHORT_ASSIGN_OR_RETURN(std::uint64_t logical, in.Varint("timestamp.logical"));
  COHORT_ASSIGN_OR_RETURN(ts.node_id, in.Varint("timestamp.node"));
  if (physical > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
      logical > std::numeric_limits<std::uint32_t>::max()) {
    return absl::DataLossError("register message has an out-of-range timestamp");
  }
  ts.physical_nanos = static_cast<std::int64_t>(physical);
  ts.logical = static_cast<std::uint32_t>(logical);
  return ts;
}

}  // namespace

std::string EncodeWriteRequest(const WriteRequest& request) {
  std::string out;
  coding::PutString(request.key, &out);
  coding::PutString(request.versioned.value, &out);
  PutTimestamp(request.versioned.timestamp, &out);
  return out;
}

absl::StatusOr<WriteRequest> DecodeWriteRequest(std::string_view bytes) {
  coding::Reader in(bytes, "register write");
  COHORT_ASSIGN_OR_RETURN(std::string_view key, in.String("key"));
  COHORT_ASSIGN_OR_RETURN(std::string_view value, in.String("value"));
  COHORT_ASSIGN_OR_RETURN(HlcTimestamp ts, ReadTimestamp(in));
  COHORT_RETURN_IF_ERROR(in.ExpectEnd());
  return WriteRequest{std::string(key), VersionedValue{std::string(value), ts}};
}

std::string EncodeReadResponse(const std::optional<VersionedValue>& value) {
  std::string out;
  coding::PutVarint(value.has_value() ? 1 : 0, &out);
  if (value.has_value()) {
    coding::PutString(value->value, &out);
    PutTimestamp(value->timestamp, &out);
  }
  return out;
}

absl::StatusOr<std::optional<VersionedValue>> DecodeReadResponse(std::string_view bytes) {
  coding::Reader in(bytes, "register read response");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t found, in.Varint("found"));
  if (found > 1) return absl::DataLossError("register read response has a bad found flag");
  std::optional<VersionedValue> result;
  if (found == 1) {
    COHORT_ASSIGN_OR_RETURN(std::string_view value, in.String("value"));
    COHORT_ASSIGN_OR_RETURN(HlcTimestamp ts, ReadTimestamp(in));
    result = VersionedValue{std::string(value), ts};
  }
  COHORT_RETURN_IF_ERROR(in.ExpectEnd());
  return result;
}

}  // namespace cohort::quorum
