// The JSON-lines history parser: a small reader for one flat object per line
// (strings, integers, booleans), written for this shape only so that errors
// can name the field and column, and so that nothing is allocated beyond the
// line being read.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "cohort/testing/history.h"

namespace cohort::testing {
namespace {

enum Field : unsigned {
  kClient = 1u << 0,
  kOp = 1u << 1,
  kKey = 1u << 2,
  kValue = 1u << 3,
  kExpected = 1u << 4,
  kCallNs = 1u << 5,
  kReturnNs = 1u << 6,
  kOk = 1u << 7,
  kOutput = 1u << 8,
  kFound = 1u << 9,
};

std::optional<Field> FieldByName(std::string_view name) {
  if (name == "client") return kClient;
  if (name == "op") return kOp;
  if (name == "key") return kKey;
  if (name == "value") return kValue;
  if (name == "expected") return kExpected;
  if (name == "call_ns") return kCallNs;
  if (name == "return_ns") return kReturnNs;
  if (name == "ok") return kOk;
  if (name == "output") return kOutput;
  if (name == "found") return kFound;
  return std::nullopt;
}

// Quotes at most 40 bytes of untrusted text for an error message.
std::string Excerpt(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 40)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  if (text.size() > 40) out += "...";
  out += "\"";
  return out;
}

void AppendUtf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

struct Value {
  enum class Type { kString, kInteger, kBool } type = Type::kString;
  std::string text;
  std::int64_t integer = 0;
  bool boolean = false;
};

const char* TypeName(Value::Type type) {
  switch (type) {
    case Value::Type::kString: return "a string";
    case Value::Type::kInteger: return "an integer";
    case Value::Type::kBool: return "a boolean";
  }
  return "?";
}

class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  absl::StatusOr<Operation> Parse();

 private:
  absl::Status ErrorAt(std::size_t pos, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat("column ", pos + 1, ": ", what));
  }
  absl::Status Error(const std::string& what) const { return ErrorAt(pos_, what); }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\r')) ++pos_;
  }
  std::string Found() const {
    return AtEnd() ? "end of line" : Excerpt(s_.substr(pos_, 1));
  }
  absl::Status Expect(char c, const std::string& context) {
    SkipSpace();
    if (AtEnd() || Peek() != c) {
      return Error(absl::StrCat("expected '", std::string(1, c), "' ", context, ", found ", Found()));
    }
    ++pos_;
    return absl::OkStatus();
  }
  absl::StatusOr<std::uint32_t> Hex4();
  absl::StatusOr<std::string> String();
  absl::StatusOr<std::int64_t> Integer();
  absl::StatusOr<Value> AnyValue(const std::string& field);

  std::string_view s_;
  std::size_t pos_ = 0;
};

absl::StatusOr<std::uint32_t> LineParser::Hex4() {
  if (s_.size() - pos_ < 4) return Error("\\u escape needs 4 hex digits");
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = s_[pos_ + i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return ErrorAt(pos_ + i, "\\u escape needs 4 hex digits");
    }
  }
  pos_ += 4;
  return v;
}

// At the opening quote.
absl::StatusOr<std::string> LineParser::String() {
  const std::size_t start = pos_;
  ++pos_;
  std::string out;
  for (;;) {
    if (AtEnd()) return ErrorAt(start, "unterminated string");
    const char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      return Error("control character in string (escape it, e.g. \\n or \\u0001)");
    }
    if (c != '\\') {
      out += c;
      ++pos_;
      continue;
    }
    const std::size_t escape = pos_++;
    if (AtEnd()) return ErrorAt(start, "unterminated string");
    switch (s_[pos_++]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        COHORT_ASSIGN_OR_RETURN(std::uint32_t cp, Hex4());
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          return ErrorAt(escape, "lone low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (s_.size() - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
            return ErrorAt(escape, "high surrogate not followed by a \\u low surrogate");
          }
          pos_ += 2;
          COHORT_ASSIGN_OR_RETURN(std::uint32_t low, Hex4());
          if (low < 0xdc00 || low > 0xdfff) {
            return ErrorAt(escape, "high surrogate not followed by a \\u low surrogate");
          }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return ErrorAt(escape, absl::StrCat("invalid escape ", Excerpt(s_.substr(escape, 2))));
    }
  }
}

absl::StatusOr<std::int64_t> LineParser::Integer() {
  const std::size_t start = pos_;
  const bool negative = Peek() == '-';
  if (negative) ++pos_;
  if (AtEnd() || Peek() < '0' || Peek() > '9') return Error("expected a digit");
  if (Peek() == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9') {
    return Error("leading zeros are not allowed in an integer");
  }
  // Accumulate as a negative number: its range is the larger one.
  std::int64_t v = 0;
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
    const int digit = Peek() - '0';
    if (v < (kMin + digit) / 10) return ErrorAt(start, "integer does not fit in 64 bits");
    v = v * 10 - digit;
    ++pos_;
  }
  if (!AtEnd() && (Peek() == '.' || Peek() == 'e' || Peek() == 'E')) {
    return ErrorAt(start, "expected an integer, found a number with a fraction or exponent");
  }
  if (!negative) {
    if (v == kMin) return ErrorAt(start, "integer does not fit in 64 bits");
    v = -v;
  }
  return v;
}

absl::StatusOr<Value> LineParser::AnyValue(const std::string& field) {
  SkipSpace();
  if (AtEnd()) return Error(absl::StrCat("expected a value for \"", field, "\", found end of line"));
  Value value;
  const char c = Peek();
  if (c == '"') {
    value.type = Value::Type::kString;
    COHORT_ASSIGN_OR_RETURN(value.text, String());
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    value.type = Value::Type::kInteger;
    COHORT_ASSIGN_OR_RETURN(value.integer, Integer());
  } else if (s_.substr(pos_, 4) == "true") {
    value.type = Value::Type::kBool;
    value.boolean = true;
    pos_ += 4;
  } else if (s_.substr(pos_, 5) == "false") {
    value.type = Value::Type::kBool;
    pos_ += 5;
  } else if (s_.substr(pos_, 4) == "null") {
    return Error(absl::StrCat("\"", field, "\" must not be null"));
  } else if (c == '{' || c == '[') {
    return Error(absl::StrCat("\"", field, "\" must be a string, integer or boolean, not nested"));
  } else {
    return Error(absl::StrCat("expected a value for \"", field, "\", found ", Found()));
  }
  return value;
}

absl::StatusOr<Operation> LineParser::Parse() {
  Operation op;
  unsigned seen = 0;
  std::size_t op_pos = 0;
  COHORT_RETURN_IF_ERROR(Expect('{', "at the start of an operation"));
  SkipSpace();
  bool first = true;
  while (first ? (AtEnd() || Peek() != '}') : true) {
    if (!first) {
      SkipSpace();
      if (!AtEnd() && Peek() == '}') break;
      COHORT_RETURN_IF_ERROR(Expect(',', "between fields"));
    }
    first = false;
    SkipSpace();
    if (AtEnd() || Peek() != '"') return Error(absl::StrCat("expected a field name, found ", Found()));
    const std::size_t name_pos = pos_;
    COHORT_ASSIGN_OR_RETURN(const std::string name, String());
    const std::optional<Field> field = FieldByName(name);
    if (!field) return ErrorAt(name_pos, absl::StrCat("unknown field ", Excerpt(name)));
    if (seen & *field) return ErrorAt(name_pos, absl::StrCat("duplicate field \"", name, "\""));
    seen |= *field;
    COHORT_RETURN_IF_ERROR(Expect(':', absl::StrCat("after \"", name, "\"")));
    SkipSpace();
    const std::size_t value_pos = pos_;
    COHORT_ASSIGN_OR_RETURN(Value value, AnyValue(name));
    Value::Type want = Value::Type::kString;
    if (*field == kClient || *field == kCallNs || *field == kReturnNs) want = Value::Type::kInteger;
    if (*field == kOk || *field == kFound) want = Value::Type::kBool;
    if (value.type != want) {
      return ErrorAt(value_pos, absl::StrCat("\"", name, "\" must be ", TypeName(want), ", found ",
                                             TypeName(value.type)));
    }
    switch (*field) {
      case kClient: op.client = value.integer; break;
      case kOp:
        op_pos = value_pos;
        if (value.text == "put") {
          op.kind = OpKind::kPut;
        } else if (value.text == "get") {
          op.kind = OpKind::kGet;
        } else if (value.text == "cas") {
          op.kind = OpKind::kCas;
        } else {
          return ErrorAt(value_pos, absl::StrCat("\"op\" must be \"put\", \"get\" or \"cas\", found ",
                                                 Excerpt(value.text)));
        }
        break;
      case kKey: op.key = std::move(value.text); break;
      case kValue: op.value = std::move(value.text); break;
      case kExpected: op.expected = std::move(value.text); break;
      case kCallNs: op.call_ns = value.integer; break;
      case kReturnNs: op.return_ns = value.integer; break;
      case kOk: op.ok = value.boolean; break;
      case kOutput: op.output = std::move(value.text); break;
      case kFound: op.found = value.boolean; break;
    }
  }
  ++pos_;  // '}'
  SkipSpace();
  if (!AtEnd()) return Error(absl::StrCat("unexpected data after the object: ", Found()));

  const auto require = [&](unsigned bit, const std::string& name, const std::string& when) {
    if (seen & bit) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("missing field \"", name, "\"", when));
  };
  COHORT_RETURN_IF_ERROR(require(kClient, "client", ""));
  COHORT_RETURN_IF_ERROR(require(kOp, "op", ""));
  COHORT_RETURN_IF_ERROR(require(kKey, "key", ""));
  COHORT_RETURN_IF_ERROR(require(kCallNs, "call_ns", ""));
  COHORT_RETURN_IF_ERROR(require(kOk, "ok", ""));
  const std::string kind(OpKindName(op.kind));
  if (op.kind != OpKind::kGet) {
    COHORT_RETURN_IF_ERROR(require(kValue, "value", absl::StrCat(" (required for ", kind, ")")));
  }
  if (op.kind == OpKind::kCas) {
    COHORT_RETURN_IF_ERROR(require(kExpected, "expected", " (required for cas)"));
  } else if (seen & kExpected) {
    return ErrorAt(op_pos, absl::StrCat("\"expected\" is only allowed for cas, not ", kind));
  }
  if (op.ok) {
    COHORT_RETURN_IF_ERROR(require(kReturnNs, "return_ns", " (required when ok is true)"));
    if (op.kind != OpKind::kPut) {
      COHORT_RETURN_IF_ERROR(require(
          kOutput, "output", absl::StrCat(" (required for ", kind, " when ok is true)")));
    }
  }
  COHORT_RETURN_IF_ERROR(ValidateOperation(op));
  return op;
}

}  // namespace

absl::Status ValidateOperation(const Operation& op) {
  if (op.found.has_value() && op.kind != OpKind::kGet) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"found\" is only allowed for get, not ", std::string(OpKindName(op.kind))));
  }
  if (!op.ok) return absl::OkStatus();
  if (op.return_ns < op.call_ns) {
    return absl::InvalidArgumentError(absl::StrCat("return_ns (", op.return_ns,
                                                   ") is before call_ns (", op.call_ns, ")"));
  }
  if (op.kind == OpKind::kCas && op.output != "true" && op.output != "false") {
    return absl::InvalidArgumentError(absl::StrCat(
        "cas \"output\" must be \"true\" or \"false\" when ok is true, found ", Excerpt(op.output)));
  }
  if (op.found == false && !op.output.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "get with \"found\": false must have an empty \"output\", found ", Excerpt(op.output)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Operation> ParseOperation(std::string_view line) {
  return LineParser(line).Parse();
}

absl::StatusOr<std::vector<Operation>> ParseHistory(std::string_view text,
                                                    const HistoryLimits& limits) {
  if (limits.max_line_bytes == 0 || limits.max_operations == 0) {
    return absl::InvalidArgumentError("history limits must be positive");
  }
  std::vector<Operation> history;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits.max_line_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("line ", line_number, ": ", line.size(),
                       " bytes is longer than max_line_bytes (", limits.max_line_bytes, ")"));
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (history.size() == limits.max_operations) {
      return absl::ResourceExhaustedError(
          absl::StrCat("line ", line_number, ": more than max_operations (",
                       limits.max_operations, ") operations"));
    }
    absl::StatusOr<Operation> op = ParseOperation(line);
    if (!op.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": ", op.status().message()));
    }
    history.push_back(*std::move(op));
  }
  return history;
}

}  // namespace cohort::testing
