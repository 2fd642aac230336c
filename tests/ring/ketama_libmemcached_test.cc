// KetamaRing against libmemcached itself: for generated server lists and tens
// of thousands of generated keys per list, cohort's owner must equal
// memcached_generate_hash(). No memcached server is needed: the continuum is
// client-side state.
#include <libmemcached-1.0/memcached.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/ring/ketama.h"
#include "gtest/gtest.h"
#include "ring/md5.h"

namespace cohort::ring {
namespace {

struct MemcachedDeleter {
  void operator()(memcached_st* m) const { memcached_free(m); }
};
using Memcached = std::unique_ptr<memcached_st, MemcachedDeleter>;

enum class Mode {
  // memcached_behavior_set(MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1): MD5 keys.
  kKetamaWeighted,
  // MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA plus a weight > 1: the weighted
  // continuum with libmemcached's default (one-at-a-time) key hash.
  kDistributionKetamaWithWeights,
};

Memcached MakeClient(const std::vector<KetamaServer>& servers, Mode mode) {
  Memcached m(memcached_create(nullptr));
  if (mode == Mode::kKetamaWeighted) {
    EXPECT_EQ(memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1),
              MEMCACHED_SUCCESS);
  } else {
    EXPECT_EQ(memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_DISTRIBUTION,
                                     MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA),
              MEMCACHED_SUCCESS);
  }
  for (const KetamaServer& s : servers) {
    EXPECT_EQ(memcached_server_add_with_weight(m.get(), s.host.c_str(),
                                               static_cast<in_port_t>(s.port), s.weight),
              MEMCACHED_SUCCESS);
  }
  return m;
}

// Keys of 1..250 bytes; mostly printable, some with bytes >= 0x80 (which
// one-at-a-time sign-extends) and some of a memcached-typical shape.
std::string RandomKey(Random& rng) {
  const auto len = static_cast<std::size_t>(rng.UniformInRange(1, 250));
  std::string key;
  switch (rng.Uniform(3)) {
    case 0:
      return absl::StrCat("user:", rng.Uniform(1000000), ":profile");
    case 1:
      for (std::size_t i = 0; i < len; ++i)
        key.push_back(static_cast<char>(rng.UniformInRange(33, 126)));
      return key;
    default:
      for (std::size_t i = 0; i < len; ++i) key.push_back(static_cast<char>(rng.Uniform(256)));
      return key;
  }
}

enum class HostKind { kNames, kIps };
enum class PortKind { kDefault, kCustom, kMixed };
enum class WeightKind { kAllOne, kAllEqual, kSmallRange, kWideRange };

std::vector<KetamaServer> MakeServers(Random& rng, int count, HostKind hosts, PortKind ports,
                                      WeightKind weights) {
  std::vector<KetamaServer> out;
  for (int i = 0; i < count; ++i) {
    KetamaServer s;
    s.host = hosts == HostKind::kNames
                 ? absl::StrCat("cache-", i, ".dc", rng.Uniform(3), ".example.com")
                 : absl::StrCat("10.", rng.Uniform(256), ".", i / 256, ".", i % 256);
    switch (ports) {
      case PortKind::kDefault:
        s.port = 11211;
        break;
      case PortKind::kCustom:
        s.port = 20000 + i;
        break;
      case PortKind::kMixed:
        s.port = i % 2 == 0 ? 11211 : static_cast<int>(rng.UniformInRange(1, 65535));
        break;
    }
    switch (weights) {
      case WeightKind::kAllOne:
        s.weight = 1;
        break;
      case WeightKind::kAllEqual:
        s.weight = 5;
        break;
      case WeightKind::kSmallRange:
        s.weight = static_cast<std::uint32_t>(rng.UniformInRange(1, 10));
        break;
      case WeightKind::kWideRange:
        s.weight = static_cast<std::uint32_t>(rng.UniformInRange(1, 100000));
        break;
    }
    out.push_back(s);
  }
  return out;
}

// Compares `keys_per_config` keys; returns the number of mismatches.
int CompareOwners(const std::vector<KetamaServer>& servers, Mode mode, Random& rng,
                  int keys_per_config) {
  const Memcached client = MakeClient(servers, mode);
  const KetamaOptions options{
      .key_hash = mode == Mode::kKetamaWeighted ? KetamaKeyHash::kMd5 : KetamaKeyHash::kOneAtATime};
  const KetamaRing ring = KetamaRing::Create(servers, options).value();
  int mismatches = 0;
  for (int k = 0; k < keys_per_config; ++k) {
    const std::string key = RandomKey(rng);
    const std::uint32_t theirs = memcached_generate_hash(client.get(), key.data(), key.size());
    const std::size_t ours = ring.OwnerIndex(key).value();
    if (ours != theirs && ++mismatches <= 3) {
      ADD_FAILURE() << "servers=" << servers.size() << " key of " << key.size() << " bytes: cohort "
                    << ours << " libmemcached " << theirs;
    }
  }
  return mismatches;
}

TEST(KetamaLibmemcachedTest, WeightedKetamaOwnersMatchKeyForKey) {
  Random rng(380);
  int configs = 0;
  for (int count : {1, 2, 3, 5, 8, 13, 21, 34, 50}) {
    for (HostKind hosts : {HostKind::kNames, HostKind::kIps}) {
      for (PortKind ports : {PortKind::kDefault, PortKind::kCustom, PortKind::kMixed}) {
        for (WeightKind weights : {WeightKind::kAllOne, WeightKind::kAllEqual,
                                   WeightKind::kSmallRange, WeightKind::kWideRange}) {
          const auto servers = MakeServers(rng, count, hosts, ports, weights);
          // Every 4th configuration gets the full 20000 keys, the rest 5000,
          // to keep the run short while covering 216 server lists.
          const int keys = configs % 4 == 0 ? 20000 : 5000;
          EXPECT_EQ(CompareOwners(servers, Mode::kKetamaWeighted, rng, keys), 0)
              << "config " << configs << " with " << count << " servers";
          ++configs;
        }
      }
    }
  }
  EXPECT_EQ(configs, 216);
}

TEST(KetamaLibmemcachedTest, ManyKeysOnLargeWeightedLists) {
  Random rng(1380);
  for (int count : {10, 50}) {
    const auto servers =
        MakeServers(rng, count, HostKind::kIps, PortKind::kMixed, WeightKind::kSmallRange);
    EXPECT_EQ(CompareOwners(servers, Mode::kKetamaWeighted, rng, 100000), 0);
  }
}

TEST(KetamaLibmemcachedTest, ConsistentKetamaWithWeightsUsesOneAtATimeKeys) {
  Random rng(77);
  for (int count : {2, 5, 17, 50}) {
    auto servers =
        MakeServers(rng, count, HostKind::kNames, PortKind::kMixed, WeightKind::kSmallRange);
    servers[0].weight = 2;  // libmemcached switches to the weighted continuum on weight > 1
    EXPECT_EQ(CompareOwners(servers, Mode::kDistributionKetamaWithWeights, rng, 20000), 0);
  }
}

TEST(KetamaLibmemcachedTest, Md5MatchesLibhashkit) {
  Random rng(5);
  for (int i = 0; i < 20000; ++i) {
    const std::string key = RandomKey(rng);
    ASSERT_EQ(internal::Md5Word(internal::Md5(key), 0),
              memcached_generate_hash_value(key.data(), key.size(), MEMCACHED_HASH_MD5));
  }
}

TEST(KetamaLibmemcachedTest, OneAtATimeMatchesLibhashkit) {
  const KetamaRing ring =
      KetamaRing::Create({{"a", 11211, 1}}, {.key_hash = KetamaKeyHash::kOneAtATime}).value();
  Random rng(6);
  for (int i = 0; i < 20000; ++i) {
    const std::string key = RandomKey(rng);
    ASSERT_EQ(ring.KeyHash(key),
              memcached_generate_hash_value(key.data(), key.size(), MEMCACHED_HASH_DEFAULT));
  }
}

TEST(KetamaLibmemcachedTest, ComparisonDetectsAWrongKeyHash) {
  // Negative control: the comparison is not vacuous. The same continuum with
  // the other key hash disagrees with libmemcached on most keys.
  const std::vector<KetamaServer> servers = {
      {"a.example", 11211, 1}, {"b.example", 11212, 3}, {"10.0.0.3", 11211, 2}};
  const Memcached client = MakeClient(servers, Mode::kKetamaWeighted);
  const KetamaRing wrong =
      KetamaRing::Create(servers, {.key_hash = KetamaKeyHash::kOneAtATime}).value();
  int mismatches = 0;
  for (int k = 0; k < 10000; ++k) {
    const std::string key = absl::StrCat("key", k);
    mismatches += wrong.OwnerIndex(key).value() !=
                  memcached_generate_hash(client.get(), key.data(), key.size());
  }
  EXPECT_GT(mismatches, 4000);
}

}  // namespace
}  // namespace cohort::ring
