// What is specific to PostgreSQL: its locations, its schema record under concurrent writers,
// and a large window in one statement. The store contract itself runs on every backend
// (store_contract_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include "host/store/schema.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

ResultBatch batch_of(int64_t minute, std::vector<NamedRow> rows) {
  ResultBatch b;
  b.windows.push_back(make_window(minute, rows, false));
  return b;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    backend = clickagg::testing::make_store_backend("postgresql", &skip);
    if (!backend) GTEST_SKIP() << skip;
  }
  std::unique_ptr<clickagg::testing::StoreBackend> backend;
};

TEST_F(PostgresStoreTest, OpenStoreSelectsPostgresByScheme) {
  const std::string loc = backend->location();
  ASSERT_EQ(loc.rfind("postgresql://", 0), 0u) << "CLICKAGG_PG_URL is expected as a URI";
  open_store(loc, OpenMode::Writer)->write(batch_of(3, {{"x", 0, 1}}));
  const std::string short_scheme = "postgres://" + loc.substr(std::string("postgresql://").size());
  EXPECT_EQ(open_store(short_scheme, OpenMode::Reader)->aggregated_count("x", 0, 10, 0), 1u);
  EXPECT_EQ(backend->rows("SELECT version FROM clickagg_schema"),
            (std::vector<std::string>{std::to_string(kSchemaVersion) + "|"}));
}

TEST_F(PostgresStoreTest, UnreachableServerIsAStoreError) {
  EXPECT_THROW(open_store("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", OpenMode::Reader), StoreError);
}

TEST_F(PostgresStoreTest, ConcurrentWritersCreateTheSchemaOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        open_store(backend->location(), OpenMode::Writer).reset();
      } catch (const StoreError&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(backend->rows("SELECT version FROM clickagg_schema"),
            (std::vector<std::string>{std::to_string(kSchemaVersion) + "|"}));
}

TEST_F(PostgresStoreTest, LargeWindowGoesInOneStatement) {
  auto store = open_store(backend->location(), OpenMode::Writer);
  std::vector<NamedRow> rows;
  for (int i = 0; i < 50'000; ++i) rows.push_back(NamedRow{"ad" + std::to_string(i), static_cast<uint16_t>(i % 3), 1});
  std::sort(rows.begin(), rows.end(), [](const NamedRow& a, const NamedRow& b) {
    return std::tie(a.filter_id, a.ad_id) < std::tie(b.filter_id, b.ad_id);
  });
  const auto t0 = std::chrono::steady_clock::now();
  store->write(batch_of(5, rows));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(backend->rows("SELECT count(*) FROM counts"), (std::vector<std::string>{"50000|"}));
  EXPECT_LT(secs, 30.0);
}

}  // namespace
}  // namespace clickagg::store
