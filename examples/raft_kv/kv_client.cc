#include "kv_client.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cohort/consensus/consensus_log.h"

namespace raft_kv {

std::optional<std::map<std::uint64_t, std::string>> ParseMembers(const std::string& text) {
  std::map<std::uint64_t, std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const auto eq = part.find('=');
    if (eq == absl::string_view::npos) return std::nullopt;
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + eq, id);
    if (ec != std::errc() || end != part.data() + eq || id == 0) return std::nullopt;
    out[id] = std::string(part.substr(eq + 1));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

KvClient::KvClient(cohort::transport::Transport& transport, cohort::Clock& clock,
                   std::map<std::uint64_t, std::string> servers, std::uint64_t client_id)
    : transport_(transport), clock_(clock), servers_(std::move(servers)), client_id_(client_id) {
  leader_ = servers_.begin()->first;
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Invoke(std::string method,
                                                                Request request,
                                                                absl::Time deadline,
                                                                std::uint64_t via) {
  request.client = client_id_;
  if (request.op != Op::kGet) request.seq = ++seq_;
  const std::string body = EncodeRequest(request);
  absl::Status last = absl::DeadlineExceededError("no attempt made");
  for (int attempt = 0;; ++attempt) {
    if (clock_.Now() >= deadline) {
      co_return absl::DeadlineExceededError(
          absl::StrCat(method, " found no leader before its deadline; last error: ",
                       last.ToString()));
    }
    const std::uint64_t target = via != 0 ? via : leader_;
    cohort::transport::CallOptions options;
    options.deadline = std::min(deadline, clock_.Now() + absl::Seconds(3));
    const std::string address = servers_.at(target);
    auto result = co_await transport_.Call(address, method, body, options);
    if (result.ok()) co_return result;
    last = result.status();
    const absl::StatusCode code = last.code();
    // Retryable: the member is down, not the leader, lost leadership after
    // appending (the session makes the retry safe) or was too slow.
    if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded &&
        code != absl::StatusCode::kAborted) {
      co_return last;
    }
    auto hint = cohort::consensus::LeaderHintOf(last);
    if (via == 0) {
      if (hint.has_value() && servers_.count(hint->id) > 0 && hint->id != leader_) {
        leader_ = hint->id;
        continue;  // A fresh hint: try it at once.
      }
      auto it = servers_.upper_bound(leader_);
      leader_ = it == servers_.end() ? servers_.begin()->first : it->first;
    }
    const absl::Duration pause = absl::Milliseconds(std::min(50 * (attempt + 1), 500));
    (void)co_await clock_.SleepUntil(std::min(deadline, clock_.Now() + pause));
  }
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Put(std::string key, std::string value,
                                                             absl::Time deadline) {
  Request r{.op = Op::kPut, .key = std::move(key), .value = std::move(value)};
  co_return co_await Invoke("kv.Put", std::move(r), deadline, 0);
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Delete(std::string key,
                                                                absl::Time deadline) {
  Request r{.op = Op::kDelete, .key = std::move(key)};
  co_return co_await Invoke("kv.Delete", std::move(r), deadline, 0);
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Cas(std::string key,
                                                             std::optional<std::string> expected,
                                                             std::string value,
                                                             absl::Time deadline) {
  Request r{.op = Op::kCas, .key = std::move(key), .value = std::move(value)};
  r.expect_absent = !expected.has_value();
  if (expected.has_value()) r.expected = *std::move(expected);
  co_return co_await Invoke("kv.Cas", std::move(r), deadline, 0);
}

cohort::Awaitable<absl::StatusOr<std::optional<std::string>>> KvClient::Get(
    std::string key, absl::Time deadline, std::uint64_t via) {
  Request r{.op = Op::kGet, .key = std::move(key)};
  auto reply = co_await Invoke("kv.Get", std::move(r), deadline, via);
  if (!reply.ok()) co_return reply.status();
  if (reply->empty() || (*reply)[0] == '0') co_return std::optional<std::string>();
  co_return std::optional<std::string>(reply->substr(1));
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Status(std::uint64_t id,
                                                                absl::Time deadline) {
  cohort::transport::CallOptions options;
  options.deadline = deadline;
  const std::string address = servers_.at(id);
  co_return co_await transport_.Call(address, "kv.Status", std::string(), options);
}

cohort::Awaitable<absl::StatusOr<std::string>> KvClient::Metrics(std::uint64_t id,
                                                                 absl::Time deadline) {
  cohort::transport::CallOptions options;
  options.deadline = deadline;
  const std::string address = servers_.at(id);
  co_return co_await transport_.Call(address, "kv.Metrics", std::string(), options);
}

}  // namespace raft_kv
