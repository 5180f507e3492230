#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/store/aggregate_store.h"
#include "host/store/sqlite_schema.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::store {
namespace {

using clickagg::testing::TempDir;

WindowResult window(int64_t minute, std::vector<NamedRow> rows, bool correction = false) {
  return make_window(minute, std::move(rows), correction);
}

ResultBatch batch_of(std::vector<WindowResult> windows, std::vector<TopNList> lists = {}) {
  ResultBatch b;
  b.windows = std::move(windows);
  b.topn = std::move(lists);
  b.top_n = 3;
  return b;
}

// Every row of a table as text, to compare whole database states.
std::vector<std::string> dump(const std::string& path, const char* table, const char* order) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> rows;
  const std::string sql = std::string("SELECT * FROM ") + table + " ORDER BY " + order;
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const auto* text = sqlite3_column_text(st, i);
      row += (text ? reinterpret_cast<const char*>(text) : "NULL");
      row += '|';
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
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
  EXPECT_EQ(one("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("SELECT count(*) FROM sqlite_schema WHERE name = 'counts_by_minute'"), "1");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ReplayingTheSameBatchChangesNothing) {
  auto store = open_store(path, OpenMode::Writer);
  ResultBatch b = batch_of({window(100, {{"ad1", 0, 5}, {"ad2", 0, 2}, {"ad1", 12, 4}}),
                            window(101, {{"ad2", 0, 7}})},
                           {make_list(101, 1, 0, false, {{"ad2", 7}})});
  Progress p;
  p.events = 20;
  p.duplicates = 3;
  p.last_closed_minute = 101;
  b.progress = p;
  store->write(b);
  auto state = [&] {
    auto all = dump(path, "counts", "1, 2, 3");
    for (auto& row : dump(path, "topn", "1, 2, 3, 4")) all.push_back(row);
    for (auto& row : dump(path, "topn_lists", "1, 2, 3")) all.push_back(row);
    for (auto& row : dump(path, "meta", "1")) all.push_back(row);
    return all;
  };
  const auto before = state();
  const auto counts = dump(path, "counts", "1, 2, 3");
  store->write(b);
  store->write(b);
  EXPECT_EQ(state(), before);
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_EQ(store->progress(), p);
}

TEST_F(SqliteStoreTest, CorrectionReplacesTheWholeMinute) {
  auto store = open_store(path, OpenMode::Writer);
  store->write(batch_of({window(100, {{"ad1", 0, 5}, {"ad2", 0, 2}}), window(101, {{"ad1", 0, 1}})}));
  store->write(batch_of({window(100, {{"ad1", 0, 6}, {"ad3", 0, 1}}, /*correction=*/true)}));
  EXPECT_EQ(store->aggregated_count("ad1", 100, 101, 0), 6u);
  EXPECT_EQ(store->aggregated_count("ad2", 100, 101, 0), 0u);  // gone: not in the new minute
  EXPECT_EQ(store->aggregated_count("ad3", 100, 101, 0), 1u);
  EXPECT_EQ(store->aggregated_count("ad1", 101, 102, 0), 1u);  // other minutes untouched
  // A correction does not move the last closed minute back or forward.
  EXPECT_EQ(store->progress().last_closed_minute, 101);
}

TEST_F(SqliteStoreTest, TopNListIsReplacedPerKey) {
  auto store = open_store(path, OpenMode::Writer);
  store->write(batch_of({}, {make_list(100, 1, 0, false, {{"a", 3}, {"b", 2}, {"c", 1}}),
                             make_list(100, 5, 0, false, {{"z", 9}})}));
  store->write(batch_of({}, {make_list(100, 1, 0, true, {{"b", 4}})}));
  auto one = store->topn_list(100, 1, 0);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->entries, (std::vector<NamedEntry>{{"b", 4}}));
  EXPECT_EQ(one->top_n, 3u);
  auto five = store->topn_list(100, 5, 0);
  ASSERT_TRUE(five);
  EXPECT_EQ(five->entries, (std::vector<NamedEntry>{{"z", 9}}));
  EXPECT_FALSE(store->topn_list(100, 1, 7));
  // An empty list is stored as existing.
  store->write(batch_of({}, {make_list(102, 1, 7, false, {})}));
  auto empty = store->topn_list(102, 1, 7);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->entries.empty());
}

TEST_F(SqliteStoreTest, AggregatedCountIsHalfOpenRange) {
  auto store = open_store(path, OpenMode::Writer);
  // ad1 filter 0: minute 10 -> 1, 11 -> 2, 12 -> 4, 13 -> 8; filter 5: minute 11 -> 16.
  store->write(batch_of({window(10, {{"ad1", 0, 1}}), window(11, {{"ad1", 0, 2}, {"ad1", 5, 16}}),
                         window(12, {{"ad1", 0, 4}, {"ad2", 0, 100}}), window(13, {{"ad1", 0, 8}})}));
  EXPECT_EQ(store->aggregated_count("ad1", 10, 14, 0), 15u);
  EXPECT_EQ(store->aggregated_count("ad1", 10, 13, 0), 7u);
  EXPECT_EQ(store->aggregated_count("ad1", 11, 13, 0), 6u);
  EXPECT_EQ(store->aggregated_count("ad1", 12, 12, 0), 0u);  // empty range
  EXPECT_EQ(store->aggregated_count("ad1", 0, 1000, 5), 16u);
  EXPECT_EQ(store->aggregated_count("ad1", 12, 1000, 5), 0u);
  EXPECT_EQ(store->aggregated_count("nope", 0, 1000, 0), 0u);
  EXPECT_EQ(store->aggregated_count("ad1", 14, 10, 0), 0u);  // reversed range
}

TEST_F(SqliteStoreTest, LastClosedMinuteOnlyMovesForward) {
  auto store = open_store(path, OpenMode::Writer);
  EXPECT_FALSE(store->progress().last_closed_minute);
  store->write(batch_of({window(50, {{"a", 0, 1}})}));
  EXPECT_EQ(store->progress().last_closed_minute, 50);
  ResultBatch b;
  Progress p;
  p.last_closed_minute = 40;
  p.rejected = 9;
  b.progress = p;
  store->write(b);
  EXPECT_EQ(store->progress().last_closed_minute, 50);
  EXPECT_EQ(store->progress().rejected, 9u);
  p.last_closed_minute = 60;
  b.progress = p;
  store->write(b);
  EXPECT_EQ(store->progress().last_closed_minute, 60);
}

TEST_F(SqliteStoreTest, ReopenKeepsData) {
  {
    auto store = open_store(path, OpenMode::Writer);
    store->write(batch_of({window(7, {{"ad1", 0, 3}})}, {make_list(7, 1, 0, false, {{"ad1", 3}})}));
    store->set_filters({{12, "us"}, {14, "eu"}});
  }
  auto again = open_store("sqlite:" + path, OpenMode::Writer);
  EXPECT_EQ(again->aggregated_count("ad1", 7, 8, 0), 3u);
  EXPECT_EQ(again->progress().last_closed_minute, 7);
  EXPECT_EQ(again->filters(), (std::vector<FilterInfo>{{12, "us"}, {14, "eu"}}));
  auto reader = open_store(path, OpenMode::Reader);
  EXPECT_EQ(reader->aggregated_count("ad1", 0, 100, 0), 3u);
}

TEST_F(SqliteStoreTest, ReaderSeesWritesAndCannotWrite) {
  auto writer = open_store(path, OpenMode::Writer);
  auto reader = open_store(path, OpenMode::Reader);
  EXPECT_EQ(reader->aggregated_count("ad1", 0, 100, 0), 0u);
  writer->write(batch_of({window(7, {{"ad1", 0, 3}})}));
  EXPECT_EQ(reader->aggregated_count("ad1", 0, 100, 0), 3u);
  EXPECT_THROW(reader->write(batch_of({window(8, {{"ad1", 0, 1}})})), StoreError);
  EXPECT_THROW(reader->set_filters({}), StoreError);
}

TEST_F(SqliteStoreTest, ReaderNeedsAnExistingDatabase) {
  EXPECT_THROW(open_store(dir.file("missing.db"), OpenMode::Reader), StoreError);
}

TEST_F(SqliteStoreTest, RefusesForeignAndNewerDatabases) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_THROW(open_store(path, OpenMode::Writer), StoreError);
  const std::string newer = dir.file("newer.db");
  open_store(newer, OpenMode::Writer).reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(newer.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_THROW(open_store(newer, OpenMode::Writer), StoreError);
  EXPECT_THROW(open_store(newer, OpenMode::Reader), StoreError);
}

TEST_F(SqliteStoreTest, FailedBatchWritesNothing) {
  auto store = open_store(path, OpenMode::Writer);
  ResultBatch b = batch_of({window(1, {{"a", 0, 1}}),
                            window(2, {{"b", 0, static_cast<uint64_t>(INT64_MAX) + 1}})});
  EXPECT_THROW(store->write(b), StoreError);
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 0u);
  EXPECT_FALSE(store->progress().last_closed_minute);
  store->write(batch_of({window(1, {{"a", 0, 1}})}));  // the connection is still usable
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 1u);
}

TEST_F(SqliteStoreTest, AdIdsAreStoredAsExactBytes) {
  auto store = open_store(path, OpenMode::Writer);
  const std::string odd("ad\0x \xc3\xa9", 7);
  store->write(batch_of({window(1, {{odd, 0, 2}, {"ad", 0, 5}})}));
  EXPECT_EQ(store->aggregated_count(odd, 0, 10, 0), 2u);
  EXPECT_EQ(store->aggregated_count("ad", 0, 10, 0), 5u);
}

}  // namespace
}  // namespace clickagg::store
