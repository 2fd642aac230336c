#include "transport/tcp/address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cohort::transport {
namespace {

absl::Status Bad(std::string_view address, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "bad address \"", absl::string_view(address.data(), address.size()), "\": ",
      absl::string_view(why.data(), why.size()),
      " (expected host:port, e.g. 127.0.0.1:7001 or [::1]:7001)"));
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view address) {
  HostPort out;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos) return Bad(address, "unclosed '['");
    out.host = std::string(address.substr(1, close - 1));
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return Bad(address, "missing :port after ']'");
    }
    port_text = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return Bad(address, "missing :port");
    out.host = std::string(address.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      return Bad(address, "IPv6 literals must be written in brackets");
    }
    port_text = address.substr(colon + 1);
  }
  if (out.host.empty()) return Bad(address, "empty host");
  std::uint32_t port = 0;
  if (port_text.empty() ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port > 65535 || port_text.front() == '+' || port_text.front() == '-') {
    return Bad(address, "port must be a number from 0 to 65535");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::string FormatHostPort(std::string_view host, std::uint16_t port) {
  const absl::string_view h(host.data(), host.size());
  if (host.find(':') != std::string_view::npos) return absl::StrCat("[", h, "]:", port);
  return absl::StrCat(h, ":", port);
}

}  // namespace cohort::transport
