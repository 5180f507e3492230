// A database at every schema version a release of either backend recorded opens and upgrades
// in place to the current shared version, keeping its rows. The old databases are built from
// legacy_schemas/<backend>-<version>.sql: the DDL those releases ran, then sample rows.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "host/store/schema.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

struct Legacy {
  const char* backend;
  int recorded;  // the version as that release recorded it
  int shared;    // the same schema in the shared sequence
};

// PostgreSQL's 1 already held the sink's tables (the shared 2); its 2 added partition results.
void PrintTo(const Legacy& l, std::ostream* os) { *os << l.backend << " version " << l.recorded; }

constexpr Legacy kReleased[] = {
    {"sqlite", 1, 1}, {"sqlite", 2, 2}, {"sqlite", 3, 3}, {"postgresql", 1, 2}, {"postgresql", 2, 3}};

std::string legacy_sql(const Legacy& l) {
  const std::string path = std::string(CLICKAGG_SOURCE_DIR) + "/tests/unit/store/legacy_schemas/" + l.backend +
                           "-" + std::to_string(l.recorded) + ".sql";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class SchemaMigrationTest : public ::testing::TestWithParam<Legacy> {
 protected:
  void SetUp() override {
    std::string skip;
    backend = clickagg::testing::make_store_backend(GetParam().backend, &skip);
    if (!backend) GTEST_SKIP() << skip;
    backend->exec(legacy_sql(GetParam()));
  }
  std::unique_ptr<AggregateStore> open(OpenMode mode) { return open_store(backend->location(), mode); }
  std::unique_ptr<clickagg::testing::StoreBackend> backend;
};

INSTANTIATE_TEST_SUITE_P(Released, SchemaMigrationTest, ::testing::ValuesIn(kReleased),
                         [](const ::testing::TestParamInfo<Legacy>& param) {
                           return std::string(param.param.backend) + "_" + std::to_string(param.param.recorded);
                         });

TEST_P(SchemaMigrationTest, UpgradesInPlaceAndKeepsItsRows) {
  const Legacy& legacy = GetParam();
  if (legacy.shared < kSchemaVersion)
    EXPECT_THROW(open(OpenMode::Reader), StoreError) << "a reader never migrates";
  else
    EXPECT_EQ(open(OpenMode::Reader)->aggregated_count("ad1", 0, 100, 0), 3u) << "the same tables: readable as is";

  auto store = open(OpenMode::Writer);
  EXPECT_EQ(backend->schema_version(), kSchemaVersion);
  EXPECT_EQ(store->aggregated_count("ad1", 0, 100, 0), 3u);
  EXPECT_EQ(store->progress().last_closed_minute, 7);
  EXPECT_EQ(store->filters(), (std::vector<FilterInfo>{{12, "us"}}));
  const auto list = store->topn_list(6, 1, 0);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->entries, (std::vector<NamedEntry>{{"ad1", 3}}));
  EXPECT_EQ(list->top_n, 3u);
  EXPECT_EQ(store->committed_seq("agg-0"), legacy.shared >= 2 ? 4u : 0u);
  EXPECT_EQ(store->committed_seq("agg-1"), 0u);

  // Everything the newest tables hold can be written.
  ResultBatch b;
  b.top_n = 2;
  b.producer_seqs = {{"agg-1", 12}};
  b.late.push_back(LateRecord{1, 2, "ad1", 3, 4});
  b.rejects.push_back(RejectEntry{1, 5, "bad", "x"});
  b.windows = {make_window(7, {{"ad2", 0, 4}}, false)};
  b.windows.back().partition = 1;
  b.topn = {make_list(7, 1, 0, false, {{"ad2", 4}})};
  b.topn.back().partition = 1;
  b.partition_progress[1].events = 4;
  b.partition_progress[1].last_closed_minute = 7;
  store->write(b);
  EXPECT_EQ(store->committed_seq("agg-1"), 12u);
  EXPECT_EQ(store->aggregated_count("ad1", 7, 8, 0), 3u);
  EXPECT_EQ(store->aggregated_count("ad2", 7, 8, 0), 4u);
  // A partition's counters add to those kept from before the upgrade.
  EXPECT_EQ(store->progress().events, legacy.shared >= 3 ? 13u : 4u);

  auto reader = open(OpenMode::Reader);
  EXPECT_EQ(reader->committed_seq("agg-1"), 12u);
  EXPECT_EQ(reader->topn_list(7, 1, 0)->entries, (std::vector<NamedEntry>{{"ad2", 4}}));
  open(OpenMode::Writer).reset();
  EXPECT_EQ(backend->schema_version(), kSchemaVersion) << "a second writer finds it current";
}

}  // namespace
}  // namespace clickagg::store
