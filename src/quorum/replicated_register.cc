#include "cohort/quorum/replicated_register.h"

#include <set>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "quorum/register_codec.h"

namespace cohort::quorum {
namespace {

constexpr char kReadMethod[] = "cohort.register.Read";
constexpr char kWriteMethod[] = "cohort.register.Write";

using Store = std::map<std::string, VersionedValue, std::less<>>;

}  // namespace

absl::StatusOr<std::unique_ptr<RegisterReplica>> RegisterReplica::Create(
    transport::Transport& transport) {
  auto replica = std::unique_ptr<RegisterReplica>(new RegisterReplica());
  replica->store_ = std::make_shared<Store>();
  // Handlers share the store, so a call in flight never outlives its data.
  COHORT_RETURN_IF_ERROR(transport.Register(
      kWriteMethod,
      [store = replica->store_](const transport::ServerCall&,
                                std::string body) -> Awaitable<absl::StatusOr<std::string>> {
        COHORT_CO_ASSIGN_OR_RETURN(WriteRequest request, DecodeWriteRequest(body));
        auto [it, inserted] = store->try_emplace(request.key, request.versioned);
        // Last write wins: keep whichever timestamp is newer.
        if (!inserted && it->second.timestamp < request.versioned.timestamp) {
          it->second = std::move(request.versioned);
        }
        co_return std::string();
      }));
  COHORT_RETURN_IF_ERROR(transport.Register(
      kReadMethod,
      [store = replica->store_](const transport::ServerCall&,
                                std::string key) -> Awaitable<absl::StatusOr<std::string>> {
        auto it = store->find(key);
        co_return EncodeReadResponse(it == store->end() ? std::nullopt
                                                        : std::optional(it->second));
      }));
  return replica;
}

std::optional<VersionedValue> RegisterReplica::Peek(std::string_view key) const {
  auto it = store_->find(key);
  if (it == store_->end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::unique_ptr<RegisterClient>> RegisterClient::Create(
    transport::Transport& transport, RegisterOptions options, HybridLogicalClock& hlc,
    Clock& clock) {
  const std::size_t n = options.replicas.size();
  if (n == 0) return absl::InvalidArgumentError("RegisterOptions.replicas is empty");
  if (std::set<std::string>(options.replicas.begin(), options.replicas.end()).size() != n) {
    return absl::InvalidArgumentError("RegisterOptions.replicas lists a replica twice");
  }
  const std::size_t majority = n / 2 + 1;
  if (options.write_quorum == 0) options.write_quorum = majority;
  if (options.read_quorum == 0) options.read_quorum = majority;
  if (options.write_quorum > n || options.read_quorum > n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quorums must not exceed the ", n, " replicas (W=", options.write_quorum,
        ", R=", options.read_quorum, ")"));
  }
  if (options.read_quorum + options.write_quorum <= n && !options.allow_weak_quorums) {
    return absl::InvalidArgumentError(absl::StrCat(
        "R + W must exceed N for reads to see the latest write: R=", options.read_quorum,
        " + W=", options.write_quorum, " <= N=", n,
        "; raise R or W, or set allow_weak_quorums to accept stale reads"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RegisterOptions.timeout must be positive");
  }
  return std::unique_ptr<RegisterClient>(
      new RegisterClient(transport, std::move(options), hlc, clock));
}

Awaitable<absl::StatusOr<HlcTimestamp>> RegisterClient::Write(std::string key,
                                                              std::string value) {
  const HlcTimestamp ts = hlc_.Now();
  const std::string body = EncodeWriteRequest({std::move(key), {std::move(value), ts}});
  const transport::CallOptions call_options{.deadline = clock_.Now() + options_.timeout};
  const QuorumOptions quorum{.required = options_.write_quorum,
                             .deadline = call_options.deadline,
                             .hedging = options_.hedging};
  // Named, not a temporary inside co_await: GCC 12 destroys closure and
  // aggregate temporaries of a co_await expression twice.
  std::function<Awaitable<absl::StatusOr<std::string>>(std::size_t)> call =
      [&transport = transport_, replicas = options_.replicas, body,
       call_options](std::size_t i) {
        return transport.Call(replicas[i], kWriteMethod, body, call_options);
      };
  auto result =
      co_await QuorumCall<std::string>(clock_, options_.replicas.size(), std::move(call), quorum);
  if (!result.ok()) co_return Annotate(result.status(), "register write");
  co_return ts;
}

Awaitable<absl::StatusOr<VersionedValue>> RegisterClient::Read(std::string key) {
  const transport::CallOptions call_options{.deadline = clock_.Now() + options_.timeout};
  const QuorumOptions quorum{.required = options_.read_quorum,
                             .deadline = call_options.deadline,
                             .hedging = options_.hedging};
  std::function<Awaitable<absl::StatusOr<std::optional<VersionedValue>>>(std::size_t)> call =
      [&transport = transport_, replicas = options_.replicas, key,
       call_options](std::size_t i) -> Awaitable<absl::StatusOr<std::optional<VersionedValue>>> {
        COHORT_CO_ASSIGN_OR_RETURN(std::string bytes,
                                   co_await transport.Call(replicas[i], kReadMethod, key,
                                                           call_options));
        co_return DecodeReadResponse(bytes);
      };
  auto result = co_await QuorumCall<std::optional<VersionedValue>>(
      clock_, options_.replicas.size(), std::move(call), quorum);
  if (!result.ok()) co_return Annotate(result.status(), "register read");

  std::optional<VersionedValue> newest;
  for (const auto& [replica, value] : result->values) {
    if (value.has_value() && (!newest.has_value() || newest->timestamp < value->timestamp)) {
      newest = value;
    }
  }
  if (!newest.has_value()) {
    co_return absl::NotFoundError(absl::StrCat("no replica of the read quorum has key '", key, "'"));
  }
  // Later local writes must be stamped after what this read observed.
  if (absl::Status s = hlc_.Update(newest->timestamp); !s.ok()) co_return s;

  if (options_.read_repair) {
    const std::string body = EncodeWriteRequest({key, *newest});
    // Fetched apart from co_spawn: its lambda must not be a temporary of a
    // full-expression that contains co_await (the GCC 12 bug noted above).
    const Executor executor = co_await asio::this_coro::executor;
    for (const auto& [replica, value] : result->values) {
      if (value.has_value() && value->timestamp == newest->timestamp) continue;
      asio::co_spawn(
          executor,
          [&transport = transport_, address = options_.replicas[replica], body,
           deadline = clock_.Now() + options_.timeout]() -> Awaitable<void> {
            // Best effort: a failed repair leaves the replica to the next read.
            const transport::CallOptions options{.deadline = deadline};
            (void)co_await transport.Call(address, kWriteMethod, body, options);
          },
          asio::detached);
    }
  }
  co_return *std::move(newest);
}

}  // namespace cohort::quorum
