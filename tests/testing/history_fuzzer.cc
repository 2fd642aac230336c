// Fuzz target for the JSON-lines history parser, and for the checker on
// whatever parses. Properties: no crash; every parsed operation is valid;
// writing and re-parsing gives the same history; the checker accepts any
// parsed history and its explanation refers to real operations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"
#include "support/fuzz_target.h"

namespace {

using namespace cohort::testing;  // NOLINT

void CheckHistory(const std::vector<Operation>& history) {
  for (const Operation& op : history) {
    if (!ValidateOperation(op).ok()) std::abort();
  }
  auto again = ParseHistory(FormatHistory(history));
  if (!again.ok() || *again != history) std::abort();

  static const std::unique_ptr<Model> model = NewRegisterModel();
  auto result = CheckLinearizability(history, *model, {.max_steps = 10'000});
  if (!result.ok()) std::abort();
  if (result->outcome == CheckOutcome::kNotLinearizable) {
    bool stuck_pending = false;
    for (std::size_t i : result->pending) {
      if (i >= history.size()) std::abort();
      stuck_pending |= i == result->stuck;
    }
    if (!stuck_pending || result->explanation.empty()) std::abort();
    for (std::size_t i : result->linearized) {
      if (i >= history.size()) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto history = ParseHistory(input, {.max_line_bytes = 4096, .max_operations = 64});
  if (history.ok()) CheckHistory(*history);
  // Also the lines that parse on their own, so that the checker sees many
  // histories even when a mutation broke one line.
  std::vector<Operation> valid;
  while (!input.empty() && valid.size() < 64) {
    const std::size_t newline = input.find('\n');
    auto op = ParseOperation(input.substr(0, newline));
    if (op.ok()) valid.push_back(*std::move(op));
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
  }
  CheckHistory(valid);
  return 0;
}
