#include "transport/link_options.h"

#include "absl/strings/str_cat.h"

namespace cohort::transport {

absl::Status ValidateLinkOptions(const LinkOptions& options) {
  if (options.min_delay < absl::ZeroDuration() || options.max_delay < options.min_delay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinkOptions delays must satisfy 0 <= min_delay <= max_delay, got [",
        absl::FormatDuration(options.min_delay), ", ", absl::FormatDuration(options.max_delay),
        "]"));
  }
  if (!(options.loss >= 0 && options.loss <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("LinkOptions.loss must be in [0, 1], got ", options.loss));
  }
  if (!(options.duplicate >= 0 && options.duplicate <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("LinkOptions.duplicate must be in [0, 1], got ", options.duplicate));
  }
  return absl::OkStatus();
}

}  // namespace cohort::transport
