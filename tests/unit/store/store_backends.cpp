#include "tests/unit/store/store_backends.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "host/store/pg_connection.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::testing {

namespace {

class SqliteBackend final : public StoreBackend {
 public:
  std::string location() const override { return "sqlite:" + dir_.file("agg.db"); }

  std::vector<std::string> rows(const std::string& sql) override {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(dir_.file("agg.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        row += t ? std::string(t, static_cast<size_t>(sqlite3_column_bytes(st, i))) : "NULL";
        row += '|';
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  std::string hex_of(const std::string& column) const override { return "lower(hex(" + column + "))"; }

  void exec(const std::string& sql) override {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("agg.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  int schema_version() override { return std::stoi(rows("PRAGMA user_version").at(0)); }

  void set_schema_version(int version) override { exec("PRAGMA user_version = " + std::to_string(version)); }

 private:
  TempDir dir_;
};

std::string pg_admin_url() {
  const char* env = std::getenv("CLICKAGG_PG_URL");
  return env && *env ? env : "postgresql://postgres@127.0.0.1:5432/test";
}

// The same URI naming another database: scheme://authority/<db>?query.
std::string with_database(const std::string& uri, const std::string& db) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri + " dbname=" + db;  // key=value form
  const size_t query = uri.find('?', scheme + 3);
  const size_t slash = uri.find('/', scheme + 3);
  const size_t path = slash == std::string::npos || (query != std::string::npos && slash > query)
                          ? (query == std::string::npos ? uri.size() : query)
                          : slash;
  const std::string tail = query == std::string::npos ? "" : uri.substr(query);
  return uri.substr(0, path) + "/" + db + tail;
}

std::string with_option(const std::string& uri, const std::string& option) {
  if (uri.find("://") == std::string::npos) return uri + " " + option;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + option;
}

// One database per test process; every backend instance gets its own schema in it.
class PgDatabase final : public ::testing::Environment {
 public:
  static PgDatabase& get() {
    static PgDatabase* db = [] {
      auto* d = new PgDatabase;
      ::testing::AddGlobalTestEnvironment(d);  // TearDown drops the database
      return d;
    }();
    return *db;
  }

  // The database URI, or empty with `error` set.
  const std::string& url(std::string* error) {
    if (!tried_) {
      tried_ = true;
      name_ = "clickagg_test_" + std::to_string(::getpid());
      try {
        store::pg::Connection admin(pg_admin_url());
        admin.exec(("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str());
        admin.exec(("CREATE DATABASE " + name_).c_str());
        url_ = with_database(pg_admin_url(), name_);
      } catch (const store::StoreError& e) {
        error_ = std::string("PostgreSQL is not reachable at ") + pg_admin_url() + " (set CLICKAGG_PG_URL): " + e.what();
      }
    }
    if (error) *error = error_;
    return url_;
  }

  void TearDown() override {
    if (url_.empty()) return;
    try {
      store::pg::Connection admin(pg_admin_url());
      admin.exec(("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str());
    } catch (const store::StoreError&) {
      // Left behind: named by pid, dropped by the next run that reuses the pid.
    }
    url_.clear();
  }

 private:
  bool tried_ = false;
  std::string name_, url_, error_;
};

class PostgresBackend final : public StoreBackend {
 public:
  explicit PostgresBackend(const std::string& db_url) {
    static std::atomic<int> next{0};
    schema_ = "s" + std::to_string(next++);
    store::pg::Connection c(db_url);
    c.exec(("CREATE SCHEMA " + schema_).c_str());
    url_ = with_option(db_url, "options=-csearch_path%3D" + schema_);
    db_url_ = db_url;
  }
  ~PostgresBackend() override {
    try {
      store::pg::Connection c(db_url_);
      c.exec(("DROP SCHEMA " + schema_ + " CASCADE").c_str());
    } catch (const store::StoreError&) {
      // Dropped with the database.
    }
  }

  std::string location() const override { return url_; }

  std::vector<std::string> rows(const std::string& sql) override {
    if (!conn_) conn_ = std::make_unique<store::pg::Connection>(url_);
    store::pg::Result r = conn_->query(sql.c_str());
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
      std::string row;
      for (int c = 0; c < r.columns(); ++c) {
        row += r.is_null(i, c) ? std::string("NULL") : std::string(r.text(i, c));
        row += '|';
      }
      out.push_back(row);
    }
    return out;
  }

  std::string hex_of(const std::string& column) const override { return "encode(" + column + ", 'hex')"; }

  void exec(const std::string& sql) override { rows(sql); }

  int schema_version() override { return std::stoi(rows("SELECT version FROM clickagg_schema").at(0)); }

  void set_schema_version(int version) override {
    exec("UPDATE clickagg_schema SET version = " + std::to_string(version));
  }

 private:
  std::string schema_, url_, db_url_;
  std::unique_ptr<store::pg::Connection> conn_;
};

}  // namespace

std::unique_ptr<StoreBackend> make_store_backend(const std::string& kind, std::string* skip) {
  if (kind == "sqlite") return std::make_unique<SqliteBackend>();
  if (kind == "postgresql") {
    const std::string& url = PgDatabase::get().url(skip);
    if (url.empty()) return nullptr;
    return std::make_unique<PostgresBackend>(url);
  }
  *skip = "unknown backend " + kind;
  return nullptr;
}

}  // namespace clickagg::testing
