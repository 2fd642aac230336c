#include "cohort/ring/ketama.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ring/md5.h"
#include "ring/point_index.h"

namespace cohort::ring {
namespace {

constexpr std::size_t kMaxHostLength = 1024;  // NI_MAXHOST - 1
constexpr int kDefaultPort = 11211;
constexpr std::uint32_t kPointsPerServer = 160;  // MEMCACHED_POINTS_PER_SERVER_KETAMA
constexpr std::uint32_t kPointsPerDigest = 4;

// Bob Jenkins' one-at-a-time hash as libhashkit computes it. libhashkit reads
// the key through `const char*`, so on platforms where char is signed bytes
// >= 0x80 are sign-extended; cohort reproduces that explicitly so the result
// does not depend on the signedness of char here.
std::uint32_t OneAtATime(std::string_view key) {
  std::uint32_t value = 0;
  for (char c : key) {
    value += static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(c)));
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

// Points for one server, bit for bit as libmemcached's update_continuum:
// floor((float)(pct * 160 / 4 * (float)n + 1e-10f)) * 4 with every step in
// single precision. The "+ 1e-10f" is left out on purpose: for a float
// x >= 2^-9 it rounds back to x, and for smaller x the floor is 0 either way;
// dropping it also keeps the compiler from fusing the last multiply and add
// into an FMA, which would change the rounding on FMA-capable targets.
std::uint32_t PointsForServer(std::uint32_t weight, std::uint64_t total_weight,
                              std::uint32_t server_count) {
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float scaled = pct * static_cast<float>(kPointsPerServer);
  scaled = scaled / static_cast<float>(kPointsPerDigest);
  scaled = scaled * static_cast<float>(server_count);
  return static_cast<std::uint32_t>(std::floor(scaled)) * kPointsPerDigest;
}

}  // namespace

struct KetamaRing::Rep {
  KetamaOptions options;
  std::vector<KetamaServer> servers;
  std::vector<std::size_t> points_of;
  internal::PointIndex<std::uint32_t> index;
};

KetamaRing::KetamaRing(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<KetamaRing> KetamaRing::Create(std::vector<KetamaServer> servers,
                                              const KetamaOptions& options) {
  if (servers.size() > (std::size_t{1} << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("KetamaRing supports at most 2^24 servers, got ", servers.size()));
  }
  std::set<std::pair<std::string_view, int>> seen;
  std::uint64_t total_weight = 0;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const KetamaServer& s = servers[i];
    if (s.host.empty() || s.host.size() > kMaxHostLength) {
      return absl::InvalidArgumentError(absl::StrCat(
          "servers[", i, "].host must be 1..", kMaxHostLength, " bytes, got ", s.host.size()));
    }
    if (s.port < 1 || s.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("servers[", i,
                                                     "].port must be in [1, 65535], got ", s.port,
                                                     " (libmemcached's default is 11211)"));
    }
    if (s.weight == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("servers[", i, "].weight must be >= 1, got 0; remove the server instead"));
    }
    if (!seen.emplace(s.host, s.port).second) {
      return absl::InvalidArgumentError(absl::StrCat("servers[", i, "] (", s.host, ":", s.port,
                                                     ") is listed twice; list each ",
                                                     "server once and use its weight instead"));
    }
    total_weight += s.weight;
  }

  auto rep = std::make_shared<Rep>();
  rep->options = options;
  rep->servers = std::move(servers);
  const auto n = static_cast<std::uint32_t>(rep->servers.size());
  using Entry = internal::PointIndex<std::uint32_t>::Entry;
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(n) * kPointsPerServer);
  rep->points_of.reserve(n);
  std::string name;
  for (std::uint32_t i = 0; i < n; ++i) {
    const KetamaServer& s = rep->servers[i];
    const std::uint32_t points = PointsForServer(s.weight, total_weight, n);
    rep->points_of.push_back(points);
    for (std::uint32_t j = 0; j < points / kPointsPerDigest; ++j) {
      name = s.port == kDefaultPort ? absl::StrCat(s.host, "-", j)
                                    : absl::StrCat(s.host, ":", s.port, "-", j);
      const internal::Md5Digest digest = internal::Md5(name);
      for (int w = 0; w < static_cast<int>(kPointsPerDigest); ++w) {
        entries.push_back(Entry{internal::Md5Word(digest, w), i});
      }
    }
  }
  // libmemcached's comparator orders equal points by server index.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.point != b.point ? a.point < b.point : a.node < b.node;
  });
  rep->index = internal::PointIndex<std::uint32_t>(std::move(entries));
  return KetamaRing(std::move(rep));
}

std::uint32_t KetamaRing::KeyHash(std::string_view key) const {
  if (rep_->options.key_hash == KetamaKeyHash::kOneAtATime) return OneAtATime(key);
  return internal::Md5Word(internal::Md5(key), 0);
}

absl::StatusOr<std::size_t> KetamaRing::OwnerIndex(std::string_view key) const {
  if (rep_->index.empty()) {
    return absl::FailedPreconditionError(
        "KetamaRing has no servers; create it with at least one server");
  }
  return rep_->index.OwnerAt(KeyHash(key));
}

const std::vector<KetamaServer>& KetamaRing::servers() const { return rep_->servers; }
std::size_t KetamaRing::PointsOf(std::size_t server_index) const {
  return rep_->points_of[server_index];
}
std::size_t KetamaRing::point_count() const { return rep_->index.size(); }
const KetamaOptions& KetamaRing::options() const { return rep_->options; }

}  // namespace cohort::ring
