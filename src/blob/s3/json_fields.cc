#include "blob/s3/json_fields.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"

namespace cohort::blob::s3 {
namespace {

// Nesting beyond this is not a credentials document; refusing it bounds the
// recursion on hostile input.
constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::map<std::string, std::string>> Run() {
    std::map<std::string, std::string> fields;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    SkipSpace();
    if (Consume('}')) return Finish(std::move(fields));
    while (true) {
      SkipSpace();
      std::string key;
      if (absl::Status s = String(&key); !s.ok()) return s;
      SkipSpace();
      if (!Consume(':')) return Error("expected ':'");
      SkipSpace();
      if (Peek() == '"') {
        std::string value;
        if (absl::Status s = String(&value); !s.ok()) return s;
        fields[std::move(key)] = std::move(value);
      } else if (absl::Status s = SkipValue(0); !s.ok()) {
        return s;
      }
      SkipSpace();
      if (Consume('}')) return Finish(std::move(fields));
      if (!Consume(',')) return Error("expected ',' or '}'");
    }
  }

 private:
  absl::StatusOr<std::map<std::string, std::string>> Finish(
      std::map<std::string, std::string> fields) {
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing characters");
    return fields;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed JSON at offset ", pos_, ": ", absl::string_view(what.data(), what.size())));
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume(char c) {
    if (Peek() != c || pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  absl::Status Hex4(std::uint32_t* value) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      int digit = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
      if (digit < 0) return Error("bad \\u escape");
      *value = *value * 16 + static_cast<std::uint32_t>(digit);
    }
    return absl::OkStatus();
  }

  absl::Status String(std::string* out) {
    if (!Consume('"')) return Error("expected a string");
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (absl::Status s = Hex4(&cp); !s.ok()) return s;
          if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::uint32_t low = 0;
            if (absl::Status s = Hex4(&low); !s.ok()) return s;
            if (low < 0xDC00 || low >= 0xE000) return Error("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          coding::PutUtf8(cp, out);
          break;
        }
        default: return Error("bad escape");
      }
    }
    return Error("unterminated string");
  }

  absl::Status SkipValue(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    const char c = Peek();
    if (c == '"') {
      std::string ignored;
      return String(&ignored);
    }
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++pos_;
      SkipSpace();
      if (Consume(close)) return absl::OkStatus();
      while (true) {
        SkipSpace();
        if (c == '{') {
          std::string ignored;
          if (absl::Status s = String(&ignored); !s.ok()) return s;
          SkipSpace();
          if (!Consume(':')) return Error("expected ':'");
          SkipSpace();
        }
        if (absl::Status s = SkipValue(depth + 1); !s.ok()) return s;
        SkipSpace();
        if (Consume(close)) return absl::OkStatus();
        if (!Consume(',')) return Error("expected ','");
      }
    }
    // A number or a literal: consume its characters.
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.0123456789eEtruefalsn").find(text_[pos_]) !=
                                      std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) return Error("expected a value");
    const std::string_view token = text_.substr(start, pos_ - start);
    if ((token[0] >= 'a' && token[0] <= 'z') && token != "true" && token != "false" &&
        token != "null") {
      return Error("bad literal");
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseJsonStringFields(std::string_view json) {
  return Parser(json).Run();
}

}  // namespace cohort::blob::s3
