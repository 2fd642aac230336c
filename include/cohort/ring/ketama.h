// KetamaRing: placement identical, key for key, to libmemcached's weighted
// ketama continuum.
//
// Pick KetamaRing when cohort must agree with memcached clients built on
// libmemcached (its C API, or wrappers over it such as pylibmc and PHP's
// memcached extension, in weighted ketama mode) about which server owns a
// key, for example to migrate a fleet gradually or to run a proxy next to
// existing clients. Other "ketama" clients name their points differently
// (original libketama, spymemcached, twemproxy); this is not their placement.
//
// Compatibility contract (checked against libmemcached 1.1.4 itself by
// tests/ring/ketama_libmemcached_test.cc): for the same server list, in the
// same order, OwnerIndex(key) == memcached_generate_hash(memc, key) for a
// memcached_st configured with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED = 1 and the
// servers added with memcached_server_add_with_weight(host, port, weight).
// With KetamaKeyHash::kOneAtATime it instead matches a memcached_st set to
// MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA with at least one weight > 1 (that
// combination builds the weighted MD5 continuum but keeps libmemcached's
// default one-at-a-time key hash). The continuum is:
//   * server i gets floor(pct_i * 40 * n) * 4 points, computed in float as
//     libmemcached does, where pct_i = weight_i / sum of weights and n is the
//     number of servers (a very light server can get 0 points);
//   * its points come from MD5("host-j") for port 11211 and MD5("host:port-j")
//     otherwise (j = 0, 1, ...), four little-endian 32-bit words per digest;
//   * a key hashes to the first little-endian word of MD5(key); its owner is
//     the server of the first point >= that hash, wrapping to the lowest;
//     equal points are ordered by server index.
// `host` is used verbatim (no DNS, no lower-casing): "10.0.0.1" and
// "cache-1.example" place differently, exactly as in libmemcached.
// Not covered: libmemcached's unweighted MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA
// without weights (100 points hashed with the key hash), the spymemcached
// variant (_KETAMA_SPY), auto-ejection and MEMCACHED_BEHAVIOR_SORT_HOSTS
// (sort your list the same way instead).
//
// Thread-safety: immutable after Create; copies share state; all const
// methods may be called concurrently.
#ifndef COHORT_RING_KETAMA_H_
#define COHORT_RING_KETAMA_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cohort::ring {

struct KetamaServer {
  // Host name or IP literal exactly as the memcached clients are given it.
  // Must be non-empty and at most 1024 bytes (libmemcached's NI_MAXHOST).
  // Default: empty (must be set).
  std::string host{};
  // TCP port in [1, 65535]; 11211 is written without ":port" in the point
  // names, as libmemcached does.
  // Default: 11211.
  int port = 11211;
  // Relative weight; must be >= 1.
  // Default: 1.
  std::uint32_t weight = 1;
};

enum class KetamaKeyHash {
  // First little-endian word of MD5(key): MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED.
  kMd5,
  // Bob Jenkins' one-at-a-time hash: libmemcached's MEMCACHED_HASH_DEFAULT.
  kOneAtATime,
};

struct KetamaOptions {
  // How keys are hashed onto the continuum.
  // Default: KetamaKeyHash::kMd5.
  KetamaKeyHash key_hash = KetamaKeyHash::kMd5;
};

class KetamaRing {
 public:
  // Builds the continuum for `servers` (order matters, as in libmemcached:
  // OwnerIndex returns positions in this list). An empty list is allowed;
  // lookups on it return FailedPrecondition.
  // Returns InvalidArgument for an empty or over-long host, a port outside
  // [1, 65535], a weight of 0, or a (host, port) listed twice. (libmemcached
  // silently reads weight 0 as 1 and port 0 as 11211; pass those explicitly.)
  static absl::StatusOr<KetamaRing> Create(std::vector<KetamaServer> servers,
                                           const KetamaOptions& options = {});

  // Position in servers() of the owner of `key`: the value
  // memcached_generate_hash returns. Returns FailedPrecondition when there are
  // no servers.
  absl::StatusOr<std::size_t> OwnerIndex(std::string_view key) const;

  // The 32-bit continuum position of `key` under options().key_hash.
  std::uint32_t KeyHash(std::string_view key) const;

  const std::vector<KetamaServer>& servers() const;
  // Continuum points of servers()[server_index]; requires a valid index.
  std::size_t PointsOf(std::size_t server_index) const;
  // Total continuum points.
  std::size_t point_count() const;
  const KetamaOptions& options() const;

 private:
  struct Rep;
  explicit KetamaRing(std::shared_ptr<const Rep> rep);

  std::shared_ptr<const Rep> rep_;
};

}  // namespace cohort::ring

#endif  // COHORT_RING_KETAMA_H_
