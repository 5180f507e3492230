#include "host/store/sqlite_connection.h"

#include <sqlite3.h>

#include <climits>

namespace clickagg::store::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 5000;  // a reader may wait briefly on a WAL checkpoint
}

Connection::Connection(const std::string& path, bool create, bool read_only) : path_(path) {
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Connection::~Connection() { sqlite3_close_v2(db_); }

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

int64_t Connection::query_int(const char* sql) {
  Statement st(*this, sql);
  if (!st.step()) throw StoreError(std::string("no result from: ") + sql);
  const int64_t v = st.column_int(0);
  st.reset();
  return v;
}

Statement::Statement(Connection& conn, const char* sql) : conn_(conn) {
  if (sqlite3_prepare_v3(conn.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK)
    conn.fail("cannot prepare statement");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::reset() {
  sqlite3_reset(stmt_);
  dirty_ = false;
}

Statement& Statement::bind(int index, int64_t value) {
  if (dirty_) reset();
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) conn_.fail("cannot bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (dirty_) reset();
  if (text.size() > static_cast<size_t>(INT_MAX)) throw StoreError("text value too long");
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    conn_.fail("cannot bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (dirty_) reset();
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw StoreError("blob value too long");
  // A zero-length blob still binds as a blob (not NULL): pass a non-null pointer.
  if (sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                        static_cast<int>(bytes.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    conn_.fail("cannot bind");
  return *this;
}

bool Statement::step() {
  dirty_ = true;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    const std::string msg = sqlite3_errmsg(conn_.handle());
    reset();
    throw StoreError("statement failed (" + conn_.path() + "): " + msg);
  }
  reset();
  return false;
}

void Statement::run() {
  if (dirty_) reset();
  while (step()) {
  }
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (open_) sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  conn_.exec("COMMIT");
  open_ = false;
}

}  // namespace clickagg::store::sqlite
