#include "blob/file_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "blob/file_io.h"
#include "blob/file_keys.h"

namespace cohort::blob::internal {
namespace {

struct Entry {
  std::string name;
  bool is_dir = false;
  std::string sort_key;  // name, or name + "/" for a directory
};

// The entries of `path` (reserved ones included, "." and ".." not).
// A directory that vanished reads as empty: a concurrent Delete pruned it.
absl::StatusOr<std::vector<Entry>> ReadDirectory(const std::string& path) {
  std::vector<Entry> entries;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return entries;
    return ErrnoStatus(errno, "opendir", path);
  }
  while (true) {
    errno = 0;
    const dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    Entry entry;
    entry.name = std::string(name);
    if (e->d_type == DT_DIR) {
      entry.is_dir = true;
    } else if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st;
      if (::fstatat(::dirfd(dir), e->d_name, &st, 0) != 0) continue;
      entry.is_dir = S_ISDIR(st.st_mode);
    }
    entry.sort_key = entry.is_dir ? entry.name + "/" : entry.name;
    entries.push_back(std::move(entry));
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoStatus(err, "readdir", path);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  return entries;
}

// Returns false when the walk must stop (the page is full).
absl::StatusOr<bool> Walk(const std::string& path, const std::string& key_prefix,
                          ListAccumulator& acc, const AttributeReader& read) {
  auto entries = ReadDirectory(path);
  if (!entries.ok()) return entries.status();
  for (const Entry& entry : *entries) {
    if (IsReservedName(entry.name)) continue;
    std::string key = key_prefix + entry.name;
    if (entry.is_dir) {
      key.push_back('/');
      if (!acc.WantsSubtree(key)) continue;
      auto more = Walk(path + "/" + entry.name, key, acc, read);
      if (!more.ok() || !*more) return more;
      continue;
    }
    if (key < acc.start()) continue;
    switch (acc.Offer(key)) {
      case ListAccumulator::Action::kSkip:
        break;
      case ListAccumulator::Action::kDone:
        return false;
      case ListAccumulator::Action::kAddEntry: {
        auto attributes = read(key);
        if (absl::IsNotFound(attributes.status())) {
          acc.DropEntry();
        } else if (!attributes.ok()) {
          return attributes.status();
        } else {
          acc.AddEntry(*std::move(attributes));
        }
        break;
      }
    }
  }
  return true;
}

absl::Status RemoveTemps(const std::string& path, int& removed) {
  auto entries = ReadDirectory(path);
  if (!entries.ok()) return entries.status();
  for (const Entry& entry : *entries) {
    const std::string child = path + "/" + entry.name;
    if (entry.is_dir) {
      if (!IsReservedName(entry.name)) {
        if (absl::Status s = RemoveTemps(child, removed); !s.ok()) return s;
      }
    } else if (std::string_view(entry.name).starts_with(kTempPrefix)) {
      if (::unlink(child.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus(errno, "unlink stale temporary file", child);
      }
      ++removed;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ListPage> WalkForList(const std::string& root, ListAccumulator acc,
                                     const AttributeReader& read) {
  auto walked = Walk(root, "", acc, read);
  if (!walked.ok()) return walked.status();
  return std::move(acc).Finish();
}

absl::StatusOr<int> RemoveTemporaryFiles(const std::string& root) {
  int removed = 0;
  if (absl::Status s = RemoveTemps(root, removed); !s.ok()) return s;
  return removed;
}

}  // namespace cohort::blob::internal
