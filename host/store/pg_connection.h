// Thin RAII wrappers over libpq: a connection with named prepared statements, parameter lists
// and results. Every failure becomes a StoreError that carries the server's message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/store/aggregate_store.h"

struct pg_conn;
struct pg_result;

namespace clickagg::store::pg {

// Statement parameters. Text values go in binary format (raw bytes with a length), so an
// embedded NUL fails loudly instead of truncating a C string; numbers and array literals go
// in text format. Every placeholder in the SQL carries an explicit cast ($1::bigint).
class Params {
 public:
  Params& text(std::string_view v);   // TEXT or BYTEA: the bytes as they are
  Params& integer(int64_t v);
  Params& literal(std::string v);     // a value in PostgreSQL's text syntax (e.g. an array)

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  std::vector<std::string> values_;
  std::vector<int> formats_;
};

class Result {
 public:
  explicit Result(pg_result* r) : r_(r) {}
  ~Result();
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;

  int rows() const;
  int columns() const;
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;
  int64_t int64(int row, int col) const;   // integer columns and integral numerics
  uint64_t uint64(int row, int col) const; // non-negative totals (SUM gives numeric)

 private:
  pg_result* r_;
};

class Connection {
 public:
  // `uri`: a libpq connection URI (postgresql://user@host:port/db?options) or key=value string.
  explicit Connection(const std::string& uri);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (DDL, BEGIN, COMMIT).
  void exec(const char* sql);
  Result query(const char* sql);
  Result query(const char* sql, const Params& params);
  void prepare(const char* name, const char* sql);
  Result run(const char* name, const Params& params);

  // After a lost connection (server restart): reconnects and returns true; the caller must
  // prepare its statements again. False when the connection is fine.
  bool reconnect_if_broken();
  const std::string& where() const { return where_; }

 private:
  Result check(pg_result* r, const char* what) const;

  pg_conn* conn_ = nullptr;
  std::string where_;  // host:port/db, for messages (never the password)
};

// BEGIN on construction; ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& conn, const char* begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool open_ = true;
};

// "{"a","b\"c"}": a text[] literal with every element quoted.
std::string text_array(const std::vector<std::string_view>& items);
// "{1,2,3}"
std::string int_array(const std::vector<int64_t>& items);

}  // namespace clickagg::store::pg
