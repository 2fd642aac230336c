// A linearizability checker for recorded histories (Wing & Gong's search with
// the improvements of Lowe and of Porcupine).
//
//   COHORT_ASSIGN_OR_RETURN(auto history, ParseHistory(text));
//   auto model = NewRegisterModel();
//   COHORT_ASSIGN_OR_RETURN(CheckResult result, CheckLinearizability(history, *model));
//   if (result.outcome != CheckOutcome::kLinearizable) print(result.explanation);
//
// How it works: the model splits the history into independent partitions
// (for a key-value store, one per key: a history is linearizable iff each
// per-key sub-history is). Each partition is searched depth first over a
// linked list of call and return events: the first pending call that the
// model accepts is linearized and lifted out of the list; meeting a return
// whose call is not yet linearized means backtracking. Every (set of
// linearized operations, model state) pair is remembered so that no
// configuration is explored twice. Reads that fit are taken without
// branching (see Model::IsReadOnly).
//
// Cost: near-linear for typical histories (10,000 operations over 10 keys
// and 8 clients take milliseconds; see bench/testing/lincheck_bench.cc), but
// the problem is NP-complete: many concurrent writes to one key, or many
// pending unknown-outcome writes (each doubles the configurations a failing
// search must rule out), can take exponential time. CheckOptions bounds it;
// the outcome is then kUnknown, never a wrong verdict.
//
// Intervals are closed: an operation whose call_ns equals another's
// return_ns is treated as concurrent with it. An operation with ok == false
// returns at +infinity: it may take effect at any point after its call, or,
// being last, have no effect on anything observed.
//
// Part of the `testing` component (link cohort::testing). The checker does
// not use gtest.
#ifndef COHORT_TESTING_LINEARIZABILITY_H_
#define COHORT_TESTING_LINEARIZABILITY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/testing/history.h"

namespace cohort {
class Clock;
}  // namespace cohort

namespace cohort::testing {

// One independent sub-history: indices into the checked history.
struct HistoryPartition {
  std::string label{};  // for explanations, e.g. the key
  std::vector<std::size_t> operations{};
};

// A sequential specification. Model states are opaque byte strings, so that
// the checker can hash and compare them without knowing the model.
// Implementations must be deterministic and stateless (const methods);
// thread-safety: any const method may be called concurrently.
class Model {
 public:
  virtual ~Model() = default;

  // Checks that the model supports `op` (e.g. knows its kind). Returns OK or
  // InvalidArgument saying why not.
  virtual absl::Status Validate(const Operation& op) const = 0;

  // Splits `history` into partitions that can be checked independently
  // (P-compositionality). Operations that cannot affect the outcome (an
  // unknown-outcome read) may be left out. Partitions are returned in a
  // deterministic order; explanations report the first failing one.
  virtual std::vector<HistoryPartition> Partition(std::span<const Operation> history) const = 0;

  // The state every partition starts from.
  virtual std::string Init() const = 0;

  // Applies `op` to `state`. Returns false if the operation's recorded
  // result is impossible in `state`; otherwise stores the next state in
  // `*next` (never the same object as `state`) and returns true. An op with
  // ok == false has an unknown result: Step must return true for it in every
  // state (it may take effect at any time after its call, so the checker
  // defers it to the end of the history when its effect is not needed).
  virtual bool Step(const std::string& state, const Operation& op, std::string* next) const = 0;

  // True if `op` (with ok == true) leaves the state unchanged in every state
  // where Step accepts it, e.g. a read or a failed compare-and-swap. The
  // checker then linearizes it as soon as it fits, without branching, which
  // keeps read-heavy histories cheap. Returning false is always safe.
  virtual bool IsReadOnly(const Operation& op) const = 0;

  // Human-readable forms for explanations, e.g. `get("x") -> "v1"`.
  virtual std::string DescribeOperation(const Operation& op) const = 0;
  virtual std::string DescribeState(const std::string& state) const = 0;
};

// A register per key, starting absent, with put, get and cas, following
// the semantics of cohort/testing/history.h. Partitions by key; drops gets
// whose outcome is unknown.
std::unique_ptr<Model> NewRegisterModel();

struct CheckOptions {
  // Most model steps (attempts to linearize one operation) over the whole
  // check before giving up with kUnknown. Must be positive.
  // Default: 100'000'000 (tens of seconds at worst).
  std::int64_t max_steps = 100'000'000;
  // The clock that `deadline` is read from; required when deadline is not
  // absl::InfiniteFuture(). Not owned; must outlive the call.
  // Default: nullptr.
  const Clock* clock = nullptr;
  // When to stop with kUnknown, checked every few thousand steps.
  // Default: absl::InfiniteFuture() (no deadline).
  absl::Time deadline = absl::InfiniteFuture();
};

enum class CheckOutcome {
  kLinearizable,
  kNotLinearizable,
  kUnknown,  // the step budget or the deadline ran out first
};

// "linearizable", "not linearizable" or "unknown".
std::string_view CheckOutcomeName(CheckOutcome outcome);

struct CheckResult {
  CheckOutcome outcome = CheckOutcome::kLinearizable;
  // kNotLinearizable: the first partition (in the model's order) that has
  // no linearization. kUnknown: the partition whose search was cut short.
  std::string partition{};
  // kNotLinearizable: the longest linearization found of a prefix of that
  // partition, as indices into the history, in linearization order.
  std::vector<std::size_t> linearized{};
  // kNotLinearizable: the operation that could not be linearized: its return
  // came before any order of the pending calls could include it.
  std::size_t stuck = 0;
  // kNotLinearizable: the calls that were pending when `stuck` returned
  // (`stuck` among them), each of which was tried after `linearized`.
  std::vector<std::size_t> pending{};
  // kNotLinearizable: the end of the shortest prefix of that partition that
  // already has no linearization (operations called by then; those still
  // running counted as possibly done), which is the return time of
  // `violation_op`. Unset if the step budget or deadline ran out while
  // looking for it (the verdict stands).
  std::optional<std::int64_t> violation_ns{};
  std::size_t violation_op = 0;
  // Multi-line, human-readable account of the above; "" when linearizable.
  std::string explanation{};
  std::int64_t steps = 0;          // model steps taken
  std::size_t partitions = 0;      // partitions checked
  std::size_t operations = 0;      // operations in the partitions
};

// Checks whether `history` is linearizable with respect to `model`.
//
// Returns a CheckResult (any outcome), or InvalidArgument for bad options
// or an operation that fails ValidateOperation() / model.Validate() (the
// message gives its index). Single-threaded; memory grows with the number
// of distinct configurations explored, which max_steps bounds.
absl::StatusOr<CheckResult> CheckLinearizability(std::span<const Operation> history,
                                                 const Model& model,
                                                 const CheckOptions& options = {});

}  // namespace cohort::testing

#endif  // COHORT_TESTING_LINEARIZABILITY_H_
