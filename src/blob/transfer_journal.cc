#include "blob/transfer_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "blob/s3/uri_encode.h"
#include "cohort/base/crc32c.h"

namespace cohort::blob::internal {
namespace {

constexpr absl::string_view kMagic = "cohort-upload-journal v1";
constexpr absl::string_view kCrcField = " crc=";

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Errno(std::string_view call, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(AV(call), " of upload journal ", path, ": ", std::strerror(errno)));
}

std::string Sealed(std::string line) {
  const std::uint32_t crc = crc32c::Mask(crc32c::Value(line));
  return absl::StrCat(line, kCrcField, absl::StrFormat("%08x", crc));
}

absl::Status Damaged(std::string_view why) {
  return absl::DataLossError(absl::StrCat("upload journal line damaged: ", AV(why)));
}

// The line without its checksum, or kDataLoss.
absl::StatusOr<std::string_view> Unseal(std::string_view line) {
  const std::size_t at = line.rfind(std::string_view(kCrcField.data(), kCrcField.size()));
  if (at == std::string_view::npos) return Damaged("no checksum");
  std::uint32_t crc = 0;
  const std::string_view hex = line.substr(at + kCrcField.size());
  if (hex.size() != 8 || !absl::SimpleHexAtoi(absl::string_view(hex.data(), hex.size()), &crc)) {
    return Damaged("bad checksum field");
  }
  const std::string_view body = line.substr(0, at);
  if (crc32c::Mask(crc32c::Value(body)) != crc) return Damaged("checksum mismatch");
  return body;
}

// "name=value" fields after `prefix`, in order; kDataLoss when a name differs.
absl::StatusOr<std::vector<std::string>> Fields(std::string_view body, std::string_view prefix,
                                                const std::vector<std::string_view>& names) {
  if (body.substr(0, prefix.size()) != prefix) return Damaged("unknown line type");
  body.remove_prefix(prefix.size());
  std::vector<std::string> values;
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(body.data(), body.size()), ' ', absl::SkipEmpty());
  if (parts.size() != names.size()) return Damaged("wrong number of fields");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t eq = parts[i].find('=');
    if (eq == absl::string_view::npos || std::string_view(parts[i].data(), eq) != names[i]) {
      return Damaged(absl::StrCat("expected field ", std::string(names[i])));
    }
    absl::StatusOr<std::string> value =
        s3::UriDecode(std::string_view(parts[i].data() + eq + 1, parts[i].size() - eq - 1));
    if (!value.ok()) return Damaged("bad encoding");
    values.push_back(*std::move(value));
  }
  return values;
}

std::string Enc(const std::string& s) { return s3::UriEncode(s, /*keep_slash=*/false); }

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string HeaderLine(const JournalHeader& h) {
  return Sealed(absl::StrCat(kMagic, " bucket=", Enc(h.bucket), " key=", Enc(h.key),
                             " upload=", Enc(h.upload_id), " part_size=", h.part_size,
                             " size=", h.size, " mtime_ns=", h.mtime_ns));
}

std::string PartLine(const JournalPart& p) {
  return Sealed(absl::StrCat("part n=", p.number, " size=", p.size, " etag=", Enc(p.etag)));
}

absl::StatusOr<JournalHeader> ParseHeaderLine(std::string_view line) {
  absl::StatusOr<std::string_view> body = Unseal(line);
  if (!body.ok()) return body.status();
  absl::StatusOr<std::vector<std::string>> f =
      Fields(*body, std::string(kMagic.data(), kMagic.size()) + " ",
             {"bucket", "key", "upload", "part_size", "size", "mtime_ns"});
  if (!f.ok()) return f.status();
  JournalHeader h;
  h.bucket = (*f)[0];
  h.key = (*f)[1];
  h.upload_id = (*f)[2];
  if (!absl::SimpleAtoi((*f)[3], &h.part_size) || !absl::SimpleAtoi((*f)[4], &h.size) ||
      !absl::SimpleAtoi((*f)[5], &h.mtime_ns) || h.upload_id.empty() || h.part_size == 0) {
    return Damaged("bad header values");
  }
  return h;
}

absl::StatusOr<JournalPart> ParsePartLine(std::string_view line) {
  absl::StatusOr<std::string_view> body = Unseal(line);
  if (!body.ok()) return body.status();
  absl::StatusOr<std::vector<std::string>> f = Fields(*body, "part ", {"n", "size", "etag"});
  if (!f.ok()) return f.status();
  JournalPart p;
  if (!absl::SimpleAtoi((*f)[0], &p.number) || p.number < 1 || p.number > 10000 ||
      !absl::SimpleAtoi((*f)[1], &p.size) || (*f)[2].empty()) {
    return Damaged("bad part values");
  }
  p.etag = (*f)[2];
  return p;
}

absl::StatusOr<std::optional<Journal>> ReadJournal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<Journal>();
    return Errno("open", path);
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  std::vector<absl::string_view> split = absl::StrSplit(text, '\n');
  std::vector<std::string_view> lines;
  for (absl::string_view l : split) lines.emplace_back(l.data(), l.size());
  Journal journal;
  absl::StatusOr<JournalHeader> header = ParseHeaderLine(lines.empty() ? "" : lines[0]);
  if (!header.ok()) {
    return absl::DataLossError(absl::StrCat("upload journal ", path,
                                            " has a damaged header (delete it to start the "
                                            "upload over): ",
                                            header.status().message()));
  }
  journal.header = *std::move(header);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    absl::StatusOr<JournalPart> part = ParsePartLine(lines[i]);
    if (!part.ok()) break;  // a torn append: later parts are sent again
    journal.parts.push_back(*std::move(part));
  }
  return std::optional<Journal>(std::move(journal));
}

absl::StatusOr<JournalWriter> JournalWriter::Create(const std::string& path,
                                                    const JournalHeader& header) {
  const std::string temp = absl::StrCat(path, ".tmp");
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", temp);
  JournalWriter writer(fd);
  if (absl::Status s = WriteAll(fd, absl::StrCat(HeaderLine(header), "\n"), temp); !s.ok()) {
    return s;
  }
  if (::fsync(fd) != 0) return Errno("fsync", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) return Errno("rename", path);
  const std::string dir = DirectoryOf(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("open directory", dir);
  const int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return Errno("fsync directory", dir);
  return writer;
}

JournalWriter::JournalWriter(JournalWriter&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

JournalWriter& JournalWriter::operator=(JournalWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status JournalWriter::Append(const JournalPart& part) {
  const std::string line = absl::StrCat(PartLine(part), "\n");
  if (absl::Status s = WriteAll(fd_, line, "append"); !s.ok()) return s;
  if (::fdatasync(fd_) != 0) return Errno("fdatasync", "append");
  return absl::OkStatus();
}

absl::Status RemoveJournal(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink", path);
  return absl::OkStatus();
}

}  // namespace cohort::blob::internal
