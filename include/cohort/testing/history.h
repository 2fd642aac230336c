// Operation histories of a key-value store, as recorded by a test harness,
// and their JSON-lines file format.
//
// One operation per line, a flat JSON object (fields in any order):
//
//   {"client": 3, "op": "put", "key": "x", "value": "v1",
//    "call_ns": 1000, "return_ns": 2000, "ok": true, "output": ""}
//   {"client": 4, "op": "get", "key": "x", "value": "",
//    "call_ns": 1500, "return_ns": 2500, "ok": true, "output": "v1"}
//   {"client": 5, "op": "cas", "key": "x", "expected": "v1", "value": "v2",
//    "call_ns": 3000, "return_ns": 4000, "ok": true, "output": "true"}
//
// Fields:
//   client     integer; who issued the call (informational, any int64).
//   op         "put" | "get" | "cas".
//   key        string.
//   value      string; the value written (put, cas). Optional for get.
//   expected   string; cas only: the value the register must hold for the
//              swap to happen. "" also matches an absent key.
//   call_ns    integer; when the call was invoked.
//   return_ns  integer >= call_ns; when it returned. Optional if ok is false.
//   ok         bool. true: the call returned and `output` is its result.
//              false: the outcome is unknown (timeout, crash). A put or cas
//              may have taken effect at any time after call_ns, or never; a
//              get is ignored.
//   output     string. get: the value read, "" for an absent key. cas:
//              "true" (swapped) or "false" (not swapped). put: ignored.
//              Required for get and cas when ok is true, otherwise optional.
//   found      bool, optional extension for get: false means the key was
//              absent (output must then be ""), true means present (an
//              output of "" is then a present, empty value). Without it, an
//              output of "" matches both an absent key and an empty value.
//
// Unknown fields, duplicate fields, null, floats, nested values and
// trailing data are errors. Strings may use every JSON escape, including
// \uXXXX with surrogate pairs (decoded to UTF-8); other bytes pass through
// unchanged, so keys and values are byte strings. Blank lines are skipped.
// Line endings may be "\n" or "\r\n".
#ifndef COHORT_TESTING_HISTORY_H_
#define COHORT_TESTING_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::testing {

enum class OpKind { kPut, kGet, kCas };

// "put", "get" or "cas".
std::string_view OpKindName(OpKind kind);

// One recorded call. A plain value type.
struct Operation {
  std::int64_t client = 0;
  OpKind kind = OpKind::kGet;
  std::string key{};
  std::string value{};
  std::string expected{};  // cas only
  std::int64_t call_ns = 0;
  std::int64_t return_ns = 0;  // ignored when ok is false
  bool ok = true;
  std::string output{};
  std::optional<bool> found{};  // get only; see the file comment

  friend bool operator==(const Operation&, const Operation&) = default;
};

// Bounds on what ParseHistory accepts, checked before the data is stored.
struct HistoryLimits {
  // Longest accepted line, in bytes (without the line ending).
  // Default: 1 MiB.
  std::size_t max_line_bytes = std::size_t{1} << 20;
  // Most operations accepted in one history.
  // Default: 10'000'000.
  std::size_t max_operations = 10'000'000;
};

// Checks the rules of the file comment that do not concern syntax:
// return_ns >= call_ns when ok, cas output "true"/"false" when ok, "found"
// only on get and consistent with output. Returns OK or InvalidArgument
// naming the offending field.
absl::Status ValidateOperation(const Operation& op);

// Parses one line (without its line ending) into a validated operation.
// Returns InvalidArgument with the column and what was expected.
absl::StatusOr<Operation> ParseOperation(std::string_view line);

// Parses a whole JSON-lines history. Returns InvalidArgument with the
// 1-based line number ("line 7, column 12: ...") for a syntax or validation
// error, or for zero limits; ResourceExhausted when a limit is exceeded.
// Never throws; `text` may contain arbitrary bytes.
absl::StatusOr<std::vector<Operation>> ParseHistory(std::string_view text,
                                                    const HistoryLimits& limits = {});

// One operation as a JSON object on a single line, without a line ending.
// Writes every field of the format ("expected" for cas only, "found" only
// when set). ParseOperation(FormatOperation(op)) == op for any op that
// passes ValidateOperation, except that return_ns is kept as is.
std::string FormatOperation(const Operation& op);

// Every operation followed by "\n".
std::string FormatHistory(std::span<const Operation> history);

}  // namespace cohort::testing

#endif  // COHORT_TESTING_HISTORY_H_
