#include "blob/validation.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "blob/strings.h"

namespace cohort::blob::internal {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is malformed
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Offset of the first malformed UTF-8 byte, or npos.
std::size_t FindBadUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

absl::Status ValidateKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("blob key must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("blob key is ", key.size(),
                                                   " bytes; the limit is ", kMaxKeyBytes));
  }
  if (key.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("blob key must not contain a NUL byte");
  }
  if (std::size_t bad = FindBadUtf8(key); bad != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob key is not valid UTF-8 (at byte ", bad, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredHeaders> NormalizeHeaders(const PutOptions& options) {
  StoredHeaders out;
  out.content_type =
      options.content_type.empty() ? std::string(kDefaultContentType) : options.content_type;
  if (out.content_type.size() > kMaxContentTypeBytes || HasControl(out.content_type) ||
      FindBadUtf8(out.content_type) != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content_type must be at most ", kMaxContentTypeBytes,
        " bytes of printable text (e.g. \"text/plain; charset=utf-8\")"));
  }
  std::size_t total = 0;
  for (const auto& [raw_name, value] : options.metadata) {
    const std::string name = absl::AsciiStrToLower(raw_name);
    if (name.empty() || name.size() > 128) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata name \"", raw_name, "\" must be 1 to 128 characters"));
    }
    for (char c : name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
          c != '.') {
        return absl::InvalidArgumentError(
            absl::StrCat("metadata name \"", raw_name,
                         "\" may hold only letters, digits, '-', '_' and '.'"));
      }
    }
    if (HasControl(value) || FindBadUtf8(value) != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata value of \"", name, "\" must be printable UTF-8 (no control characters)"));
    }
    total += name.size() + value.size();
    if (!out.metadata.emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata name \"", name, "\" is given twice (names are case-insensitive)"));
    }
  }
  if (total > kMaxMetadataBytes) {
    return absl::InvalidArgumentError(absl::StrCat("metadata is ", total,
                                                   " bytes (names plus values); the limit is ",
                                                   kMaxMetadataBytes));
  }
  return out;
}

absl::Status ValidateConditions(const PutOptions& options) {
  if (options.if_absent && options.if_match.has_value()) {
    return absl::InvalidArgumentError(
        "if_absent and if_match exclude each other: set at most one of them");
  }
  if (options.if_match.has_value() && options.if_match->empty()) {
    return absl::InvalidArgumentError("if_match must be a non-empty ETag when set");
  }
  return absl::OkStatus();
}

absl::Status ValidateCopyOptions(const PutOptions& options, const Clock& clock) {
  if (!options.content_type.empty() || !options.metadata.empty()) {
    return absl::InvalidArgumentError(
        "Copy takes the content type and metadata from the source object: leave "
        "PutOptions.content_type and metadata empty");
  }
  if (absl::Status s = ValidateConditions(options); !s.ok()) return s;
  return CheckDeadline(options.deadline, clock, "Copy");
}

absl::Status CheckDeadline(absl::Time deadline, const Clock& clock, std::string_view what) {
  if (deadline == absl::InfiniteFuture() || clock.Now() < deadline) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat(Av(what), " did not complete before its deadline"));
}

absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> ResolveRange(
    const std::optional<ByteRange>& range, std::uint64_t size) {
  if (!range.has_value()) return std::make_pair(std::uint64_t{0}, size);
  if (range->offset > size) {
    return absl::InvalidArgumentError(absl::StrCat("range offset ", range->offset,
                                                   " lies past the end of the object (size ",
                                                   size, ")"));
  }
  if (range->length.has_value() && *range->length == 0) {
    return absl::InvalidArgumentError("range length must be at least 1 when set");
  }
  std::uint64_t end = size;
  if (range->length.has_value() && *range->length < size - range->offset) {
    end = range->offset + *range->length;
  }
  return std::make_pair(range->offset, end);
}

bool EtagMatches(std::string_view current, std::string_view wanted) {
  auto strip = [](std::string_view e) {
    if (e.size() >= 2 && e.front() == '"' && e.back() == '"') return e.substr(1, e.size() - 2);
    return e;
  };
  return strip(current) == strip(wanted);
}

absl::Status ValidateListOptions(const ListOptions& options) {
  if (options.max_results < 1 || options.max_results > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_results must be in [1, 1000], got ", options.max_results));
  }
  if (options.prefix.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix is longer than the longest key (", kMaxKeyBytes, " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace cohort::blob::internal
