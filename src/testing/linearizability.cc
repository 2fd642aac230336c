// The search: per partition, a depth-first search over a doubly linked list
// of call and return events (Lowe's "just-in-time linearization", as in
// Porcupine), memoizing (linearized set, state) pairs.
#include "cohort/testing/linearizability.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/clock.h"
#include "cohort/base/status.h"

namespace cohort::testing {
namespace {

constexpr std::int64_t kClockCheckInterval = 4096;
constexpr std::size_t kExplainedPrefix = 10;

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One memoized configuration. `hash` combines a Zobrist hash of the set
// (kept incrementally by the search) with the state's hash.
struct MemoEntry {
  std::vector<std::uint64_t> bits;
  std::string state;
  std::size_t hash;
};
struct MemoView {
  std::span<const std::uint64_t> bits;
  std::string_view state;
  std::size_t hash;
};
struct MemoHash {
  using is_transparent = void;
  std::size_t operator()(const MemoEntry& e) const { return e.hash; }
  std::size_t operator()(const MemoView& v) const { return v.hash; }
};
struct MemoEq {
  using is_transparent = void;
  static MemoView View(const MemoEntry& e) { return {e.bits, e.state, e.hash}; }
  static const MemoView& View(const MemoView& v) { return v; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    const MemoView& x = View(a);
    const MemoView& y = View(b);
    return x.hash == y.hash && x.state == y.state &&
           std::equal(x.bits.begin(), x.bits.end(), y.bits.begin(), y.bits.end());
  }
};

struct Node {
  int prev = -1;
  int next = -1;
  int match = -1;  // a call's return node
  int op = -1;     // index into the partition
  bool is_call = false;
};

enum class SearchOutcome { kLinearizable, kNotLinearizable, kUnknown };

class PartitionSearch {
 public:
  PartitionSearch(std::span<const Operation> history, const HistoryPartition& partition,
                  const Model& model, const CheckOptions& options, std::int64_t& steps)
      : history_(history), ops_(partition.operations), model_(model), options_(options),
        steps_(steps) {}

  SearchOutcome Run();

  // Valid after kNotLinearizable: global indices.
  std::vector<std::size_t> best_linearized;
  std::string best_state;
  std::size_t best_stuck = 0;
  std::vector<std::size_t> best_pending;

 private:
  const Operation& Op(int local) const { return history_[ops_[static_cast<std::size_t>(local)]]; }
  void BuildList();
  void Lift(int call) {
    Node& c = nodes_[call];
    if (Op(c.op).ok) --known_remaining_;
    nodes_[c.prev].next = c.next;
    nodes_[c.next].prev = c.prev;  // a call is always followed by its return
    Node& r = nodes_[c.match];
    nodes_[r.prev].next = r.next;
    if (r.next >= 0) nodes_[r.next].prev = r.prev;
  }
  void Unlift(int call) {
    Node& c = nodes_[call];
    if (Op(c.op).ok) ++known_remaining_;
    Node& r = nodes_[c.match];
    nodes_[r.prev].next = c.match;
    if (r.next >= 0) nodes_[r.next].prev = c.match;
    nodes_[c.prev].next = call;
    nodes_[c.next].prev = call;
  }
  void Flip(int local) {
    bits_[static_cast<std::size_t>(local) / 64] ^= std::uint64_t{1} << (local % 64);
    set_hash_ ^= SplitMix64(static_cast<std::uint64_t>(local));
  }
  bool OutOfBudget() const {
    if (steps_ >= options_.max_steps) return true;
    return options_.clock != nullptr && steps_ % kClockCheckInterval == 0 &&
           options_.clock->Now() >= options_.deadline;
  }
  void RecordStuck(int return_node, const std::string& state);

  struct Frame {
    int call;
    std::string state;  // before the call was linearized
    bool forced;        // no alternative to try in its place
  };

  std::span<const Operation> history_;
  std::span<const std::size_t> ops_;
  const Model& model_;
  const CheckOptions& options_;
  std::int64_t& steps_;
  std::vector<Node> nodes_;  // [0] is the head sentinel
  std::vector<std::uint64_t> bits_;
  std::uint64_t set_hash_ = 0;
  std::vector<Frame> stack_;
  std::size_t best_depth_ = 0;
  bool have_best_ = false;
  std::size_t known_remaining_ = 0;  // calls with ok == true still in the list
};

void PartitionSearch::BuildList() {
  struct Event {
    std::int64_t time;
    bool is_return;
    int op;
  };
  std::vector<Event> events;
  events.reserve(ops_.size() * 2);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    const Operation& op = history_[ops_[i]];
    const std::int64_t ret = op.ok ? op.return_ns : std::numeric_limits<std::int64_t>::max();
    events.push_back({op.call_ns, false, static_cast<int>(i)});
    events.push_back({ret, true, static_cast<int>(i)});
  }
  // Calls sort before returns at the same instant: touching intervals are
  // concurrent, so the checker never invents an order the recorder could
  // not observe.
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.is_return != b.is_return) return !a.is_return;
    return a.op < b.op;
  });
  nodes_.assign(events.size() + 1, Node{});
  std::vector<int> call_node(ops_.size(), -1);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const int id = static_cast<int>(i) + 1;
    Node& n = nodes_[static_cast<std::size_t>(id)];
    n.prev = id - 1;
    n.next = i + 1 < events.size() ? id + 1 : -1;
    n.op = events[i].op;
    n.is_call = !events[i].is_return;
    if (n.is_call) {
      call_node[static_cast<std::size_t>(n.op)] = id;
    } else {
      nodes_[static_cast<std::size_t>(call_node[static_cast<std::size_t>(n.op)])].match = id;
    }
  }
  nodes_[0].next = events.empty() ? -1 : 1;
  bits_.assign((ops_.size() + 63) / 64, 0);
  known_remaining_ = static_cast<std::size_t>(
      std::count_if(ops_.begin(), ops_.end(), [&](std::size_t i) { return history_[i].ok; }));
}

void PartitionSearch::RecordStuck(int return_node, const std::string& state) {
  if (have_best_ && stack_.size() <= best_depth_) return;
  have_best_ = true;
  best_depth_ = stack_.size();
  best_linearized.clear();
  for (const Frame& f : stack_) best_linearized.push_back(ops_[nodes_[f.call].op]);
  best_state = state;
  best_stuck = ops_[nodes_[return_node].op];
  best_pending.clear();
  for (int n = nodes_[0].next; n != return_node && n >= 0; n = nodes_[n].next) {
    if (nodes_[n].is_call) best_pending.push_back(ops_[nodes_[n].op]);
  }
}

SearchOutcome PartitionSearch::Run() {
  BuildList();
  absl::flat_hash_set<MemoEntry, MemoHash, MemoEq> memo;
  std::string state = model_.Init();
  std::string next;
  int entry = nodes_[0].next;
  // Undoes choices until one with untried alternatives; false when none is
  // left. A forced choice has no alternatives: its configuration failed.
  const auto backtrack = [&] {
    for (;;) {
      if (stack_.empty()) return false;
      Frame frame = std::move(stack_.back());
      stack_.pop_back();
      state = std::move(frame.state);
      Flip(nodes_[frame.call].op);
      Unlift(frame.call);
      entry = nodes_[frame.call].next;
      if (!frame.forced) return true;
    }
  };
  // Calls with an unknown outcome can always be linearized after all the
  // others, so the search is done once every known call is placed.
  while (known_remaining_ > 0) {
    const Node& node = nodes_[entry];
    if (!node.is_call) {
      // The return of an operation not yet linearized: nothing pending
      // before it fits, so undo the latest choice.
      RecordStuck(entry, state);
      if (!backtrack()) return SearchOutcome::kNotLinearizable;
      continue;
    }
    if (OutOfBudget()) return SearchOutcome::kUnknown;
    ++steps_;
    const Operation& op = Op(node.op);
    // An unknown-outcome call that leaves the state as it is need not be
    // linearized now: deferring it to the end (where its return lies) keeps
    // every option open.
    if (!model_.Step(state, op, &next) || (!op.ok && next == state)) {
      entry = node.next;
      continue;
    }
    // A read that fits now can always be moved to now from wherever a
    // linearization would put it later: every pending operation returns
    // after this one's call, and the read changes no state. So it is taken
    // without trying alternatives (Lowe's partial-order reduction).
    const bool forced = op.ok && model_.IsReadOnly(op);
    Flip(node.op);
    const MemoView view{bits_, next, static_cast<std::size_t>(
        set_hash_ ^ absl::Hash<absl::string_view>{}(absl::string_view(next)))};
    if (memo.contains(view)) {
      Flip(node.op);
      if (forced) {
        if (!backtrack()) return SearchOutcome::kNotLinearizable;
      } else {
        entry = node.next;
      }
      continue;
    }
    memo.insert(MemoEntry{bits_, next, view.hash});
    stack_.push_back(Frame{entry, std::move(state), forced});
    state = std::move(next);
    Lift(entry);
    entry = nodes_[0].next;
  }
  return SearchOutcome::kLinearizable;
}

std::string Times(const Operation& op) {
  return op.ok ? absl::StrCat("[", op.call_ns, ", ", op.return_ns, "]")
               : absl::StrCat("[", op.call_ns, ", unknown]");
}

std::string Line(std::span<const Operation> history, const Model& model, std::size_t i) {
  const Operation& op = history[i];
  return absl::StrCat("    #", i, " client ", op.client, " ", Times(op), " ",
                      model.DescribeOperation(op), "\n");
}

std::string Explain(std::span<const Operation> history, const Model& model,
                    const CheckResult& r, const std::string& state) {
  std::string out = absl::StrCat(r.partition, ": not linearizable.\n");
  if (r.linearized.empty()) {
    absl::StrAppend(&out, "  No operation can be linearized first; the initial state is ",
                    model.DescribeState(state), ".\n");
  } else {
    absl::StrAppend(&out, "  The longest linearizable prefix found has ", r.linearized.size(),
                    " operations");
    const std::size_t skip =
        r.linearized.size() > kExplainedPrefix ? r.linearized.size() - kExplainedPrefix : 0;
    if (skip > 0) absl::StrAppend(&out, " (the first ", skip, " not shown)");
    out += ":\n";
    for (std::size_t i = skip; i < r.linearized.size(); ++i) {
      out += Line(history, model, r.linearized[i]);
    }
    absl::StrAppend(&out, "  after which the state is ", model.DescribeState(state), ".\n");
  }
  absl::StrAppend(&out, "  Then this operation returned before it could take effect:\n",
                  Line(history, model, r.stuck));
  absl::StrAppend(&out, "  From that state, no order of the ", r.pending.size(),
                  " operation(s) pending at its return lets it take effect in time:\n");
  for (std::size_t i : r.pending) out += Line(history, model, i);
  return out;
}

// The earliest return time T at which `partition` already has no
// linearization: the operations called by T, those still running at T taken
// as unknown outcomes. Non-linearizability persists once reached (a
// linearization of a longer prefix, cut at T, is one of the shorter), so a
// binary search over return times finds it. nullopt if the budget ran out.
struct Violation {
  std::int64_t time;
  std::size_t op;          // whose return is at `time`
  std::size_t operations;  // called by `time`
};
std::optional<Violation> EarliestViolation(std::span<const Operation> history,
                                           const HistoryPartition& partition,
                                           const Model& model, const CheckOptions& options,
                                           std::int64_t& steps) {
  std::vector<std::pair<std::int64_t, std::size_t>> returns;
  for (std::size_t i : partition.operations) {
    if (history[i].ok) returns.emplace_back(history[i].return_ns, i);
  }
  if (returns.empty()) return std::nullopt;
  std::sort(returns.begin(), returns.end());
  std::vector<Operation> prefix;
  HistoryPartition all;
  const auto build = [&](std::int64_t cutoff) {
    prefix.clear();
    all.operations.clear();
    for (std::size_t i : partition.operations) {
      if (history[i].call_ns > cutoff) continue;
      all.operations.push_back(prefix.size());
      prefix.push_back(history[i]);
      if (prefix.back().return_ns > cutoff) prefix.back().ok = false;
    }
  };
  // The whole partition (the last return) is known to fail.
  std::size_t lo = 0;
  std::size_t hi = returns.size() - 1;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    build(returns[mid].first);
    PartitionSearch search(prefix, all, model, options, steps);
    const SearchOutcome outcome = search.Run();
    if (outcome == SearchOutcome::kUnknown) return std::nullopt;
    if (outcome == SearchOutcome::kNotLinearizable) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  build(returns[lo].first);
  return Violation{returns[lo].first, returns[lo].second, prefix.size()};
}

}  // namespace

std::string_view CheckOutcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kLinearizable: return "linearizable";
    case CheckOutcome::kNotLinearizable: return "not linearizable";
    case CheckOutcome::kUnknown: return "unknown";
  }
  return "?";
}

absl::StatusOr<CheckResult> CheckLinearizability(std::span<const Operation> history,
                                                 const Model& model,
                                                 const CheckOptions& options) {
  if (options.max_steps <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_steps must be positive, got ", options.max_steps));
  }
  if (options.clock == nullptr && options.deadline != absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("a deadline needs a clock: set CheckOptions::clock");
  }
  if (history.size() >= static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("history has ", history.size(), " operations; at most ",
                     std::numeric_limits<int>::max() / 2 - 1, " are supported"));
  }
  for (std::size_t i = 0; i < history.size(); ++i) {
    absl::Status status = ValidateOperation(history[i]);
    if (status.ok()) status = model.Validate(history[i]);
    if (!status.ok()) return Annotate(status, absl::StrCat("operation #", i));
  }
  CheckResult result;
  const std::vector<HistoryPartition> partitions = model.Partition(history);
  for (const HistoryPartition& partition : partitions) {
    ++result.partitions;
    result.operations += partition.operations.size();
    PartitionSearch search(history, partition, model, options, result.steps);
    const SearchOutcome outcome = search.Run();
    if (outcome == SearchOutcome::kNotLinearizable) {
      result.outcome = CheckOutcome::kNotLinearizable;
      result.partition = partition.label;
      result.linearized = std::move(search.best_linearized);
      result.stuck = search.best_stuck;
      result.pending = std::move(search.best_pending);
      result.explanation = Explain(history, model, result, search.best_state);
      if (const auto violation = EarliestViolation(history, partition, model, options,
                                                   result.steps)) {
        result.violation_ns = violation->time;
        result.violation_op = violation->op;
        absl::StrAppend(&result.explanation, "  The earliest prefix without a linearization ends at ",
                        violation->time, ", when #", violation->op, " returned: the ",
                        violation->operations,
                        " operation(s) called by then (those still running counted as "
                        "possibly done) already have none.\n");
      }
      return result;
    }
    if (outcome == SearchOutcome::kUnknown) {
      result.outcome = CheckOutcome::kUnknown;
      result.partition = partition.label;
      result.explanation = absl::StrCat(
          partition.label, ": search stopped after ", result.steps, " steps (",
          options.max_steps <= result.steps ? "max_steps reached" : "deadline passed",
          "); other partitions were not checked.\n");
      return result;
    }
  }
  return result;
}

}  // namespace cohort::testing
