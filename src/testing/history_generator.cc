#include "cohort/testing/history_generator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cohort::testing {
namespace {

absl::Status ValidateOptions(const RegisterHistoryOptions& o) {
  const auto fraction = [](double f) { return f >= 0 && f <= 1; };
  if (o.clients < 1) return absl::InvalidArgumentError(absl::StrCat("clients must be >= 1, got ", o.clients));
  if (o.keys < 1) return absl::InvalidArgumentError(absl::StrCat("keys must be >= 1, got ", o.keys));
  if (!fraction(o.put_fraction) || !fraction(o.cas_fraction) ||
      o.put_fraction + o.cas_fraction > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("put_fraction and cas_fraction must be in [0, 1] with a sum <= 1, got ",
                     o.put_fraction, " and ", o.cas_fraction));
  }
  if (!fraction(o.unknown_fraction)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown_fraction must be in [0, 1], got ", o.unknown_fraction));
  }
  if (o.max_think_ns < 0 || o.max_latency_ns < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_think_ns must be >= 0 and max_latency_ns >= 1, got ", o.max_think_ns,
                     " and ", o.max_latency_ns));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Operation>> GenerateRegisterHistory(
    Random& random, const RegisterHistoryOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const auto clients = static_cast<std::size_t>(options.clients);
  std::vector<std::int64_t> free_at(clients, 0);    // when each client may call next
  std::vector<std::int64_t> generation(clients, 0);  // bumped after an unknown outcome
  std::vector<std::optional<std::string>> registers(static_cast<std::size_t>(options.keys));
  std::vector<std::vector<std::string>> written(registers.size());
  std::int64_t last_effect = 0;
  std::vector<Operation> history;
  history.reserve(options.operations);
  for (std::size_t n = 0; n < options.operations; ++n) {
    // The next operation in the sequential order comes from the client that
    // is free first, so the clock of every client stays close to the others.
    const std::size_t c = static_cast<std::size_t>(
        std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    const std::size_t k = random.Uniform(registers.size());
    Operation op;
    op.client = static_cast<std::int64_t>(c) + options.clients * generation[c];
    op.key = absl::StrCat("k", k);
    op.call_ns = free_at[c] + random.UniformInRange(0, options.max_think_ns);
    const std::int64_t effect =
        std::max(op.call_ns + random.UniformInRange(0, options.max_latency_ns - 1),
                 last_effect + 1);
    last_effect = effect;
    op.return_ns = effect + random.UniformInRange(0, options.max_latency_ns - 1);
    free_at[c] = op.return_ns + 1;
    op.ok = !random.Bernoulli(options.unknown_fraction);
    // An unknown outcome may be a lost request: then it has no effect.
    const bool applies = op.ok || random.Bernoulli(0.5);
    if (!op.ok) ++generation[c];

    std::optional<std::string>& reg = registers[k];
    const double pick = random.UniformDouble();
    if (pick < options.put_fraction) {
      op.kind = OpKind::kPut;
      op.value = absl::StrCat("v", n);
      if (applies) reg = op.value;
      written[k].push_back(op.value);
    } else if (pick < options.put_fraction + options.cas_fraction) {
      op.kind = OpKind::kCas;
      op.value = absl::StrCat("v", n);
      if (random.Bernoulli(0.5) || written[k].empty()) {
        op.expected = reg.value_or("");
      } else {
        op.expected = written[k][random.Uniform(written[k].size())];
      }
      const bool swaps = reg.value_or("") == op.expected;
      if (op.ok) op.output = swaps ? "true" : "false";
      if (swaps && applies) reg = op.value;
      written[k].push_back(op.value);
    } else {
      op.kind = OpKind::kGet;
      if (op.ok) {
        op.output = reg.value_or("");
        if (options.record_found) op.found = reg.has_value();
      }
    }
    history.push_back(std::move(op));
  }
  std::stable_sort(history.begin(), history.end(), [](const Operation& a, const Operation& b) {
    return a.call_ns < b.call_ns;
  });
  return history;
}

}  // namespace cohort::testing
