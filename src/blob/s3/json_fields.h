// Reads the top-level string fields of a JSON object: enough for the
// credential endpoints' documents ({"AccessKeyId": "...", "Expiration": ...}).
// Nested objects, arrays, numbers, booleans and null are skipped, not kept.
//
// Errors: kInvalidArgument for malformed JSON (with the byte offset).
// Thread-safety: pure function.
#ifndef COHORT_SRC_BLOB_S3_JSON_FIELDS_H_
#define COHORT_SRC_BLOB_S3_JSON_FIELDS_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::blob::s3 {

absl::StatusOr<std::map<std::string, std::string>> ParseJsonStringFields(std::string_view json);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_JSON_FIELDS_H_
