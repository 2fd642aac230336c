// The journal of a resumable upload (UploadFile's journal_path).
//
// A text file of lines, each ending in " crc=<8 hex digits>": the masked
// CRC32C of the line before that suffix.
//
//   cohort-upload-journal v1 bucket=<enc> key=<enc> upload=<enc> part_size=<n>
//       size=<n> mtime_ns=<n> crc=<x>
//   part n=<number> size=<n> etag=<enc> crc=<x>
//   ...
//
// (<enc> is percent-encoded; the header is one line.) The header is written
// to a temporary file, fsynced and renamed into place (then the directory is
// fsynced), so a journal either exists with a whole header or not at all.
// Each completed part is appended and fsynced before it counts as done. A torn
// last line (a crash in the middle of an append) fails its checksum and is
// ignored: that part is sent again.
//
// Thread-safety: none; one upload owns its journal.
#ifndef COHORT_SRC_BLOB_TRANSFER_JOURNAL_H_
#define COHORT_SRC_BLOB_TRANSFER_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::blob::internal {

struct JournalHeader {
  std::string bucket{};
  std::string key{};
  std::string upload_id{};
  std::uint64_t part_size = 0;
  // The source's identity: its size and modification time.
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

struct JournalPart {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag{};
};

struct Journal {
  JournalHeader header{};
  std::vector<JournalPart> parts{};
};

// Encodes one line (without the newline) and decodes it back; exposed for
// tests and the fuzzer. ParseLine: kDataLoss when the checksum or the syntax
// is wrong.
std::string HeaderLine(const JournalHeader& header);
std::string PartLine(const JournalPart& part);
absl::StatusOr<JournalHeader> ParseHeaderLine(std::string_view line);
absl::StatusOr<JournalPart> ParsePartLine(std::string_view line);

// The journal at `path`; nullopt when there is none. kDataLoss when the
// header is damaged (the message says to delete the file); part lines after
// the first damaged one are ignored.
absl::StatusOr<std::optional<Journal>> ReadJournal(const std::string& path);

// Appends completed parts to a journal file.
class JournalWriter {
 public:
  // Writes a new journal holding `header` atomically (replacing any old one).
  // A resumed upload rewrites its journal this way and appends the parts it
  // kept, which also drops a torn last line.
  static absl::StatusOr<JournalWriter> Create(const std::string& path, const JournalHeader& header);
  JournalWriter(JournalWriter&& other) noexcept;
  JournalWriter& operator=(JournalWriter&& other) noexcept;
  ~JournalWriter();

  // Appends the part and fsyncs. kInternal with errno on failure.
  absl::Status Append(const JournalPart& part);

 private:
  explicit JournalWriter(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Removes the journal (OK when it does not exist).
absl::Status RemoveJournal(const std::string& path);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_TRANSFER_JOURNAL_H_
