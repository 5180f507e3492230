// One writer and several reader connections on the same database at once, as `clickagg run`
// and `clickagg serve` use it: readers never fail or see a half-written batch.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "host/store/aggregate_store.h"
#include "host/store/popular_ads.h"
#include "host/store/store_pool.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

class ConcurrentReadersTest : public clickagg::testing::BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentReadersTest, clickagg::testing::all_backends(),
                         clickagg::testing::backend_name);

TEST_P(ConcurrentReadersTest, ReadersSeeWholeBatchesWhileTheWriterCommits) {
  auto w = writer();
  StorePool pool([&] { return reader(); });
  constexpr int kMinutes = 150;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> reads{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      int64_t last_seen = -1;
      while (!done.load()) {
        try {
          auto store = pool.acquire();
          const auto top = popular_ads(*store, 10, 1, 0);
          if (!top) continue;
          // Every batch writes minute m with a = m + 1 and b = 1 plus its list, together.
          if (top->minute < last_seen) ++failures;
          last_seen = top->minute;
          if (top->entries.size() != 2 ||
              top->entries[0] != NamedEntry{"a", static_cast<uint64_t>(top->minute) + 1})
            ++failures;
          if (store->aggregated_count("a", 0, top->minute + 1, 0) <
              static_cast<uint64_t>((top->minute + 1) * (top->minute + 2) / 2))
            ++failures;
          ++reads;
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });

  for (int64_t m = 0; m < kMinutes; ++m) {
    ResultBatch b;
    b.top_n = 10;
    const uint64_t a = static_cast<uint64_t>(m) + 1;
    b.windows.push_back(make_window(m, {{"a", 0, a}, {"b", 0, 1}}, false));
    b.topn.push_back(make_list(m, 1, 0, false, {{"a", a}, {"b", 1}}));
    w->write(b);
    std::this_thread::yield();
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0u);
}

}  // namespace
}  // namespace clickagg::store
