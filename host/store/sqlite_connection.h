// Thin RAII wrappers over the SQLite C API: a connection, prepared statements that are
// reset for reuse, and a transaction guard. Every failure becomes a StoreError that names
// the database and SQLite's message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "host/store/aggregate_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clickagg::store::sqlite {

class Connection {
 public:
  // `create`: create the file when missing. `read_only`: refuse writes on this connection.
  Connection(const std::string& path, bool create, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements that return no rows the caller needs.
  void exec(const char* sql);
  // Runs a statement returning one integer (a PRAGMA, a count).
  int64_t query_int(const char* sql);
  [[noreturn]] void fail(const char* what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Prepared once, reused: every run() / first step() starts from a clean reset with the
// bindings made since.
class Statement {
 public:
  Statement(Connection& conn, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  // Advances to the next row; false when done. Resets automatically when done.
  bool step();
  // Executes a statement that returns no rows.
  void run();
  void reset();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  bool dirty_ = false;  // stepped since the last reset
};

// BEGIN IMMEDIATE on construction (a writer takes the write lock up front, so it never
// fails half-way on a lock upgrade); rolls back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool open_ = true;
};

}  // namespace clickagg::store::sqlite
