#include "blob/s3/credentials.h"

#include "absl/strings/str_cat.h"

namespace cohort::blob::s3 {

std::string Describe(const Credentials& credentials) {
  const std::string& id = credentials.access_key_id;
  // Access key ids are not secret, but a short form is enough to tell keys
  // apart and keeps logs free of anything usable.
  std::string shown = id.size() > 8 ? absl::StrCat(id.substr(0, 4), "...", id.substr(id.size() - 4))
                                    : std::string(id.empty() ? "<none>" : "...");
  std::string out = absl::StrCat("access key ", shown, " from ",
                                 credentials.source.empty() ? "unknown" : credentials.source);
  if (!credentials.session_token.empty()) absl::StrAppend(&out, " (temporary)");
  if (credentials.expiration != absl::InfiniteFuture()) {
    absl::StrAppend(&out, ", expires ",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", credentials.expiration,
                                     absl::UTCTimeZone()));
  }
  return out;
}

}  // namespace cohort::blob::s3
