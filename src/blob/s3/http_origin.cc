#include "blob/s3/http_origin.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <system_error>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cohort::blob::s3 {

std::optional<DirectTarget> ParseDirectTarget(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(url.data(), kScheme.size()), "http://")) {
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  if (url.find('#') != std::string_view::npos) return std::nullopt;
  const std::size_t end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view() : url.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  DirectTarget target;
  target.authority = std::string(authority);
  std::string_view port_text;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    target.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    target.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (target.host.empty()) return std::nullopt;
  for (char c : target.host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '%' || c == '/' || c == '\\') {
      return std::nullopt;
    }
  }
  if (!port_text.empty()) {
    std::uint32_t port = 0;
    if (port_text.size() > 5 ||
        !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
        port == 0 || port > 65535 || !absl::ascii_isdigit(port_text.front())) {
      return std::nullopt;
    }
    target.port = static_cast<std::uint16_t>(port);
  }
  if (rest.empty() || rest.front() == '?') {
    target.path_and_query = absl::StrCat("/", absl::string_view(rest.data(), rest.size()));
  } else {
    target.path_and_query = std::string(rest);
  }
  for (char c : target.path_and_query) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) == 0x7f) {
      return std::nullopt;
    }
  }
  return target;
}

std::optional<SocketAddress> NumericAddress(const std::string& host, std::uint16_t port) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

struct HostResolver::Mailbox {
  absl::Mutex mu;
  bool closed ABSL_GUARDED_BY(mu) = false;
  std::function<void()> wakeup ABSL_GUARDED_BY(mu);
  std::vector<Answer> answers ABSL_GUARDED_BY(mu);
};

HostResolver::HostResolver(std::function<void()> wakeup) : mailbox_(std::make_shared<Mailbox>()) {
  absl::MutexLock lock(&mailbox_->mu);
  mailbox_->wakeup = std::move(wakeup);
}

HostResolver::~HostResolver() {
  absl::MutexLock lock(&mailbox_->mu);
  mailbox_->closed = true;
  mailbox_->wakeup = nullptr;
}

absl::StatusOr<std::uint64_t> HostResolver::Start(const std::string& host, std::uint16_t port) {
  const std::uint64_t id = ++next_id_;
  auto lookup = [mailbox = mailbox_, id, host, port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    Answer answer;
    answer.id = id;
    answer.error = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      SocketAddress address;
      std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
      address.length = a->ai_addrlen;
      answer.addresses.push_back(address);
    }
    if (found != nullptr) ::freeaddrinfo(found);
    absl::MutexLock lock(&mailbox->mu);
    if (mailbox->closed) return;
    mailbox->answers.push_back(std::move(answer));
    mailbox->wakeup();
  };
  try {
    std::thread(std::move(lookup)).detach();
  } catch (const std::system_error& e) {
    return absl::UnavailableError(absl::StrCat("no thread to resolve ", host, ": ", e.what()));
  }
  return id;
}

std::vector<HostResolver::Answer> HostResolver::TakeAnswers() {
  std::vector<Answer> answers;
  absl::MutexLock lock(&mailbox_->mu);
  answers.swap(mailbox_->answers);
  return answers;
}

std::string HostResolver::ErrorText(int error) { return gai_strerror(error); }

IdleConnections::~IdleConnections() {
  for (auto& [origin, fds] : idle_) {
    for (auto& [fd, since] : fds) ::close(fd);
  }
}

int IdleConnections::Take(const std::string& origin, absl::Time now) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return -1;
  int found = -1;
  while (!it->second.empty() && found < 0) {
    auto [fd, since] = it->second.back();
    it->second.pop_back();
    --count_;
    // A server that closed the connection (or sent something unasked)
    // makes it readable.
    pollfd p{fd, POLLIN, 0};
    if (now - since < max_age_ && ::poll(&p, 1, 0) == 0) {
      found = fd;
    } else {
      ::close(fd);
    }
  }
  if (it->second.empty()) idle_.erase(it);
  return found;
}

void IdleConnections::Put(const std::string& origin, int fd, absl::Time now) {
  auto& fds = idle_[origin];
  fds.emplace_back(fd, now);
  if (++count_ <= max_idle_) return;
  ::close(fds.front().first);
  fds.erase(fds.begin());
  --count_;
  if (fds.empty()) idle_.erase(origin);
}

}  // namespace cohort::blob::s3
