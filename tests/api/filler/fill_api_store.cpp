// Writes the small aggregate store the OpenAPI contract test serves: a few minutes of counts
// under filters 0 and 12, top-N lists for windows 1, 5 and 60, progress values with a
// consumer lag, the filter table and a reconciliation, all through the store's write path.
// Usage: api_test_store DB   (a SQLite path or a PostgreSQL URI)
#include <cstdio>
#include <exception>

#include "host/common/time_util.h"
#include "host/store/aggregate_store.h"

int main(int argc, char** argv) {
  using namespace clickagg;
  if (argc != 2) {
    std::fprintf(stderr, "usage: api_test_store DB\n");
    return 2;
  }
  try {
    const int64_t base = *parse_minute("202101010000");
    auto store = store::open_store(argv[1], store::OpenMode::Writer);
    store::ResultBatch b;
    b.top_n = 3;
    // Minutes 00:00..00:09: ad001 gets i + 1 clicks in minute i, ad002 10 in even minutes,
    // ad003 one in minute 9; filter 12 sees ad001 in every third minute.
    for (int64_t i = 0; i < 10; ++i) {
      std::vector<NamedRow> rows{{"ad001", 0, static_cast<uint64_t>(i + 1)}};
      if (i % 2 == 0) rows.push_back({"ad002", 0, 10});
      if (i == 9) rows.push_back({"ad003", 0, 1});
      if (i % 3 == 0) rows.push_back({"ad001", 12, 1});
      b.windows.push_back(make_window(base + i, rows));
    }
    const int64_t last = base + 9;
    b.topn.push_back(make_list(last, 1, 0, false, {{"ad001", 10}, {"ad003", 1}}));
    b.topn.push_back(make_list(last, 5, 0, false, {{"ad001", 40}, {"ad002", 20}, {"ad003", 1}}));
    b.topn.push_back(make_list(last, 60, 0, false, {{"ad001", 55}, {"ad002", 50}, {"ad003", 1}}));
    b.topn.push_back(make_list(last, 1, 12, false, {{"ad001", 1}}));
    store::Progress p;
    p.events = 120;
    p.counted = 106;
    p.late_counted = 3;
    p.duplicates = 9;
    p.dropped_late = 2;
    p.rejected = 3;
    p.windows_closed = 10;
    p.corrections = 1;
    p.consumer_lag = 42;
    b.progress = p;
    store->write(b);
    store->set_filters({{12, "us"}, {14, "europe"}});
    store->record_reconcile({1609459800000, base, base + 10, 26, 0});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "api_test_store: %s\n", e.what());
    return 1;
  }
  return 0;
}
