// Byte-level encoding shared by cohort's wire formats: unsigned LEB128
// varints and varint-length-prefixed strings, and a reader that refuses to
// run past the end of its input (so decoders never allocate more than the
// bytes they were given).
#ifndef COHORT_SRC_BASE_INTERNAL_CODING_H_
#define COHORT_SRC_BASE_INTERNAL_CODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::coding {

void PutVarint(std::uint64_t v, std::string* out);
void PutString(std::string_view s, std::string* out);
// Appends `code_point` (at most 0x10FFFF) encoded as UTF-8.
void PutUtf8(std::uint32_t code_point, std::string* out);

// Reads fields from the front of a buffer. Errors are kDataLoss naming the
// field (`what` names the message in the error, e.g. "RPC message").
class Reader {
 public:
  Reader(std::string_view in, const char* what) : in_(in), what_(what) {}

  absl::StatusOr<std::uint64_t> Varint(const char* field);
  absl::StatusOr<std::string_view> String(const char* field);
  // OK if every byte has been read.
  absl::Status ExpectEnd() const;

 private:
  absl::Status Truncated(const char* field) const;
  std::string_view in_;
  const char* what_;
};

}  // namespace cohort::coding

#endif  // COHORT_SRC_BASE_INTERNAL_CODING_H_
