// "host:port" addresses as cohort's TCP transport accepts them.
#ifndef COHORT_SRC_TRANSPORT_TCP_ADDRESS_H_
#define COHORT_SRC_TRANSPORT_TCP_ADDRESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::transport {

struct HostPort {
  // A DNS name, an IPv4 literal, or an IPv6 literal without brackets.
  std::string host;
  std::uint16_t port = 0;
};

// Parses "host:port", "1.2.3.4:port" or "[::1]:port". kInvalidArgument with
// the offending text otherwise.
absl::StatusOr<HostPort> ParseHostPort(std::string_view address);

// The inverse: brackets IPv6 literals.
std::string FormatHostPort(std::string_view host, std::uint16_t port);

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_ADDRESS_H_
