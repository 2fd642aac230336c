// HTTP request and response values shared by the S3 HTTP client and the
// credential endpoints' client.
#ifndef COHORT_SRC_BLOB_S3_HTTP_TYPES_H_
#define COHORT_SRC_BLOB_S3_HTTP_TYPES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "blob/s3/sigv4.h"

namespace cohort::blob::s3 {

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // The first header called `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const {
    for (const HttpHeader& h : headers) {
      if (absl::EqualsIgnoreCase(absl::string_view(h.name.data(), h.name.size()),
                                 absl::string_view(name.data(), name.size()))) {
        return h.value;
      }
    }
    return std::nullopt;
  }
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_HTTP_TYPES_H_
