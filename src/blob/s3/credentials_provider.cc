#include "blob/s3/credentials_provider.h"

#include <spdlog/logger.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "blob/s3/credential_sources.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Awaitable<absl::StatusOr<Credentials>> GetCredentials() override { co_return credentials_; }

 private:
  const Credentials credentials_;
};

enum class Source { kUnknown, kExplicit, kEnvironment, kSharedFiles, kContainer, kImds };

// One refresh that any number of callers wait for. A waiter parks on a timer
// that never expires by itself; the refresh ends the wait by moving the
// timer's expiry to the past on the waiter's executor, which also works when
// the waiter has not started waiting yet.
struct Flight {
  bool done = false;
  absl::StatusOr<Credentials> result = absl::UnknownError("refresh in progress");
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
};

// Shared with background refreshes so that it outlives a provider destroyed
// while one runs.
struct ChainState {
  CredentialsChainOptions options;
  SourceConfig config;
  Executor executor;
  Clock* clock = nullptr;
  LoggerPtr logger;

  absl::Mutex mu;
  Source source ABSL_GUARDED_BY(mu) = Source::kUnknown;
  std::optional<Credentials> cached ABSL_GUARDED_BY(mu);
  std::shared_ptr<Flight> flight ABSL_GUARDED_BY(mu);
  absl::Time no_refresh_before ABSL_GUARDED_BY(mu) = absl::InfinitePast();
};

// Runs the chain from the top, or only `known` once a source has delivered.
Awaitable<std::pair<absl::StatusOr<Credentials>, Source>> Resolve(
    std::shared_ptr<ChainState> state, Source known) {
  const SourceConfig& config = state->config;
  std::vector<std::string> tried;
  auto attempt = [&](absl::StatusOr<Credentials> result, Source source, const char* name)
      -> std::optional<std::pair<absl::StatusOr<Credentials>, Source>> {
    if (result.ok() || !absl::IsNotFound(result.status())) {
      if (!result.ok()) result = Annotate(result.status(), name);
      return std::make_pair(std::move(result), source);
    }
    tried.push_back(absl::StrCat(name, ": ", result.status().message()));
    return std::nullopt;
  };
  auto wants = [&](Source s) { return known == Source::kUnknown || known == s; };

  if (wants(Source::kExplicit)) {
    absl::StatusOr<Credentials> c = absl::NotFoundError("none given");
    if (state->options.explicit_credentials) {
      c = *state->options.explicit_credentials;
      if (c->source.empty()) c->source = "explicit";
      if (c->access_key_id.empty() || c->secret_access_key.empty()) {
        c = absl::InvalidArgumentError(
            "explicit credentials need both an access key id and a secret access key");
      }
    }
    if (auto r = attempt(std::move(c), Source::kExplicit, "explicit")) co_return *r;
  }
  if (wants(Source::kEnvironment)) {
    if (auto r = attempt(CredentialsFromEnvironment(config), Source::kEnvironment,
                         "environment")) {
      co_return *r;
    }
  }
  if (wants(Source::kSharedFiles)) {
    if (auto r = attempt(CredentialsFromSharedFiles(config), Source::kSharedFiles,
                         "shared files")) {
      co_return *r;
    }
  }
  if (wants(Source::kContainer)) {
    absl::StatusOr<Credentials> c = co_await CredentialsFromContainer(config);
    if (auto r = attempt(std::move(c), Source::kContainer, "container endpoint")) co_return *r;
  }
  if (wants(Source::kImds)) {
    absl::StatusOr<Credentials> c = co_await CredentialsFromInstanceMetadata(config);
    if (auto r = attempt(std::move(c), Source::kImds, "instance metadata")) co_return *r;
  }
  std::string message = "no AWS credentials found; tried ";
  for (std::size_t i = 0; i < tried.size(); ++i) {
    absl::StrAppend(&message, i ? "; " : "", tried[i]);
  }
  co_return std::make_pair(absl::StatusOr<Credentials>(absl::FailedPreconditionError(message)),
                           known);
}

Awaitable<void> RunFlight(std::shared_ptr<ChainState> state, std::shared_ptr<Flight> flight,
                          Source known) {
  std::pair<absl::StatusOr<Credentials>, Source> resolved = co_await Resolve(state, known);
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
  {
    absl::MutexLock lock(&state->mu);
    if (resolved.first.ok()) {
      state->cached = *resolved.first;
      state->source = resolved.second;
      state->logger->info("AWS credentials: {}", Describe(*resolved.first));
    } else {
      state->logger->warn("AWS credentials refresh failed: {}",
                          StatusSummary(resolved.first.status()));
      state->no_refresh_before = state->clock->Now() + state->options.refresh_retry_interval;
    }
    flight->result = std::move(resolved.first);
    flight->done = true;
    waiters.swap(flight->waiters);
    state->flight.reset();
  }
  for (const std::shared_ptr<asio::steady_timer>& timer : waiters) {
    asio::post(timer->get_executor(),
               [timer] { timer->expires_at(asio::steady_timer::time_point::min()); });
  }
}

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::shared_ptr<ChainState> state) : state_(std::move(state)) {}

  Awaitable<absl::StatusOr<Credentials>> GetCredentials() override {
    std::shared_ptr<ChainState> state = state_;
    std::shared_ptr<Flight> flight;
    std::shared_ptr<Flight> to_start;
    std::shared_ptr<asio::steady_timer> timer;
    std::optional<Credentials> still_valid;
    Source known = Source::kUnknown;
    Executor my_executor = co_await asio::this_coro::executor;
    {
      absl::MutexLock lock(&state->mu);
      const absl::Time now = state->clock->Now();
      const bool valid = state->cached && now < state->cached->expiration;
      if (valid && (now < state->cached->expiration - state->options.refresh_window ||
                    now < state->no_refresh_before)) {
        co_return *state->cached;
      }
      if (!state->flight) {
        state->flight = std::make_shared<Flight>();
        to_start = state->flight;
        known = state->source;
      }
      if (valid) {
        // The refresh runs in the background; these are good until it lands.
        still_valid = state->cached;
      } else {
        flight = state->flight;
        timer = std::make_shared<asio::steady_timer>(my_executor,
                                                     asio::steady_timer::time_point::max());
        flight->waiters.push_back(timer);
      }
    }
    // Started outside the lock: it may run inline up to its first suspension.
    if (to_start) {
      asio::co_spawn(state->executor, RunFlight(state, to_start, known), asio::detached);
    }
    if (still_valid) co_return *std::move(still_valid);
    co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    absl::MutexLock lock(&state->mu);
    if (!flight->done) co_return absl::CancelledError("waiting for AWS credentials");
    co_return flight->result;
  }

 private:
  std::shared_ptr<ChainState> state_;
};

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::unique_ptr<CredentialsProvider>> NewDefaultCredentialsChain(
    CredentialsChainOptions options, const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  if (!ctx.executor) {
    return absl::InvalidArgumentError("the credential chain needs Context::executor");
  }
  if (options.refresh_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refresh_window must be >= 0, got ", absl::FormatDuration(options.refresh_window)));
  }
  if (options.endpoint_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint_timeout must be > 0, got ", absl::FormatDuration(options.endpoint_timeout)));
  }
  if (options.refresh_retry_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("refresh_retry_interval must be >= 0, got ",
                     absl::FormatDuration(options.refresh_retry_interval)));
  }
  if (options.container_host.empty()) {
    return absl::InvalidArgumentError("container_host must not be empty (default 169.254.170.2)");
  }
  auto state = std::make_shared<ChainState>();
  if (!options.environment) options.environment = ProcessEnvironment();
  state->config.environment = options.environment;
  state->config.clock = ctx.clock;
  state->config.profile = options.profile;
  state->config.container_host = options.container_host;
  state->config.endpoint_timeout = options.endpoint_timeout;
  state->options = std::move(options);
  state->executor = ctx.executor;
  state->clock = ctx.clock;
  state->logger = ctx.LoggerOrNull();
  return std::unique_ptr<CredentialsProvider>(new ChainProvider(std::move(state)));
}

std::unique_ptr<CredentialsProvider> NewStaticCredentialsProvider(Credentials credentials) {
  if (credentials.source.empty()) credentials.source = "static";
  return std::make_unique<StaticProvider>(std::move(credentials));
}

}  // namespace cohort::blob::s3
