#include "conformance.h"

#include <cstdlib>
#include <filesystem>
#include <span>

#include "cohort/testing/status_matchers.h"

namespace cohort::blob::testing {

std::string BackendName(const ::testing::TestParamInfo<BlobBackend>& info) {
  return info.param.name;
}

void PrintTo(const BlobBackend& backend, std::ostream* os) { *os << backend.name; }

std::string MakeScratchDirectory() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/cohort-blob-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
    return "";
  }
  return pattern;
}

void RemoveTree(const std::string& path) {
  if (path.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

std::string PatternBytes(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (std::size_t i = 0; i < size; ++i) {
    if (i % 8 == 0) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    out[i] = static_cast<char>((x >> (8 * (i % 8))) + i / 8);
  }
  return out;
}

void BlobConformanceTest::SetUp() {
  if (GetParam().start_time) clock_.SetTime(GetParam().start_time());
  ctx_.executor = driver_.io().get_executor();
  ctx_.clock = &clock_;
  ctx_.seed = 361;
  scratch_ = MakeScratchDirectory();
  auto opened = GetParam().open(ctx_, scratch_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  storage_ = std::move(*opened);
}

void BlobConformanceTest::TearDown() {
  storage_.reset();
  RemoveTree(scratch_);
}

absl::Time BlobConformanceTest::StoredTime(const BlobAttributes& written) {
  if (traits().client_clock_times) return written.modified;
  absl::StatusOr<BlobAttributes> stat = Stat(written.key);
  EXPECT_TRUE(stat.ok()) << stat.status();
  if (!stat.ok()) return absl::InfinitePast();
  EXPECT_EQ(stat->etag, written.etag) << "the object changed before its time was read";
  return stat->modified;
}

absl::StatusOr<BlobAttributes> BlobConformanceTest::Put(std::string_view key,
                                                        std::string_view data,
                                                        const PutOptions& options) {
  return driver_.Run(storage_->Put(key, data, options));
}

absl::StatusOr<std::string> BlobConformanceTest::Get(std::string_view key,
                                                     const GetOptions& options) {
  return driver_.Run(storage_->Get(key, options));
}

absl::StatusOr<BlobAttributes> BlobConformanceTest::Stat(std::string_view key) {
  return driver_.Run(storage_->Stat(key));
}

absl::Status BlobConformanceTest::Delete(std::string_view key) {
  return driver_.Run(storage_->Delete(key));
}

absl::StatusOr<ListPage> BlobConformanceTest::List(const ListOptions& options) {
  return driver_.Run(storage_->List(options));
}

absl::StatusOr<BlobAttributes> BlobConformanceTest::Copy(std::string_view from,
                                                         std::string_view to,
                                                         const PutOptions& options) {
  return driver_.Run(storage_->Copy(from, to, options));
}

absl::StatusOr<std::vector<std::string>> BlobConformanceTest::ListAll(ListOptions options) {
  std::vector<std::string> items;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = List(options);
    if (!page.ok()) return page.status();
    // Within a page, entries and prefixes interleave in key order.
    std::vector<std::string> merged;
    for (const auto& e : page->entries) merged.push_back(e.key);
    for (const auto& p : page->common_prefixes) merged.push_back(p + "*");
    std::sort(merged.begin(), merged.end(), [](const std::string& a, const std::string& b) {
      auto strip = [](const std::string& s) {
        return s.ends_with('*') ? std::string_view(s).substr(0, s.size() - 1) : std::string_view(s);
      };
      return strip(a) < strip(b);
    });
    items.insert(items.end(), merged.begin(), merged.end());
    if (page->next_page_token.empty()) return items;
    options.page_token = page->next_page_token;
  }
  return absl::InternalError("too many pages");
}

absl::StatusOr<std::string> BlobConformanceTest::ReadAll(BlobReader& reader, std::size_t chunk) {
  std::string out;
  std::vector<std::byte> buffer(chunk);
  while (true) {
    auto n = driver_.Run(reader.Read(std::span<std::byte>(buffer)));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
}

}  // namespace cohort::blob::testing
