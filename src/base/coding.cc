#include "base/internal/coding.h"

#include "absl/strings/str_cat.h"

namespace cohort::coding {

void PutVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void PutUtf8(std::uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

absl::StatusOr<std::uint64_t> Reader::Varint(const char* field) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in_.empty()) return Truncated(field);
    const auto byte = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    if (shift == 63 && byte > 1) break;  // would overflow 64 bits
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return absl::DataLossError(absl::StrCat(what_, " field '", field, "' has an overlong varint"));
}

absl::StatusOr<std::string_view> Reader::String(const char* field) {
  absl::StatusOr<std::uint64_t> n = Varint(field);
  if (!n.ok()) return n.status();
  if (*n > in_.size()) return Truncated(field);
  std::string_view s = in_.substr(0, *n);
  in_.remove_prefix(*n);
  return s;
}

absl::Status Reader::ExpectEnd() const {
  if (in_.empty()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(what_, " has ", in_.size(), " unexpected trailing bytes"));
}

absl::Status Reader::Truncated(const char* field) const {
  return absl::DataLossError(absl::StrCat(what_, " truncated in field '", field, "'"));
}

}  // namespace cohort::coding
