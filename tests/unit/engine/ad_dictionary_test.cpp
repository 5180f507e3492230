// AdDictionary across shards: global indexes follow first appearance over all shards, in every
// commit, whatever the shard count (the engines and the device dictionary rely on it), checked
// against a plain first-appearance numbering; the names and their order keys land in the
// table the same when a pool of threads copies them in.
#include "host/engine/ad_dictionary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "host/common/bytes_hash.h"

namespace clickagg {
namespace {

// The first 16 bytes as two big-endian words, zero-padded: written out byte by byte.
NameKey expected_key(const std::string& n) {
  NameKey k;
  for (size_t i = 0; i < 16; ++i) {
    const uint64_t b = i < n.size() ? static_cast<unsigned char>(n[i]) : 0;
    if (i < 8) k.hi |= b << (8 * (7 - i));
    else k.lo |= b << (8 * (15 - i));
  }
  return k;
}

TEST(AdDictionary, GlobalIndexesFollowFirstAppearanceOverShards) {
  for (unsigned shards : {1u, 2u, 3u, 8u}) {
    std::mt19937_64 rng(shards);
    AdDictionary dict(shards);
    // Committed on as many threads as shards (up to 3): a first batch of thousands of new
    // names is copied in by all of them.
    ThreadPool threads(std::min(shards, 3u));
    std::map<std::string, uint32_t> want;  // name -> first-appearance number
    std::vector<std::string> pool;
    for (int i = 0; i < 20000; ++i)
      pool.push_back((i % 11 ? "ad" : "") + std::to_string(rng() % 1'000'000) + (i % 7 ? "" : "-long-name-past-15"));
    uint64_t event = 0;
    for (int batch = 0; batch < 6; ++batch) {
      std::vector<std::string> names;
      for (int k = 0; k < 9000; ++k) names.push_back(pool[rng() % pool.size()]);
      std::vector<std::pair<unsigned, uint32_t>> got;
      for (const std::string& n : names) {
        const uint64_t h = bytes_hash64(n.data(), n.size());
        const unsigned s = dict.shard_of(h);
        got.emplace_back(s, dict.intern(s, h, n, event++));
        want.try_emplace(n, static_cast<uint32_t>(want.size()));
      }
      dict.commit(&threads);
      ASSERT_EQ(dict.size(), want.size());
      for (size_t k = 0; k < names.size(); ++k) {
        ASSERT_EQ(dict.global(got[k].first, got[k].second), want.at(names[k]))
            << shards << " shards, batch " << batch << ", " << names[k];
        ASSERT_EQ(dict.name_table().name(want.at(names[k])), names[k]);
        ASSERT_EQ(dict.name_table().key(want.at(names[k])), expected_key(names[k]));
      }
    }
  }
}

}  // namespace
}  // namespace clickagg
