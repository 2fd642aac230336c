#include "blob/s3/xml_reader.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"

namespace cohort::blob::s3 {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameChar(char c) {
  return !IsSpace(c) && c != '>' && c != '/' && c != '=' && c != '<' && c != '"' && c != '\'';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<XmlElement> Run() {
    if (text_.size() > kMaxXmlBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("XML document of ", text_.size(), " bytes exceeds ", kMaxXmlBytes));
    }
    if (absl::Status s = SkipMisc(); !s.ok()) return s;
    if (Peek() != '<') return Error("expected the root element");
    XmlElement root;
    if (absl::Status s = Element(&root, 1); !s.ok()) return s;
    if (absl::Status s = SkipMisc(); !s.ok()) return s;
    if (pos_ != text_.size()) return Error("content after the root element");
    return root;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("malformed XML at offset ", pos_, ": ",
                                                    absl::string_view(what.data(), what.size())));
  }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool StartsWith(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  // Skips past `terminator`; false when it never comes.
  bool SkipPast(std::string_view terminator) {
    const std::size_t at = text_.find(terminator, pos_);
    if (at == std::string_view::npos) return false;
    pos_ = at + terminator.size();
    return true;
  }

  // Whitespace, comments, processing instructions and DOCTYPE around the root.
  absl::Status SkipMisc() {
    while (true) {
      SkipSpace();
      if (StartsWith("<?")) {
        if (!SkipPast("?>")) return Error("unterminated processing instruction");
      } else if (StartsWith("<!--")) {
        if (!SkipPast("-->")) return Error("unterminated comment");
      } else if (StartsWith("<!DOCTYPE")) {
        // Internal subsets may hold entity declarations: refuse rather than
        // half-parse them (S3 never sends one).
        const std::size_t close = text_.find('>', pos_);
        const std::size_t bracket = text_.find('[', pos_);
        if (bracket != std::string_view::npos && bracket < close) {
          return Error("DOCTYPE with an internal subset");
        }
        if (close == std::string_view::npos) return Error("unterminated DOCTYPE");
        pos_ = close + 1;
      } else {
        return absl::OkStatus();
      }
    }
  }

  absl::Status Name(std::string* out) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    if (pos_ == start) return Error("expected a name");
    std::string_view name = text_.substr(start, pos_ - start);
    const std::size_t colon = name.rfind(':');
    if (colon != std::string_view::npos) name.remove_prefix(colon + 1);
    *out = std::string(name);
    return absl::OkStatus();
  }

  absl::Status Entity(std::string* out) {
    const std::size_t end = text_.find(';', pos_);
    if (end == std::string_view::npos || end - pos_ > 12) return Error("bad entity");
    std::string_view entity = text_.substr(pos_ + 1, end - pos_ - 1);
    if (entity == "amp") {
      out->push_back('&');
    } else if (entity == "lt") {
      out->push_back('<');
    } else if (entity == "gt") {
      out->push_back('>');
    } else if (entity == "quot") {
      out->push_back('"');
    } else if (entity == "apos") {
      out->push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      std::uint32_t cp = 0;
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      const absl::string_view d(digits.data(), digits.size());
      if (digits.empty() || !(hex ? absl::SimpleHexAtoi(d, &cp) : absl::SimpleAtoi(d, &cp)) ||
          cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
        return Error("bad character reference");
      }
      coding::PutUtf8(cp, out);
    } else {
      return Error("unknown entity");
    }
    pos_ = end + 1;
    return absl::OkStatus();
  }

  absl::Status Attributes() {
    while (true) {
      SkipSpace();
      const char c = Peek();
      if (c == '>' || c == '/' || c == '\0') return absl::OkStatus();
      std::string ignored;
      if (absl::Status s = Name(&ignored); !s.ok()) return s;
      SkipSpace();
      if (Peek() != '=') return Error("expected '=' in an attribute");
      ++pos_;
      SkipSpace();
      const char quote = Peek();
      if (quote != '"' && quote != '\'') return Error("expected a quoted attribute value");
      const std::size_t close = text_.find(quote, pos_ + 1);
      if (close == std::string_view::npos) return Error("unterminated attribute value");
      pos_ = close + 1;
    }
  }

  absl::Status Element(XmlElement* element, int depth) {
    if (depth > kMaxXmlDepth) return Error("nested too deeply");
    if (++elements_ > kMaxXmlElements) return Error("too many elements");
    ++pos_;  // '<'
    if (absl::Status s = Name(&element->name); !s.ok()) return s;
    if (absl::Status s = Attributes(); !s.ok()) return s;
    if (StartsWith("/>")) {
      pos_ += 2;
      return absl::OkStatus();
    }
    if (Peek() != '>') return Error("expected '>'");
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) return Error(absl::StrCat("unclosed <", element->name, ">"));
      const char c = text_[pos_];
      if (c == '&') {
        if (absl::Status s = Entity(&element->text); !s.ok()) return s;
      } else if (c != '<') {
        element->text.push_back(c);
        ++pos_;
      } else if (StartsWith("</")) {
        pos_ += 2;
        std::string name;
        if (absl::Status s = Name(&name); !s.ok()) return s;
        if (name != element->name) {
          return Error(absl::StrCat("</", name, "> closes <", element->name, ">"));
        }
        SkipSpace();
        if (Peek() != '>') return Error("expected '>'");
        ++pos_;
        return absl::OkStatus();
      } else if (StartsWith("<![CDATA[")) {
        pos_ += 9;
        const std::size_t end = text_.find("]]>", pos_);
        if (end == std::string_view::npos) return Error("unterminated CDATA");
        element->text.append(text_.substr(pos_, end - pos_));
        pos_ = end + 3;
      } else if (StartsWith("<!--")) {
        if (!SkipPast("-->")) return Error("unterminated comment");
      } else if (StartsWith("<?")) {
        if (!SkipPast("?>")) return Error("unterminated processing instruction");
      } else {
        element->children.emplace_back();
        if (absl::Status s = Element(&element->children.back(), depth + 1); !s.ok()) return s;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  return c == nullptr ? std::string() : c->text;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child_name) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == child_name) out.push_back(&c);
  }
  return out;
}

absl::StatusOr<XmlElement> ParseXml(std::string_view document) {
  return Parser(document).Run();
}

}  // namespace cohort::blob::s3
