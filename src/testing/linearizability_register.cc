// The register-per-key model for the checker.
#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"

namespace cohort::testing {
namespace {

constexpr std::size_t kShownBytes = 64;

// A printable, quoted, truncated rendering of a key or value.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text.substr(0, kShownBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  if (text.size() > kShownBytes) absl::StrAppend(&out, "...(", text.size(), " bytes)");
  return out;
}

// State encoding: "" is an absent key; otherwise kPresent followed by the
// value, so that an empty value differs from absence.
constexpr char kPresent = '\x01';

class RegisterModel final : public Model {
 public:
  absl::Status Validate(const Operation& op) const override {
    switch (op.kind) {
      case OpKind::kPut:
      case OpKind::kGet:
      case OpKind::kCas:
        return absl::OkStatus();
    }
    return absl::InvalidArgumentError("the register model supports put, get and cas only");
  }

  std::vector<HistoryPartition> Partition(std::span<const Operation> history) const override {
    std::map<std::string_view, std::vector<std::size_t>> by_key;
    for (std::size_t i = 0; i < history.size(); ++i) {
      const Operation& op = history[i];
      // A read with an unknown result constrains nothing.
      if (op.kind == OpKind::kGet && !op.ok) continue;
      by_key[op.key].push_back(i);
    }
    std::vector<HistoryPartition> partitions;
    partitions.reserve(by_key.size());
    for (auto& [key, ops] : by_key) {
      partitions.push_back(HistoryPartition{absl::StrCat("key ", Quote(key)), std::move(ops)});
    }
    return partitions;
  }

  std::string Init() const override { return std::string(); }

  bool Step(const std::string& state, const Operation& op, std::string* next) const override {
    const bool present = !state.empty();
    const std::string_view current =
        present ? std::string_view(state).substr(1) : std::string_view();
    switch (op.kind) {
      case OpKind::kPut:
        SetPresent(op.value, next);
        return true;
      case OpKind::kGet:
        if (op.ok) {
          const bool matches = op.found.has_value()
                                   ? *op.found == present && (!present || current == op.output)
                                   : current == op.output;
          if (!matches) return false;
        }
        *next = state;
        return true;
      case OpKind::kCas: {
        // An absent key compares equal to "".
        const bool swaps = current == op.expected;
        if (op.ok && swaps != (op.output == "true")) return false;
        if (swaps) {
          SetPresent(op.value, next);
        } else {
          *next = state;
        }
        return true;
      }
    }
    return false;
  }

  bool IsReadOnly(const Operation& op) const override {
    return op.kind == OpKind::kGet || (op.kind == OpKind::kCas && op.output == "false");
  }

  std::string DescribeOperation(const Operation& op) const override {
    std::string out;
    switch (op.kind) {
      case OpKind::kPut:
        out = absl::StrCat("put(", Quote(op.key), ", ", Quote(op.value), ")");
        break;
      case OpKind::kGet:
        out = absl::StrCat("get(", Quote(op.key), ")");
        break;
      case OpKind::kCas:
        out = absl::StrCat("cas(", Quote(op.key), ", ", Quote(op.expected), " -> ",
                           Quote(op.value), ")");
        break;
    }
    if (!op.ok) return out + " -> unknown outcome";
    if (op.kind == OpKind::kGet) {
      if (op.found == false) return out + " -> absent";
      if (op.found == true) return absl::StrCat(out, " -> ", Quote(op.output));
      return absl::StrCat(out, " -> ", Quote(op.output), op.output.empty() ? " (or absent)" : "");
    }
    if (op.kind == OpKind::kCas) return absl::StrCat(out, " -> ", op.output);
    return out;
  }

  std::string DescribeState(const std::string& state) const override {
    if (state.empty()) return "absent";
    return Quote(std::string_view(state).substr(1));
  }

 private:
  static void SetPresent(const std::string& value, std::string* next) {
    next->assign(1, kPresent);
    next->append(value);
  }
};

}  // namespace

std::unique_ptr<Model> NewRegisterModel() { return std::make_unique<RegisterModel>(); }

}  // namespace cohort::testing
