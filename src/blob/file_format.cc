#include "blob/file_format.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "blob/file_io.h"
#include "blob/strings.h"
#include "cohort/base/crc32c.h"

namespace cohort::blob::internal {
namespace {

constexpr std::string_view kMagic = "cohblob1";
constexpr std::uint32_t kVersion = 1;

void PutFixed(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutString(std::string& out, std::string_view s) {
  PutFixed(out, s.size(), 4);
  out.append(s);
}

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool Fixed(std::uint64_t& v, int bytes) {
    if (in_.size() < static_cast<std::size_t>(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    }
    in_.remove_prefix(bytes);
    return true;
  }

  bool String(std::string& s) {
    std::uint64_t n;
    if (!Fixed(n, 4) || n > in_.size()) return false;
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }

  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

absl::Status Corrupt(std::string_view key, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("file:// object \"", Av(key), "\" is damaged: ", Av(why)));
}

}  // namespace

std::string EncodeTrailer(const BlobAttributes& attributes) {
  std::string meta;
  PutFixed(meta, kVersion, 4);
  PutFixed(meta, static_cast<std::uint64_t>(absl::ToUnixNanos(attributes.modified)), 8);
  PutString(meta, attributes.etag);
  PutString(meta, attributes.content_type);
  PutFixed(meta, attributes.metadata.size(), 4);
  for (const auto& [name, value] : attributes.metadata) {
    PutString(meta, name);
    PutString(meta, value);
  }
  std::string out = meta;
  PutFixed(out, attributes.size, 8);
  PutFixed(out, meta.size(), 4);
  PutFixed(out, crc32c::Mask(crc32c::Value(meta)), 4);
  out.append(kMagic);
  return out;
}

absl::StatusOr<BlobAttributes> ReadTrailer(int fd, std::string_view key) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(errno, "fstat", key);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size < kFooterBytes) return Corrupt(key, "shorter than its footer");
  std::string footer(kFooterBytes, '\0');
  if (absl::Status s = PreadFull(fd, footer.data(), footer.size(), file_size - kFooterBytes, key);
      !s.ok()) {
    return s;
  }
  Decoder fd_decoder(footer);
  std::uint64_t data_size = 0, meta_len = 0, crc = 0;
  fd_decoder.Fixed(data_size, 8);
  fd_decoder.Fixed(meta_len, 4);
  fd_decoder.Fixed(crc, 4);
  if (std::string_view(footer).substr(16) != kMagic) return Corrupt(key, "bad magic");
  if (meta_len > kMaxAttributeBytes || data_size > file_size ||
      data_size + meta_len + kFooterBytes != file_size) {
    return Corrupt(key, "footer sizes do not add up to the file size");
  }
  std::string meta(meta_len, '\0');
  if (absl::Status s = PreadFull(fd, meta.data(), meta.size(), data_size, key); !s.ok()) return s;
  if (crc32c::Unmask(static_cast<std::uint32_t>(crc)) != crc32c::Value(meta)) {
    return Corrupt(key, "attribute checksum mismatch");
  }
  Decoder d(meta);
  BlobAttributes attributes;
  attributes.key = std::string(key);
  attributes.size = data_size;
  std::uint64_t version = 0, nanos = 0, count = 0;
  if (!d.Fixed(version, 4) || version != kVersion) return Corrupt(key, "unknown format version");
  if (!d.Fixed(nanos, 8) || !d.String(attributes.etag) || !d.String(attributes.content_type) ||
      !d.Fixed(count, 4)) {
    return Corrupt(key, "truncated attributes");
  }
  attributes.modified = absl::FromUnixNanos(static_cast<std::int64_t>(nanos));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string name, value;
    if (!d.String(name) || !d.String(value)) return Corrupt(key, "truncated metadata");
    // Written in map order; anything else was not written by EncodeTrailer.
    if (!attributes.metadata.empty() && name <= attributes.metadata.rbegin()->first) {
      return Corrupt(key, "metadata names out of order");
    }
    attributes.metadata.emplace_hint(attributes.metadata.end(), std::move(name), std::move(value));
  }
  if (!d.done()) return Corrupt(key, "trailing bytes after the attributes");
  return attributes;
}

}  // namespace cohort::blob::internal
