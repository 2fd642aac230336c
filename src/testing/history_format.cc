// The JSON-lines history writer (the parser is in history.cc).
#include <span>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "cohort/testing/history.h"

namespace cohort::testing {
namespace {

// JSON string escaping. Bytes >= 0x80 are written as they are: keys and
// values are byte strings, and the parser passes them through unchanged.
void AppendQuoted(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kPut: return "put";
    case OpKind::kGet: return "get";
    case OpKind::kCas: return "cas";
  }
  return "?";
}

std::string FormatOperation(const Operation& op) {
  std::string out = absl::StrCat("{\"client\": ", op.client, ", \"op\": \"",
                                 absl::string_view(OpKindName(op.kind).data(),
                                                   OpKindName(op.kind).size()),
                                 "\", \"key\": ");
  AppendQuoted(op.key, out);
  if (op.kind == OpKind::kCas) {
    out += ", \"expected\": ";
    AppendQuoted(op.expected, out);
  }
  out += ", \"value\": ";
  AppendQuoted(op.value, out);
  absl::StrAppend(&out, ", \"call_ns\": ", op.call_ns, ", \"return_ns\": ", op.return_ns,
                  ", \"ok\": ", op.ok ? "true" : "false", ", \"output\": ");
  AppendQuoted(op.output, out);
  if (op.found.has_value()) absl::StrAppend(&out, ", \"found\": ", *op.found ? "true" : "false");
  out += '}';
  return out;
}

std::string FormatHistory(std::span<const Operation> history) {
  std::string out;
  for (const Operation& op : history) {
    out += FormatOperation(op);
    out += '\n';
  }
  return out;
}

}  // namespace cohort::testing
