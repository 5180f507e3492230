#include "host/store/sqlite_connection.h"

#include <sqlite3.h>

#include <climits>

#include "host/store/aggregate_store.h"

namespace clickagg::store::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 5000;  // a reader may wait briefly on a WAL checkpoint

class StatementRow final : public Row {
 public:
  explicit StatementRow(sqlite3_stmt* st) : st_(st) {}
  int64_t integer(int col) const override { return sqlite3_column_int64(st_, col); }
  uint64_t count(int col) const override {
    const int64_t v = sqlite3_column_int64(st_, col);
    return v < 0 ? 0 : static_cast<uint64_t>(v);
  }
  std::string_view text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string_view();
  }
  bool is_null(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* st_;
};

// Leaves a statement reset whichever way a run ends, so the next run starts clean.
struct ResetOnExit {
  sqlite3_stmt* st;
  ~ResetOnExit() { sqlite3_reset(st); }
};

struct FinalizeOnExit {
  sqlite3_stmt* st;
  ~FinalizeOnExit() { sqlite3_finalize(st); }
};

int checked_size(std::string_view v) {
  if (v.size() > static_cast<size_t>(INT_MAX)) throw StoreError("value too long for SQLite");
  return static_cast<int>(v.size());
}

}  // namespace

Connection::Connection(const std::string& path, bool create) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Connection::~Connection() {
  for (sqlite3_stmt* st : statements_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

void Connection::fail(const char* what) const {
  throw StoreError(std::string(what) + " (" + path_ + "): " + sqlite3_errmsg(db_));
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError("database " + path_ + ": " + msg);
  }
}

int Connection::prepare(const char* /*name*/, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
    fail("cannot prepare statement");
  statements_.push_back(st);
  return static_cast<int>(statements_.size() - 1);
}

void Connection::run(int statement, std::span<const Value> params, const OnRow& on_row) {
  run(statements_.at(static_cast<size_t>(statement)), params, on_row);
}

void Connection::run_once(const char* sql, std::span<const Value> params, const OnRow& on_row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) fail("cannot prepare statement");
  FinalizeOnExit finalize{st};
  run(st, params, on_row);
}

void Connection::run(sqlite3_stmt* st, std::span<const Value> params, const OnRow& on_row) {
  ResetOnExit reset{st};
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    if (const auto* v = std::get_if<int64_t>(&params[i])) {
      rc = sqlite3_bind_int64(st, index, *v);
    } else if (const auto* t = std::get_if<std::string_view>(&params[i])) {
      rc = sqlite3_bind_text(st, index, t->data(), checked_size(*t), SQLITE_TRANSIENT);
    } else if (const auto* b = std::get_if<Bytes>(&params[i])) {
      // A zero-length blob still binds as a blob (not NULL): pass a non-null pointer.
      rc = sqlite3_bind_blob(st, index, b->data.empty() ? "" : b->data.data(), checked_size(b->data),
                             SQLITE_TRANSIENT);
    } else {
      throw StoreError("SQLite takes no array parameters");
    }
    if (rc != SQLITE_OK) fail("cannot bind");
  }
  const StatementRow row(st);
  for (;;) {
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return;
    if (rc != SQLITE_ROW) throw StoreError("statement failed (" + path_ + "): " + sqlite3_errmsg(db_));
    if (on_row) on_row(row);
  }
}

}  // namespace clickagg::store::sqlite
