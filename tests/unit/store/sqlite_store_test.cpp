// What is specific to SQLite: the file, its journal mode and its locations. The store contract
// itself runs on every backend (store_contract_test.cpp).
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>

#include "host/store/aggregate_store.h"
#include "host/store/schema.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::store {
namespace {

using clickagg::testing::TempDir;

ResultBatch batch_of(int64_t minute, std::vector<NamedRow> rows) {
  ResultBatch b;
  b.windows.push_back(make_window(minute, rows, false));
  return b;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string path = dir.file("agg.db");
};

TEST_F(SqliteStoreTest, CreatesVersionedSchemaInWalMode) {
  auto store = open_store(path, OpenMode::Writer);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto one = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(one("PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("SELECT count(*) FROM sqlite_schema WHERE name = 'counts_by_minute'"), "1");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, APlainPathAndASqliteLocationOpenTheSameFile) {
  open_store(path, OpenMode::Writer)->write(batch_of(7, {{"ad1", 0, 3}}));
  auto again = open_store("sqlite:" + path, OpenMode::Writer);
  EXPECT_EQ(again->aggregated_count("ad1", 7, 8, 0), 3u);
  EXPECT_EQ(open_store(path, OpenMode::Reader)->aggregated_count("ad1", 0, 100, 0), 3u);
  EXPECT_THROW(open_store("sqlite:", OpenMode::Writer), StoreError);
}

TEST_F(SqliteStoreTest, ReaderNeedsAnExistingDatabase) {
  EXPECT_THROW(open_store(dir.file("missing.db"), OpenMode::Reader), StoreError);
}

TEST_F(SqliteStoreTest, RefusesForeignDatabases) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_THROW(open_store(path, OpenMode::Writer), StoreError);
  EXPECT_THROW(open_store(path, OpenMode::Reader), StoreError);
}

TEST_F(SqliteStoreTest, AdIdsAreStoredAsExactBytes) {
  auto store = open_store(path, OpenMode::Writer);
  const std::string odd("ad\0x \xc3\xa9", 7);
  store->write(batch_of(1, {{odd, 0, 2}, {"ad", 0, 5}}));
  EXPECT_EQ(store->aggregated_count(odd, 0, 10, 0), 2u);
  EXPECT_EQ(store->aggregated_count("ad", 0, 10, 0), 5u);
}

}  // namespace
}  // namespace clickagg::store
