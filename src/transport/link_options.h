#ifndef COHORT_SRC_TRANSPORT_LINK_OPTIONS_H_
#define COHORT_SRC_TRANSPORT_LINK_OPTIONS_H_

#include "absl/status/status.h"
#include "cohort/transport/simulated_network.h"

namespace cohort::transport {

// InvalidArgument naming the bad field, or OK.
absl::Status ValidateLinkOptions(const LinkOptions& options);

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_LINK_OPTIONS_H_
