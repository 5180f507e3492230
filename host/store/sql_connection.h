// What the SQL store needs from a database connection, whatever the database: statements
// with positional parameters, prepared once and reused, rows read column by column, and
// transactions. sqlite_connection and pg_connection implement it; the SQL text comes from
// the dialect (dialect.h), so a connection never composes SQL of its own.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace clickagg::store {

// Bytes kept as a BLOB / BYTEA rather than text. Explicit, so a string never becomes one by
// accident.
struct Bytes {
  explicit Bytes(std::string_view d) : data(d) {}
  std::string_view data;
};

// A statement parameter. The spans are whole columns of a batch of rows, for dialects that
// take a batch as arrays in one statement (Dialect::RowBatches::Arrays). Nothing is copied:
// what a value views must outlive the call.
using Value = std::variant<int64_t, std::string_view, Bytes, std::span<const int64_t>,
                           std::span<const std::string_view>>;

// One result row, valid only inside the callback it is passed to.
class Row {
 public:
  virtual int64_t integer(int col) const = 0;
  // A non-negative total (negative values read as 0): PostgreSQL's SUM of bigints is a
  // numeric that may exceed the int64 range.
  virtual uint64_t count(int col) const = 0;
  virtual std::string_view text(int col) const = 0;
  virtual bool is_null(int col) const = 0;

 protected:
  ~Row() = default;
};
using OnRow = std::function<void(const Row&)>;

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  // The database, for messages: the file, or host:port/db (never a password).
  virtual const std::string& where() const = 0;
  // Runs one or more statements without parameters (DDL, BEGIN, PRAGMA); rows are dropped.
  virtual void exec(const char* sql) = 0;
  // Prepares `sql` for reuse; `name` is the server-side name where the database keeps one.
  // Returns the handle run() takes.
  virtual int prepare(const char* name, const char* sql) = 0;
  virtual void run(int statement, std::span<const Value> params, const OnRow& on_row) = 0;
  // A statement too rare to prepare on every connection.
  virtual void run_once(const char* sql, std::span<const Value> params, const OnRow& on_row) = 0;
  // Called between transactions: reopens a connection the server dropped, with its prepared
  // statements. Inside a transaction a lost connection fails the statement instead, and the
  // caller retries the whole transaction.
  virtual void repair() {}
};

// Begins with the dialect's BEGIN statement; rolls back unless commit() was called.
class Transaction {
 public:
  Transaction(SqlConnection& conn, const char* begin);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  SqlConnection& conn_;
  bool open_ = true;
};

}  // namespace clickagg::store
