// Every query the API's readers issue uses an index on the large tables (counts, topn,
// topn_lists), never a full scan: checked on the plans the databases choose for the SQL texts
// the stores prepare (sqlite_read_queries(), postgres_read_queries()), over a filled store.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "host/common/time_util.h"
#include "host/store/aggregate_store.h"
#include "host/store/pg_connection.h"
#include "tests/unit/store/store_backends.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::testing {
namespace {

const int64_t kBase = *parse_minute("202101010000");
const std::set<std::string> kLargeTables = {"counts", "topn", "topn_lists"};

// 60 minutes x 400 ads under filters 0 and 12, top-N lists for windows 1, 5, 60.
void fill(store::AggregateStore& s) {
  store::ResultBatch b;
  b.top_n = 20;
  for (int64_t m = 0; m < 60; ++m) {
    std::vector<NamedRow> rows;
    for (int ad = 0; ad < 400; ++ad) {
      const std::string id = "ad" + std::to_string(100000 + ad);
      rows.push_back({id, 0, static_cast<uint64_t>(1 + (ad * 7 + m) % 13)});
      if (ad % 3 == 0) rows.push_back({id, 12, 1});
    }
    b.windows.push_back(make_window(kBase + m, rows));
    for (const uint32_t window : {1u, 5u, 60u})
      for (const uint16_t filter : {uint16_t{0}, uint16_t{12}}) {
        std::vector<NamedEntry> entries;
        for (int r = 0; r < 20; ++r) entries.push_back({"ad" + std::to_string(100000 + r), 100u - r});
        b.topn.push_back(make_list(kBase + m, window, filter, false, entries));
      }
  }
  s.write(b);
  s.set_filters({{12, "us"}});
}

std::vector<std::string> sqlite_plan(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::vector<std::string> lines;
  while (st && sqlite3_step(st) == SQLITE_ROW)
    lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
  sqlite3_finalize(st);
  return lines;
}

// A plan line's table: "SEARCH counts USING ..." -> counts.
std::string plan_table(const std::string& line) {
  const size_t sp = line.find(' ');
  if (sp == std::string::npos) return "";
  const size_t end = line.find(' ', sp + 1);
  return line.substr(sp + 1, end == std::string::npos ? std::string::npos : end - sp - 1);
}

void check_sqlite_plans(sqlite3* db, const std::string& when) {
  const auto queries = store::sqlite_read_queries();
  std::map<std::string, std::string> by_name;
  for (const auto& q : queries) by_name[q.name] = q.sql;
  // The reads of the API, all of them listed.
  for (const char* name : {"aggregated_count", "list_header", "list_entries", "top_by_sum",
                           "minute_counts", "topn_windows", "read_meta", "read_filters"})
    EXPECT_TRUE(by_name.contains(name)) << name;
  for (const auto& q : queries) {
    const auto lines = sqlite_plan(db, q.sql);
    ASSERT_FALSE(lines.empty()) << q.name;
    std::string plan;
    for (const auto& l : lines) plan += "\n  " + l;
    for (const auto& line : lines) {
      const std::string table = plan_table(line);
      if (!kLargeTables.contains(table)) continue;
      EXPECT_TRUE(line.starts_with("SEARCH ")) << when << ": " << q.name << " scans " << table << ":" << plan;
    }
  }
  // The key ranges the new reads rely on, in key order (no sort step).
  const auto series = sqlite_plan(db, by_name["minute_counts"]);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0], "SEARCH counts USING PRIMARY KEY (filter_id=? AND ad_id=? AND minute>? AND minute<?)");
  const auto windows = sqlite_plan(db, by_name["topn_windows"]);
  ASSERT_EQ(windows.size(), 1u) << windows.back();
  EXPECT_EQ(windows[0], "SEARCH topn_lists USING PRIMARY KEY (minute=?)");
  const auto count = sqlite_plan(db, by_name["aggregated_count"]);
  ASSERT_EQ(count.size(), 1u);
  EXPECT_EQ(count[0], "SEARCH counts USING PRIMARY KEY (filter_id=? AND ad_id=? AND minute>? AND minute<?)");
}

TEST(QueryPlanTest, SqliteReadsSearchAnIndexBeforeAndAfterAnalyze) {
  TempDir dir;
  const std::string path = dir.file("plans.db");
  fill(*store::open_store(path, store::OpenMode::Writer));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  check_sqlite_plans(db, "without statistics");
  ASSERT_EQ(sqlite3_exec(db, "ANALYZE", nullptr, nullptr, nullptr), SQLITE_OK);
  check_sqlite_plans(db, "after ANALYZE");
  sqlite3_close(db);
}

// Sample arguments per query, in parameter order.
const std::map<std::string, std::string> kPgArgs = {
    {"aggregated_count", "(0, 'ad100042', " + std::to_string(kBase) + ", " + std::to_string(kBase + 30) + ")"},
    {"list", "(" + std::to_string(kBase + 59) + ", 5, 0)"},
    {"top_by_sum", "(" + std::to_string(kBase + 55) + ", " + std::to_string(kBase + 59) + ", 0, 100)"},
    {"minute_counts", "(12, 'ad100042', " + std::to_string(kBase) + ", " + std::to_string(kBase + 180) + ")"},
    {"topn_windows", "(" + std::to_string(kBase + 59) + ")"},
    {"read_meta", ""},
    {"read_filters", ""},
};

// The index each query must use: its key range is what keeps the read bounded.
const std::map<std::string, std::string> kPgIndex = {
    {"aggregated_count", "counts_pkey"}, {"minute_counts", "counts_pkey"},
    {"top_by_sum", "counts_by_minute"},  {"topn_windows", "topn_lists_pkey"},
};

// How a plan node reads one of the large tables: "Index Scan using counts_pkey on counts". A
// bitmap heap scan reads the rows an index scan found (the planner's choice when the rows lie
// on many pages), so it is named after that index; any other access has no index.
struct Scan {
  std::string type, index, table;
  std::string text() const { return type + " using " + (index.empty() ? "(none)" : index) + " on " + table; }
};

void collect_scans(const nlohmann::json& node, std::vector<Scan>& out) {
  if (node.contains("Relation Name") && kLargeTables.contains(node["Relation Name"].get<std::string>())) {
    Scan scan{node["Node Type"], node.value("Index Name", ""), node["Relation Name"]};
    if (scan.type == "Bitmap Heap Scan" && node.contains("Plans") && node["Plans"].size() == 1 &&
        node["Plans"][0]["Node Type"] == "Bitmap Index Scan")
      scan.index = node["Plans"][0]["Index Name"];
    out.push_back(scan);
  }
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"]) collect_scans(child, out);
}

class PgQueryPlanTest : public BackendTest {};

TEST_P(PgQueryPlanTest, PostgresReadsUseAnIndexInCustomAndGenericPlans) {
  fill(*writer());
  store::pg::Connection conn(backend->location());
  // As autovacuum leaves a settled table: statistics and a visibility map.
  conn.exec("VACUUM ANALYZE");
  const auto queries = store::postgres_read_queries();
  EXPECT_EQ(queries.size(), kPgArgs.size());
  for (const auto& q : queries) {
    ASSERT_TRUE(kPgArgs.contains(q.name)) << "no sample arguments for " << q.name;
    conn.exec(("PREPARE " + q.name + " AS " + q.sql).c_str());
    // The store's prepared statements start on custom plans and may switch to a generic one.
    for (const char* mode : {"force_custom_plan", "force_generic_plan"}) {
      conn.exec((std::string("SET plan_cache_mode = ") + mode).c_str());
      const std::string explain = "EXPLAIN (FORMAT JSON) EXECUTE " + q.name + kPgArgs.at(q.name);
      store::pg::Result r = conn.query(explain.c_str());
      const auto plan = nlohmann::json::parse(r.text(0, 0));
      std::vector<Scan> scans;
      collect_scans(plan[0]["Plan"], scans);
      const bool reads_large = q.name != "read_meta" && q.name != "read_filters";
      EXPECT_EQ(!scans.empty(), reads_large) << q.name;
      for (const auto& s : scans) {
        const bool indexed = s.type == "Index Scan" || s.type == "Index Only Scan" ||
                             (s.type == "Bitmap Heap Scan" && !s.index.empty());
        EXPECT_TRUE(indexed) << q.name << " (" << mode << "): " << s.text() << "\n" << plan.dump(1);
        if (kPgIndex.contains(q.name)) {
          EXPECT_EQ(s.index, kPgIndex.at(q.name)) << q.name << " (" << mode << "): " << s.text();
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PgQueryPlanTest, ::testing::Values("postgresql"), backend_name);

}  // namespace
}  // namespace clickagg::testing
