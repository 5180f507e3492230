// The chunk key packing (device_layout.h): every (minute, slot, ad) within the layout's bounds
// comes back unchanged, keys stay below 2^end_bit (what the chunk's sort looks at), and keys
// order as the tuples do, so a sort groups each (minute, slot, ad) into one run.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/device_layout.h"
#include "tests/gpu/gpu_test_support.h"

namespace clickagg::gputest {
namespace {

TEST(ChunkKeyLayout, RoundTripsAndOrdersLikeTheTuples) {
  std::mt19937_64 rng(7);
  struct Bounds {
    uint64_t ads, slots, minutes;
  };
  const Bounds cases[] = {{1, 1, 1},           {2, 5, 1},          {2'000'000, 5, 3},
                          {40, 1025, 32'768}, {4'294'967'295ull, 1025, 32'768}, {1'000, 2, 2}};
  for (const Bounds& b : cases) {
    const dev::ChunkKeyLayout layout = dev::chunk_key_layout(b.ads, b.slots);
    const int end = layout.end_bit(b.minutes);
    ASSERT_LE(end, 64);
    using Tuple = std::tuple<uint32_t, uint32_t, uint32_t>;
    std::vector<std::pair<unsigned long long, Tuple>> keys;
    for (int k = 0; k < 2000; ++k) {
      // The bounds' edges as often as the inside.
      auto pick = [&](uint64_t n) { return static_cast<uint32_t>(k % 3 == 0 ? n - 1 : k % 3 == 1 ? 0 : rng() % n); };
      const uint32_t m = pick(b.minutes), s = pick(b.slots), a = pick(b.ads);
      const unsigned long long key = layout.key(m, s, a);
      ASSERT_EQ(layout.minute(key), m);
      ASSERT_EQ(layout.count_key_of(key), dev::count_key(s, a));
      if (end < 64) {
        ASSERT_LT(key, 1ull << end);
      }
      keys.emplace_back(key, Tuple{m, s, a});
    }
    std::sort(keys.begin(), keys.end());
    for (size_t k = 1; k < keys.size(); ++k) ASSERT_LE(keys[k - 1].second, keys[k].second);
  }
}

}  // namespace
}  // namespace clickagg::gputest
